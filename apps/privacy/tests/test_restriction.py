"""Restriction: each place's owner confirms it is done (the saga waits for them, holding no worker); a
cancelled request lifts the restrictions confirmed, in reverse order — the compensations."""

from __future__ import annotations

import json

import pytest

from dictamesh.events.models import OutboxMessage
from dictamesh.saga import engine
from tests.conftest import bearer

pytestmark = pytest.mark.django_db
BASE = "/api/v1/privacy"


def _post(client, path: str, body: dict | None, token: str):
    return client.post(path, json.dumps(body or {}), content_type="application/json", **bearer(token))


def _waiting(client, world, reference: str) -> dict:
    state = client.get(f"{BASE}/requests/{reference}", **bearer(world.steward_token)).json()
    step = next(s for s in state["saga"]["steps"] if s["state"] == "waiting")
    return next(p for p in state["plan"] if f"{p['source']}/{p['entity_type']}" in step["name"])


def test_owners_confirm_their_places_and_a_cancel_lifts_what_was_restricted(client, world):
    from django.contrib.auth.models import Group

    from dictamesh.auth.services import api_token_create, user_ensure

    sam = user_ensure(username="sam")  # of the sales team, which owns the CRM
    sam.groups.add(Group.objects.get_or_create(name="sales")[0])
    sam_token = api_token_create(user=sam, name="t").clear
    steward = world.steward_token
    body = {"kind": "restriction", "identifiers": {"email": ["customer7@example.com"]}, "assignee": "steward"}
    made = _post(client, f"{BASE}/requests", body, steward).json()
    reference = made["reference"]
    _post(client, f"{BASE}/requests/{reference}/verify", {"verified": True, "method": "account"}, steward)
    plan = _post(client, f"{BASE}/requests/{reference}/discover", None, steward).json()["plan"]
    assert {p["action"] for p in plan if p["records"]} == {"confirm"}
    saga = _post(client, f"{BASE}/requests/{reference}/approve", None, steward).json()["saga"]["id"]
    assert engine.advance(saga) == "waiting"
    confirmed = []
    while True:
        place = _waiting(client, world, reference)
        if place["source"] == "crm":
            break
        assert (
            _post(
                client, f"{BASE}/requests/{reference}/places/{place['id']}/confirm", {}, sam_token
            ).status_code
            == 404
        )
        assert _post(client, f"{BASE}/requests/{reference}/places/{place['id']}/confirm", {"note": "done"},
                     steward).status_code == 200  # fmt: skip
        confirmed.append(place["id"])
        assert engine.advance(saga) == "waiting"
    mine = _post(client, f"{BASE}/requests/{reference}/places/{place['id']}/confirm", {"note": "flagged in the CRM"},
                 sam_token)  # fmt: skip
    assert mine.status_code == 200 and mine.json() == {
        "reference": reference,
        "place": place["id"],
        "confirmed": True,
    }
    assert client.get(f"{BASE}/requests/{reference}", **bearer(sam_token)).status_code == 404  # its part only
    confirmed.append(place["id"])
    engine.advance(saga)
    cancelled = _post(
        client, f"{BASE}/requests/{reference}/cancel", {"reason": "the subject withdrew it"}, steward
    )
    assert cancelled.json()["state"] == "cancelled"
    assert engine.advance(saga) == "compensated"
    lifted = OutboxMessage.objects.filter(type="dictamesh.governance.dsr.source_done", subject=f"dsr:{reference}",
                                          data__action="restriction lifted").order_by("id")  # fmt: skip
    lifted_places = [e.data["place"] for e in lifted]
    assert lifted_places[-len(confirmed) :] == list(reversed(confirmed))  # in reverse, each once
    assert len(lifted_places) == len(set(lifted_places))
