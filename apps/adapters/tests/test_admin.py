"""Stewards configure adapters in the admin: a form made from the configuration schema, validated per
setting; syncs on demand, connection tests, run history and cancellation."""

from __future__ import annotations

import pytest

from apps.adapters.models import AdapterInstance, SyncRun
from dictamesh.auth.services import user_ensure

pytestmark = pytest.mark.django_db


@pytest.fixture
def steward(client):
    client.force_login(user_ensure(username="steward", superuser=True))
    return client


def _form(sample_db: dict, **overrides) -> dict:
    return {
        "name": "crmdb", "kind": "postgresql", "enabled": "on", "domain": "sales", "owners": '["user:olivia"]',
        "sync_interval_seconds": "", "config__host": sample_db["host"], "config__port": str(sample_db["port"]),
        "config__database": sample_db["database"], "config__user": sample_db["user"], "config__password": "",
        "config__dsn": "", "config__sslmode": "prefer", "config__schemas": '["crm"]', "config__include": "[]",
        "config__exclude": "[]", "config__owners": "[]", "config__connect_timeout": "10",
        "config__statement_timeout_ms": "30000", "runs-TOTAL_FORMS": "0", "runs-INITIAL_FORMS": "0",
        **overrides,
    }  # fmt: skip


def test_the_form_follows_the_adapters_configuration_schema(steward, sample_db):
    page = steward.get("/admin/adapters/adapterinstance/add/?kind=rest").content.decode()
    assert 'name="config__base_url"' in page and 'name="config__resources"' in page
    assert "the name of the environment variable" not in page or "config__auth" in page
    page = steward.get("/admin/adapters/adapterinstance/add/?kind=postgresql").content.decode()
    assert (
        'name="config__password"' in page
        and "(secret)" in page
        and 'name="config__statement_timeout_ms"' in page
    )
    bad = steward.post("/admin/adapters/adapterinstance/add/?kind=postgresql",
                       _form(sample_db, config__sslmode="sometimes", config__port="0"))  # fmt: skip
    assert bad.status_code == 200
    text = bad.content.decode()
    assert "port:" in text and "sslmode:" in text and not AdapterInstance.objects.exists()
    made = steward.post(
        "/admin/adapters/adapterinstance/add/?kind=postgresql",
        _form(sample_db, config__password="DICTAMESH_SECRET_PGPASS"),
    )
    assert made.status_code == 302, made.content.decode()[:3000]
    row = AdapterInstance.objects.get(name="crmdb")
    assert row.config["password"] == {"env": "DICTAMESH_SECRET_PGPASS"} and row.config["schemas"] == ["crm"]
    assert row.owners == ["user:olivia"] and row.created_by == "user:steward"
    change = steward.get(f"/admin/adapters/adapterinstance/{row.pk}/change/").content.decode()
    assert 'value="DICTAMESH_SECRET_PGPASS"' in change  # the variable's name, never a secret


def test_actions_sync_test_and_cancel(steward, sample_db, django_capture_on_commit_callbacks):
    steward.post("/admin/adapters/adapterinstance/add/?kind=postgresql", _form(sample_db))
    row = AdapterInstance.objects.get(name="crmdb")
    selected = {"_selected_action": [row.pk]}
    tested = steward.post(
        "/admin/adapters/adapterinstance/", {"action": "test_connection", **selected}, follow=True
    )
    assert any(str(m).startswith("crmdb: ok: PostgreSQL") for m in tested.context["messages"])
    with django_capture_on_commit_callbacks() as queued:
        steward.post("/admin/adapters/adapterinstance/", {"action": "sync_now", "_selected_action": [row.pk]})
    run = SyncRun.objects.get()
    assert run.status == "queued" and run.trigger == "admin" and len(queued) == 1  # its task, at commit
    again = steward.post("/admin/adapters/adapterinstance/", {"action": "full_sync", "_selected_action": [row.pk]},
                         follow=True)  # fmt: skip
    assert any("already queued" in str(m) for m in again.context["messages"])
    assert steward.get("/admin/adapters/syncrun/").status_code == 200
    steward.post("/admin/adapters/syncrun/", {"action": "cancel", "_selected_action": [run.pk]})
    run.refresh_from_db()
    assert run.status == "cancelled"
    page = steward.get(f"/admin/adapters/adapterinstance/{row.pk}/change/").content.decode()
    assert "cancelled" in page  # the run history inline
