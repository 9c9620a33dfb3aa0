"""Access reports: who read which PII, per user, per entity, per period, as JSON and CSV; the admin view."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.utils import timezone

from apps.governance.models import AccessAudit
from apps.governance.tests.helpers import make_world, person, policy, urn
from dictamesh.auth.services import user_ensure

REPORT = "/api/v1/governance/audit/access"


@pytest.fixture
def audited(db, client):
    make_world()
    steward = person("stella", staff=True)
    for path, category in (("email", "email"), ("card", "credit_card")):
        body = {"urn": urn("customers"), "path": path, "pii_category": category}
        client.post("/api/v1/governance/fields", json.dumps(body), content_type="application/json", **steward)
    policy(client, steward, name="support", effect="allow", actors=["group:support"], actions=["read_sensitive"],
           resources=["field"], condition="hasPii('email')")  # fmt: skip
    alice = person("alice", groups=["support"])
    bob = person("=cmd|' /C calc'!A0", groups=["support"])  # a formula for a name: must not run in a sheet
    for headers in (alice, alice, bob):
        assert client.get(f"/api/v1/catalog/entities/{urn('customers')}", **headers).status_code == 200
    client.get(f"/api/v1/catalog/entities/{urn('salaries')}", **alice)  # denied
    return steward


def test_rows_per_user_per_entity_and_denials(audited, client):
    rows = client.get(REPORT, **audited).json()["rows"]
    assert [(r["actor"], r["urn"], r["field"]) for r in rows][:1] == [
        ("user:=cmd|' /C calc'!A0", urn("customers"), "email")
    ]
    assert len(rows) == 3 and {r["field"] for r in rows} == {"email"}  # card stayed masked: not read
    per_user = client.get(REPORT, {"group": "user"}, **audited).json()["groups"]
    assert [(g["actor"], g["items"], g["requests"]) for g in per_user] == [
        ("user:alice", 2, 2),
        ("user:=cmd|' /C calc'!A0", 1, 1),
    ]
    per_entity = client.get(REPORT, {"group": "entity"}, **audited).json()["groups"]
    assert per_entity[0]["urn"] == urn("customers") and per_entity[0]["users_count"] == 2
    only_alice = client.get(REPORT, {"actor": "user:alice"}, **audited).json()["rows"]
    assert {r["actor"] for r in only_alice} == {"user:alice"}
    later = client.get(
        REPORT, {"since": (timezone.now() + timezone.timedelta(hours=1)).isoformat()}, **audited
    )
    assert later.status_code == 400 or later.json()["rows"] == []
    denied = client.get(REPORT, {"kind": "denied", "actor": "user:alice"}, **audited).json()["rows"]
    salaries = [r for r in denied if r["urn"] == urn("salaries")]
    assert salaries and salaries[0]["detail"]["reason"] == "restricted_by_default"


def test_csv_export_is_safe_to_open(audited, client):
    response = client.get(REPORT, {"format": "csv"}, **audited)
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["time", "actor", "trace_id", "urn", "field"]
    assert rows[1][1] == "'user:=cmd|' /C calc'!A0" or rows[1][1].startswith("user:")
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows[1:] for cell in row)
    bad = client.get(REPORT, {"format": "xml"}, **audited)
    assert bad.status_code == 400


def test_reports_are_for_stewards(audited, client):
    assert client.get(REPORT, **person("carol")).status_code == 403


def test_the_admin_lists_and_exports_the_audit(audited, client):
    client.force_login(user_ensure(username="root", superuser=True))
    page = client.get("/admin/governance/accessaudit/").content.decode()
    assert "user:alice" in page and "sensitive_read" in page
    ids = list(AccessAudit.objects.filter(actor="user:alice").values_list("pk", flat=True))
    exported = client.post(
        "/admin/governance/accessaudit/", {"action": "export_csv", "_selected_action": ids}
    )
    lines = exported.content.decode().splitlines()
    assert lines[0].startswith("time,actor,kind,urn,field") and any("email" in line for line in lines[1:])


def test_cells_that_a_spreadsheet_would_run_are_quoted():
    from apps.governance.reports import as_csv

    text = as_csv({"rows": [{"actor": '=HYPERLINK("http://x")', "urn": "+1", "field": "@x", "ok": "plain"}]})
    assert text.splitlines()[1] == '"\'=HYPERLINK(""http://x"")",\'+1,\'@x,plain'
