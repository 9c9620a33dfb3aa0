"""Adapter instances over REST, and sync runs into the catalog: full, incremental, removals, failures,
cancellation, one run at a time, and a PostgreSQL source's schemas and foreign keys."""

from __future__ import annotations

import json

import pytest

from apps.adapters import services
from apps.adapters.contracts import InstanceIn
from apps.adapters.models import AdapterInstance, SyncRun
from apps.catalog import public as catalog
from apps.governance.tests.helpers import person
from apps.schemas import public as schemas
from dictamesh.contracts import parse
from dictamesh.events.models import OutboxMessage

from .conftest import rest_config

pytestmark = pytest.mark.django_db
BASE = "/api/v1/adapters"


def _post(client, path, body, headers):
    return client.post(f"{BASE}{path}", json.dumps(body), content_type="application/json", **headers)


def _crm(source, **extra) -> AdapterInstance:
    fields = {"name": "crm", "kind": "rest", "domain": "sales", "owners": ["user:olivia"],
              "config": rest_config(source.url), **extra}  # fmt: skip
    return services.instance_create(instance=parse(InstanceIn, fields), actor="test")


def _run(name: str = "crm", *, full: bool = False, **kwargs) -> SyncRun:
    run = services.sync_request(name=name, full=full)
    return services.sync_execute(run_id=run.pk, **kwargs)


def test_stewards_configure_instances_over_rest(client, source, crm_token):
    steward, alice = person("stella", staff=True), person("alice")
    body = {
        "name": "crm",
        "kind": "rest",
        "domain": "sales",
        "owners": ["user:olivia"],
        "config": rest_config(source.url),
    }
    assert _post(client, "", body, alice).status_code == 403
    created = _post(client, "", body, steward)
    assert created.status_code == 201, created.content
    assert created.json()["config"]["auth"]["token"] == {
        "env": "DICTAMESH_SECRET_CRM_TOKEN"
    }  # a reference, never the secret
    assert _post(client, "", body, steward).status_code == 409
    bad = _post(client, "", {**body, "name": "Bad Name", "owners": ["olivia"], "kind": "rest",
                              "config": {**rest_config(source.url), "auth": {"kind": "bearer", "token": "s3cret"}}},
                steward)  # fmt: skip
    assert bad.status_code == 400
    assert {"name", "owners"} <= set(bad.json()["fields"])
    unknown = _post(client, "", {**body, "name": "x2", "kind": "mainframe"}, steward)
    assert unknown.status_code == 400 and "kind" in unknown.json()["fields"]
    not_a_name = _post(client, "", {**body, "name": "x4", "kind": [None]}, steward)  # a 500 before
    assert not_a_name.status_code == 400 and "kind" in not_a_name.json()["fields"]
    wrong_config = _post(client, "", {**body, "name": "x3", "config": {"base_url": "ftp://x", "resources": []}},
                         steward)  # fmt: skip
    assert set(wrong_config.json()["fields"]) == {"config.base_url", "config.resources"}
    kinds = {k["kind"]: k for k in client.get(f"{BASE}/kinds", **steward).json()["kinds"]}
    assert {"rest", "postgresql"} <= set(kinds)
    assert "base_url" in kinds["rest"]["config_schema"]["properties"]
    assert kinds["postgresql"]["capabilities"] == ["search", "sample", "erase"]
    assert client.post(f"{BASE}/crm/test", **steward).json()["ok"] is True
    changed = client.patch(f"{BASE}/crm", json.dumps({"sync_interval_seconds": 3600}), content_type="application/json",
                           **steward)  # fmt: skip
    assert changed.json()["sync_interval_seconds"] == 3600
    assert OutboxMessage.objects.filter(type="dictamesh.adapters.instance.updated").count() == 1
    assert client.delete(f"{BASE}/crm", **steward).status_code == 204
    assert client.get(f"{BASE}/crm", **steward).status_code == 404


