"""Data-subject requests end to end on real services: a person's records in the CRM API, the warehouse
database and a Kafka topic are found, exported and erased; a legal hold keeps a table and the certificate
says so; a source failing mid-erasure is retried, held, then done once it is back; a plain user can neither
read nor act on requests."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.privacy.models import SubjectRequest
from dictamesh.events.models import OutboxMessage
from dictamesh.saga import engine
from dictamesh.saga.models import SagaStep
from tests.conftest import bearer

pytestmark = pytest.mark.django_db
BASE = "/api/v1/privacy"


def _post(client, path: str, body: dict | None, token: str):
    return client.post(path, json.dumps(body or {}), content_type="application/json", **bearer(token))


def _received(client, world, kind: str, **identifiers) -> str:
    response = _post(client, f"{BASE}/requests", {"kind": kind, "identifiers": identifiers, "assignee": "steward"},
                     world.steward_token)  # fmt: skip
    assert response.status_code == 201, response.content
    return response.json()["reference"]


def _planned(client, world, reference: str) -> dict:
    token = world.steward_token
    assert _post(client, f"{BASE}/requests/{reference}/verify", {"verified": True, "method": "signed-in account"},
                 token).json()["state"] == "verified"  # fmt: skip
    plan = _post(client, f"{BASE}/requests/{reference}/discover", None, token)
    assert plan.status_code == 200, plan.content
    return plan.json()


def _run(client, world, reference: str) -> dict:
    approved = _post(client, f"{BASE}/requests/{reference}/approve", None, world.steward_token)
    assert approved.status_code == 200, approved.content
    engine.advance(approved.json()["saga"]["id"])  # what a worker does with the queued message
    return client.get(f"{BASE}/requests/{reference}", **bearer(world.steward_token)).json()


def _places(state: dict) -> dict[tuple[str, str], dict]:
    return {(p["source"], p["entity_type"]): p for p in state["plan"]}


def test_access_finds_every_place_and_exports_them_once_through_a_signed_link(client, world):
    reference = _received(client, world, "access", email=["Customer7@Example.com"], customer_id=["7"])
    stored = SubjectRequest.objects.get(pk=int(reference[4:]))
    assert "customer7@example.com" not in json.dumps(stored.identifiers) and stored.sealed  # hashed, sealed
    assert stored.due_at - stored.received_at >= timedelta(days=28)  # GDPR: one month
    state = _planned(client, world, reference)
    places = _places(state)
    assert places[("crm", "customer")]["records"] == 1 and places[("crm", "customer")]["via"] == "search"
    assert places[("warehouse", "sales.customers")]["records"] == 1
    assert places[("warehouse", "sales.customers")]["fields"] == ["email"]  # the classified column led there
    orders = places[("warehouse", "sales.orders")]
    assert orders["via"] == "foreign key" and orders["records"] == len(world.rows(
        "SELECT 1 FROM sales.orders WHERE customer_id = 7")) > 0  # fmt: skip
    topic = places[("events", world.topic)]
    assert topic["via"] == "message key" and topic["action"] == "manual"  # its messages are not exported
    assert "customer7@example.com" not in json.dumps(state)  # the plan shows counts, never the values
    done = _run(client, world, reference)
    assert done["state"] == "completed" and done["saga"]["state"] == "completed"
    link = done["export"]["download_url"]
    anonymous = client.get(link)  # the link is the capability: given to the subject, no account needed
    assert anonymous.status_code == 200 and anonymous["Content-Type"] == "application/octet-stream"
    assert anonymous["Content-Disposition"].endswith('-export.zip"')
    archive = zipfile.ZipFile(io.BytesIO(anonymous.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["request"] == reference and {f["name"] for f in manifest["files"]} >= {
        "crm/customer.json",
        "crm/customer.csv",
        "warehouse/sales.customers.json",
        "warehouse/sales.orders.csv",
    }
    assert json.loads(archive.read("crm/customer.json"))[0]["email"] == "customer7@example.com"
    assert json.loads(archive.read("warehouse/sales.customers.json"))[0]["id"] == 7
    assert manifest["not_included"][0]["entity_type"] == world.topic
    assert client.get(link).status_code == 403  # once
    assert client.get(link[:-3] + "abc").status_code == 403  # tampered
    assert OutboxMessage.objects.filter(
        type="dictamesh.governance.dsr.downloaded", subject=f"dsr:{reference}"
    ).exists()
    stored.refresh_from_db()
    assert (
        stored.sealed is None and stored.exports.get().sealed == b""
    )  # closed: clear values gone, export spent
    assert not any("sealed" in (s.result or {}) for s in SagaStep.objects.filter(instance_id=stored.saga_id))
    cert = client.get(f"{BASE}/requests/{reference}/certificate", **bearer(world.steward_token)).json()
    assert cert["on_time"] and {p["done"] for p in cert["places"]} >= {"exported", "not done by DictaMesh"}


def test_erasure_respects_a_legal_hold_retries_a_failing_source_and_proves_what_it_did(client, world):
    from apps.governance import public as governance
    from apps.governance.consent import consent_record
    from apps.governance.contracts import ConsentIn, LegalHoldIn
    from apps.governance.retention import hold_save

    hold_save(hold=LegalHoldIn(name="tax-2026", reason="orders are tax records for ten years",
                               urn_pattern="dm:warehouse:table:sales.orders"), actor="user:dpo")  # fmt: skip
    consent_record(record=ConsentIn(subject="customer7@example.com", purpose="newsletter", status="granted",
                                    version="v1", source="signup"))  # fmt: skip
    reference = _received(client, world, "erasure", email=["customer7@example.com"], customer_id=["7"])
    places = _places(_planned(client, world, reference))
    assert places[("warehouse", "sales.orders")]["held_by"] == "tax-2026"  # shown before anything runs
    world.crm.fail("/api/customers/7", [(503, {})] * 2)  # the CRM fails the first two erasure calls
    state = _run(client, world, reference)
    saga = state["saga"]
    assert saga["state"] == "running"  # the CRM step failed once and waits to be retried
    crm_step = next(s for s in saga["steps"] if s["name"] == "erase crm/customer")
    assert crm_step["state"] == "pending" and "503" in crm_step["error"]
    for _ in range(2):  # the retries' time comes (30 s, then 60 s: moved, not waited for)
        SagaStep.objects.filter(instance_id=saga["id"], state="pending").update(
            next_attempt_at=timezone.now()
        )
        engine.advance(saga["id"])
    state = client.get(f"{BASE}/requests/{reference}", **bearer(world.steward_token)).json()
    assert state["state"] == "completed", state["saga"]
    crm_step = next(s for s in state["saga"]["steps"] if s["name"] == "erase crm/customer")
    assert crm_step["attempts"] == 3 and [e["outcome"] for e in crm_step["log"]] == ["failed", "failed", "ok"]
    assert not [r for r in world.crm.records["customers"] if r["id"] == 7]  # deleted in the CRM
    assert world.rows("SELECT full_name, email FROM sales.customers WHERE id = 7") == [("erased", None)]
    assert world.rows("SELECT count(*) FROM sales.orders WHERE customer_id = 7")[0][0] > 0  # held: kept
    assert world.rows("SELECT count(*) FROM sales.customers WHERE email IS NOT NULL")[0][0] == 49
    events_step = next(s for s in state["saga"]["steps"] if s["name"].startswith("erase events/"))
    assert events_step["result"]["action"] == "tombstoned", events_step
    assert _tombstoned(world.topic, "7")
    assert governance.consents_withdraw  # the consent given before is now withdrawn:
    from apps.governance.consent import consent_given

    assert not consent_given(subject="customer7@example.com", purpose="newsletter")
    cert = client.get(f"{BASE}/requests/{reference}/certificate", **bearer(world.steward_token)).json()
    lines = {(p["source"], p["entity_type"]): p for p in cert["places"]}
    assert lines[("warehouse", "sales.orders")]["detail"]["held_by"] == "tax-2026"
    assert lines[("warehouse", "sales.customers")]["detail"] == {"action": "anonymized", "records": 1,
                                                                "columns": ["email", "full_name"]}  # fmt: skip
    assert lines[("events", world.topic)]["detail"]["action"] == "tombstoned"
    assert cert["held"] and cert["held"][0]["entity_type"] == "sales.orders"
    text = client.get(f"{BASE}/requests/{reference}/certificate?format=text", **bearer(world.steward_token))
    assert "legal hold tax-2026" in text.content.decode()
    failed = OutboxMessage.objects.filter(
        type="dictamesh.governance.dsr.source_done", subject=f"dsr:{reference}"
    )
    assert failed.count() == 4 and all("user:steward" in e.data["owners"] for e in failed)


def test_a_source_that_keeps_failing_holds_the_request_until_a_steward_acts(client, world):
    reference = _received(client, world, "delete", email=["customer3@example.com"])
    state = _planned(client, world, reference)
    assert state["jurisdiction"] == "ccpa"
    world.crm.fail("/api/customers/3", [(500, {})] * 10)
    state = _run(client, world, reference)
    for _ in range(2):
        SagaStep.objects.filter(instance_id=state["saga"]["id"], state="pending").update(
            next_attempt_at=timezone.now()
        )
        engine.advance(state["saga"]["id"])
    state = client.get(f"{BASE}/requests/{reference}", **bearer(world.steward_token)).json()
    assert state["state"] == "running" and state["saga"]["state"] == "failed"  # held for the steward
    reported = OutboxMessage.objects.get(
        type="dictamesh.governance.dsr.source_failed", subject=f"dsr:{reference}"
    )
    assert reported.data["source"] == "crm" and "500" in reported.data["error"]
    assert set(reported.data["owners"]) >= {"user:steward", "group:sales"}  # the steward and the CRM's owners
    skipped = _post(client, f"{BASE}/requests/{reference}/skip", {"reason": "erased by hand in the CRM"},
                    world.steward_token)  # fmt: skip
    assert skipped.status_code == 200, skipped.content
    engine.advance(state["saga"]["id"])
    cert = client.get(f"{BASE}/requests/{reference}/certificate", **bearer(world.steward_token)).json()
    crm = next(p for p in cert["places"] if p["source"] == "crm")
    assert crm["done"] == "skipped" and "erased by hand in the CRM" in crm["why"]


def test_a_plain_user_can_neither_read_nor_act_on_requests(client, world):
    reference = _received(client, world, "access", email=["customer2@example.com"])
    plain = bearer(world.plain_token)
    assert client.get(f"{BASE}/requests", **plain).json() == {"items": []}
    assert client.get(f"{BASE}/requests/{reference}", **plain).status_code == 404
    assert client.get(f"{BASE}/requests/DSR-99999", **plain).status_code == 404  # the same: no oracle
    body = {"verified": True, "method": "x", "reason": "x"}
    for action in ("verify", "discover", "approve", "cancel"):
        assert (
            _post(client, f"{BASE}/requests/{reference}/{action}", body, world.plain_token).status_code == 404
        )
    created = _post(client, f"{BASE}/requests", {"kind": "access", "identifiers": {"email": ["x@example.com"]}},
                    world.plain_token)  # fmt: skip
    assert created.status_code == 403
    assert client.get(f"{BASE}/register", **plain).status_code == 403
    assert client.get(f"{BASE}/requests/{reference}/certificate", **plain).status_code == 404
    assert SubjectRequest.objects.get(pk=int(reference[4:])).state == "received"  # nothing changed
    # the event log shows the request's events to stewards only
    log = client.get("/api/v1/events/log?limit=200", **plain).json()
    assert not [e for e in log.get("items", []) if str(e.get("subject", "")).startswith("dsr:")]


def test_bad_input_is_refused_naming_the_field(client, world):
    token = world.steward_token
    bad = _post(
        client, f"{BASE}/requests", {"kind": "access", "identifiers": {"email": ["not-an-address"]}}, token
    )
    assert bad.status_code == 400 and "identifiers" in bad.json()["fields"]
    bad = _post(
        client, f"{BASE}/requests", {"kind": "forget-me", "identifiers": {"email": ["a@b.co"]}}, token
    )
    assert bad.status_code == 400 and "kind" in bad.json()["fields"]
    reference = _received(client, world, "access", email=["customer4@example.com"])
    early = _post(client, f"{BASE}/requests/{reference}/approve", None, token)
    assert early.status_code == 409  # not verified, not planned
    extended = _post(client, f"{BASE}/requests/{reference}/extend", {"days": 31, "reason": "complex"}, token)
    assert extended.status_code == 200 and extended.json()["extended_by_days"] == 31  # GDPR: two more months
    more = _post(client, f"{BASE}/requests/{reference}/extend", {"days": 40, "reason": "again"}, token)
    assert more.status_code == 400 and "days" in more.json()["fields"]
    no_reason = _post(client, f"{BASE}/requests/{reference}/extend", {"days": 1, "reason": " "}, token)
    assert no_reason.status_code == 400


def _tombstoned(topic: str, key: str) -> bool:
    """Whether the topic's latest message for ``key`` is a tombstone (a null value), and another key's is not."""
    import time
    import uuid

    from confluent_kafka import Consumer, TopicPartition
    from django.conf import settings

    consumer = Consumer({"bootstrap.servers": settings.DICTAMESH_KAFKA["bootstrap.servers"],
                         "group.id": f"t-{uuid.uuid4().hex}", "enable.auto.commit": False})  # fmt: skip
    try:
        _, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
        consumer.assign([TopicPartition(topic, 0, 0)])
        latest, offset, deadline = {}, -1, time.monotonic() + 30
        while offset < high - 1 and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=100, timeout=0.5):
                if message.error() is None:
                    latest[message.key().decode()] = message.value()
                    offset = message.offset()
    finally:
        consumer.close()
    return key in latest and latest[key] is None and latest.get("8") is not None
