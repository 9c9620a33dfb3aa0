"""The other ways in: GraphQL, the `dictamesh dsr` commands and the admin — each governed like REST."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from apps.privacy.models import SubjectRequest
from tests.conftest import bearer

pytestmark = pytest.mark.django_db


def _gql(client, token: str, query: str, variables: dict | None = None) -> dict:
    response = client.post("/graphql", json.dumps({"query": query, "variables": variables or {}}),
                           content_type="application/json", **bearer(token))  # fmt: skip
    return response.json()


CREATE = """mutation($input: GenericScalar!) { createDataSubjectRequest(input: $input) {
  request { reference state identifiers deadline } } }"""


def test_graphql_lists_and_works_requests_for_stewards_only(client, world):
    made = _gql(client, world.steward_token, CREATE,
                {"input": {"kind": "access", "identifiers": {"email": ["customer5@example.com"]}}})  # fmt: skip
    request = made["data"]["createDataSubjectRequest"]["request"]
    assert request["state"] == "received" and request["identifiers"] == [
        {"type": "email", "hint": "c***@example.com"}
    ]
    reference = request["reference"]
    steps = """mutation($r: String!) { verifyDataSubjectRequest(reference: $r, method: "account") { request { state } }
      discoverDataSubjectRequest(reference: $r) { request { state plan } } }"""
    done = _gql(client, world.steward_token, steps, {"r": reference})["data"]
    assert done["discoverDataSubjectRequest"]["request"]["state"] == "planned"
    assert {p["source"] for p in done["discoverDataSubjectRequest"]["request"]["plan"]} >= {
        "crm",
        "warehouse",
    }
    listed = _gql(client, world.steward_token, "{ dataSubjectRequests { reference kind daysLeft } }")
    assert [r["reference"] for r in listed["data"]["dataSubjectRequests"]] == [reference]
    # a plain user: nothing listed, nothing found, nothing done
    assert _gql(client, world.plain_token, "{ dataSubjectRequests { reference } }")["data"] == {
        "dataSubjectRequests": []
    }
    one = _gql(
        client,
        world.plain_token,
        "query($r: String!) { dataSubjectRequest(reference: $r) { state } }",
        {"r": reference},
    )
    assert one["data"]["dataSubjectRequest"] is None and one["errors"][0]["extensions"]["code"] == "not_found"
    refused = _gql(
        client,
        world.plain_token,
        CREATE,
        {"input": {"kind": "erasure", "identifiers": {"email": ["a@b.co"]}}},
    )
    assert refused["errors"][0]["extensions"]["code"] == "permission_denied"
    approve = _gql(client, world.plain_token,
                   "mutation($r: String!) { approveDataSubjectRequest(reference: $r) { request { state } } }",
                   {"r": reference})  # fmt: skip
    assert approve["errors"][0]["extensions"]["code"] == "not_found"
    assert SubjectRequest.objects.get(pk=int(reference[4:])).state == "planned"


def test_the_dsr_commands_run_a_request_end_to_end(world):
    def run(*args: str) -> str:
        out = io.StringIO()
        call_command("dsr", *args, stdout=out)
        return out.getvalue()

    created = run("new", "erasure", "--email", "customer9@example.com", "--customer-id", "9")
    reference = created.split()[0]
    assert reference.startswith("DSR-") and "received" in created
    assert "verified" in run("verify", reference, "--method", "ID document")
    plan = run("discover", reference)
    assert "crm/customer: 1 record(s) via search → erase" in plan
    assert "warehouse/sales.orders" in plan and "via foreign key" in plan
    done = run("approve", reference, "--wait")
    assert f"{reference} completed" in done and "crm/customer: deleted, 1 record(s)" in done
    assert "warehouse/sales.customers: anonymized, 1 record(s)" in done
    assert reference in run("list")
    certificate = run("certificate", reference)
    assert "State: completed" in certificate and "tombstoned" in certificate
    register = json.loads(run("register"))
    assert (
        register["closed"] == 1 and register["erasures_completed"] == 1 and register["on_time_share"] == 1.0
    )
    assert reference in run("register", "--csv")
    req = SubjectRequest.objects.get(pk=int(reference[4:]))
    assert req.created_by.startswith("cli:") and req.sealed is None


def test_the_admin_shows_the_workflow_and_works_it_for_stewards(client, world):
    from dictamesh.auth.services import user_ensure

    client.force_login(world.steward)
    page = client.get("/admin/privacy/subjectrequest/add/")
    assert page.status_code == 200
    added = client.post("/admin/privacy/subjectrequest/add/", {"kind": "access", "jurisdiction": "",
                        "email": "customer11@example.com", "assignee": "steward", "note": ""})  # fmt: skip
    assert added.status_code == 302, added.content.decode()[:3000]
    req = SubjectRequest.objects.get()
    change = f"/admin/privacy/subjectrequest/{req.pk}/change/"
    for op in ("verify", "discover"):
        assert (
            client.post(f"/admin/privacy/subjectrequest/{req.pk}/act/", {"op": op, "reason": ""}).status_code
            == 302
        )
    shown = client.get(change).content.decode()
    assert "c****@example.com" in shown or "c***@example.com" in shown
    assert "customer11@example.com" not in shown  # never the clear value
    assert "via" in shown and "crm" in shown and "Work this request" in shown
    req.refresh_from_db()
    assert req.state == "planned"
    listing = client.get("/admin/privacy/subjectrequest/")
    assert req.reference in listing.content.decode()
    client.logout()
    client.force_login(user_ensure(username="alice"))  # not staff
    assert client.get("/admin/privacy/subjectrequest/").status_code == 302
    assert client.post(f"/admin/privacy/subjectrequest/{req.pk}/act/", {"op": "approve"}).status_code == 302
    req.refresh_from_db()
    assert req.state == "planned"  # nothing happened