def test_a_sync_fills_the_catalog_and_only_changes_make_events(client, source, crm_token):
    _crm(source)
    owner = person("olivia")
    started = _post(client, "/crm/sync", {}, owner)  # an instance's owner may start its syncs
    assert started.status_code == 202 and started.json()["status"] == "queued"
    assert _post(client, "/crm/sync", {}, owner).status_code == 409  # one run at a time
    run = services.sync_execute(run_id=started.json()["id"])
    assert run.status == "succeeded", run.error
    assert run.counts | {} == {"seen": 130, "created": 130, "updated": 0, "unchanged": 0, "deleted": 0, "failed": 0,
                               "relationships": 0, "schemas": 0}  # fmt: skip
    ref = catalog.entity_ref(urn="dm:crm:customer:1")
    assert ref.domain == "sales" and set(ref.owners) == {"group:sales", "user:olivia"}
    registered = OutboxMessage.objects.filter(type="dictamesh.catalog.entity.registered").count()
    assert registered == 130
    # the source changes one customer: the incremental sync asks for what changed since the checkpoint
    source.records["customers"][4].update(updated_at="2026-12-01T00:00:00Z", tier="platinum")
    again = _run()
    assert again.status == "succeeded" and again.checkpoint_from == run.checkpoint_to
    assert (again.counts["seen"], again.counts["updated"], again.counts["unchanged"]) == (86, 1, 85)
    assert OutboxMessage.objects.filter(type="dictamesh.catalog.entity.updated").count() == 1
    # a full sync notices what the source no longer has
    del source.records["customers"][0]
    full = _run(full=True)
    assert full.counts["deleted"] == 1 and catalog.entity_ref(urn="dm:crm:customer:1") is None
    runs = client.get(f"{BASE}/crm/runs", **owner).json()
    assert runs["total"] == 3 and [r["status"] for r in runs["items"]] == ["succeeded"] * 3
    assert runs["items"][0]["full"] is True and runs["items"][0]["duration_ms"] >= 0
    assert runs["next_cursor"] is None
    first = client.get(f"{BASE}/crm/runs", {"limit": 2}, **owner).json()  # the API's one way of paging
    rest = client.get(f"{BASE}/crm/runs", {"limit": 2, "cursor": first["next_cursor"]}, **owner).json()
    assert [r["id"] for r in first["items"] + rest["items"]] == [r["id"] for r in runs["items"]]
    assert rest["next_cursor"] is None
    assert client.get(f"{BASE}/crm/runs", **person("mallory")).status_code == 403


def test_a_failed_run_is_recorded_with_its_error_and_tells_the_owners(source, crm_token):
    _crm(source)
    source.fail("/api/orders", [(400, {})])
    run = _run()
    assert run.status == "failed" and run.retryable is False and "400" in run.error
    row = AdapterInstance.objects.get(name="crm")
    assert row.last_sync_at is not None and row.last_success_at is None
    event = OutboxMessage.objects.get(type="dictamesh.adapters.sync.failed")
    assert event.subject == "adapter:crm" and event.data["owners"] == ["user:olivia"]
    assert event.data["error"].startswith("400") and event.data["counts"]["created"] == 45  # customers got in
    source.fail("/api/customers", [(503, {})] * 10)
    retryable = _run()
    assert retryable.status == "failed" and retryable.retryable is True


def test_cancelling_a_queued_or_running_sync(source, crm_token):
    _crm(source)
    queued = services.sync_request(name="crm")
    assert services.sync_cancel(run_id=queued.pk).status == "cancelled"
    assert services.sync_execute(run_id=queued.pk) is None  # its task finds nothing to do

    def cancel_after_first_batch(run):
        if run.counts["seen"] == 20:
            services.sync_cancel(run_id=run.pk)

    run = _run(progress=cancel_after_first_batch)
    assert run.status == "cancelled" and run.counts["seen"] == 20
    assert OutboxMessage.objects.filter(type="dictamesh.adapters.sync.cancelled").count() == 2
    from dictamesh.errors import Conflict

    with pytest.raises(Conflict, match="already cancelled"):
        services.sync_cancel(run_id=run.pk)


def test_a_postgresql_source_registers_schemas_and_relationships(sample_db):
    services.instance_create(
        instance=parse(
            InstanceIn, {"name": "crmdb", "kind": "postgresql", "domain": "sales", "config": sample_db}
        )
    )
    run = _run("crmdb")
    assert run.status == "succeeded", run.error
    assert run.counts["created"] == 4 and run.counts["schemas"] == 8 and run.counts["relationships"] == 1
    urn = "dm:crmdb:table:crm.customers"
    assert catalog.entity_schema_subject(urn=urn) == "crmdb.table.crm.customers"
    avro = schemas.latest_schema(subject="crmdb.table.crm.customers")
    assert avro[0] == "AVRO" and json.loads(avro[1])["name"] == "Customers"
    assert schemas.latest_schema(subject="crmdb.table.crm.customers.json")[0] == "JSON"
    again = _run("crmdb")  # nothing changed: nothing written
    assert again.counts["seen"] == 0 and again.counts["schemas"] == 0


def test_scheduled_syncs_are_queued_when_their_interval_has_passed(
    source, crm_token, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    _crm(source, sync_interval_seconds=3600)
    services.instance_create(
        instance=parse(
            InstanceIn,
            {"name": "manual", "kind": "rest", "domain": "sales", "config": rest_config(source.url)},
        )
    )  # fmt: skip  (no interval: on demand)
    with django_capture_on_commit_callbacks() as queued:
        assert services.sync_due() == 1  # crm never synced; manual has no schedule
    assert len(queued) == 1 and SyncRun.objects.get().trigger == "schedule"
    assert services.sync_due() == 0  # its run is still queued: not twice
    run = services.sync_execute(run_id=SyncRun.objects.get().pk)
    assert run.status == "succeeded"
    assert services.sync_due() == 0  # synced a moment ago
    AdapterInstance.objects.filter(name="crm").update(last_sync_at=timezone.now() - timedelta(hours=2))
    assert services.sync_due() == 1
