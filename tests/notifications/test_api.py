"""Subscriptions (stewards) and preferences (each user's own) through REST and GraphQL; the inbox in GraphQL."""

from __future__ import annotations

import json

from apps.notifications import services
from dictamesh.auth.services import api_token_create, user_ensure
from tests.conftest import bearer

BASE = "/api/v1/notifications"


def _headers(name: str, *, staff: bool = False) -> tuple:
    user = user_ensure(username=name)
    if staff:
        user.is_staff = True
        user.save()
    return user, bearer(api_token_create(user=user, name="t").clear)


def _gql(client, query, headers, variables=None):
    response = client.post("/graphql", json.dumps({"query": query, "variables": variables or {}}),
                           content_type="application/json", **headers)  # fmt: skip
    return response.json()


def test_stewards_manage_subscriptions(db, client):
    _, steward = _headers("stella", staff=True)
    _, alice = _headers("alice")
    body = {"name": "schema-owners", "event_types": ["dictamesh.schemas.subject.*"], "channel": "email",
            "owners": True, "users": ["alice"], "filter": "data.subject == 'orders-value'",
            "fallback_channel": "inapp"}  # fmt: skip
    refused = client.post(f"{BASE}/subscriptions", json.dumps(body), content_type="application/json", **alice)
    assert refused.status_code == 403
    created = client.post(
        f"{BASE}/subscriptions", json.dumps(body), content_type="application/json", **steward
    )
    assert created.status_code == 201 and created.json()["users"] == ["alice"]
    bad = client.post(
        f"{BASE}/subscriptions",
        json.dumps({"name": "x", "event_types": [], "channel": "fax", "filter": "data.[", "users": ["nobody"]}),
        content_type="application/json", **steward,
    )  # fmt: skip
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {
        "event_types",
        "channel",
        "filter",
        "users",
    }
    not_names = client.post(  # found by schemathesis from the documented body: a 500 before
        f"{BASE}/subscriptions", json.dumps({**body, "name": "y", "users": [{}], "groups": [{"name": "x"}]}),
        content_type="application/json", **steward,
    )  # fmt: skip
    assert not_names.status_code == 400 and set(not_names.json()["fields"]) == {"users", "groups"}
    changed = client.patch(f"{BASE}/subscriptions/schema-owners", json.dumps({"enabled": False}),
                           content_type="application/json", **steward)  # fmt: skip
    assert changed.json()["enabled"] is False
    listed = _gql(client, "{ notificationSubscriptions }", steward)["data"]["notificationSubscriptions"]
    # the deployment's default subscriptions (a data migration), then this one
    assert [s["name"] for s in listed] == [
        "adapter-sync-failed-email",
        "adapter-sync-failed-inapp",
        "data-subject-requests",
        "schema-owners",
    ]
    assert client.delete(f"{BASE}/subscriptions/schema-owners", **steward).json()["deleted"] is True


def test_users_set_their_own_preferences_and_read_their_inbox(db, client):
    user, alice = _headers("alice")
    put = client.put(f"{BASE}/preferences", json.dumps({"type": "lineage.*", "channel": "email", "enabled": False}),
                     content_type="application/json", **alice)  # fmt: skip
    assert put.status_code == 200 and put.json()["enabled"] is False
    quiet = {"type": "*", "quiet_from": "22:00", "quiet_until": "07:00", "timezone": "Europe/Paris"}
    assert (
        client.put(f"{BASE}/preferences", json.dumps(quiet), content_type="application/json", **alice).json()[
            "quiet_from"
        ]
        == "22:00"
    )
    bad = client.put(f"{BASE}/preferences", json.dumps({"quiet_from": "25:99", "timezone": "Mars/Olympus"}),
                     content_type="application/json", **alice)  # fmt: skip
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"quiet_from", "timezone"}
    prefs = _gql(client, "{ notificationPreferences { type channel enabled } }", alice)["data"]
    assert {(p["type"], p["channel"], p["enabled"]) for p in prefs["notificationPreferences"]} == {
        ("lineage.*", "email", False),
        ("*", None, True),
    }
    for n in range(2):
        row = services.notify(type="t", channel="inapp", user=user, subject=f"n{n}", dedup_key=f"k{n}",
                              priority="critical")  # fmt: skip
        services.deliver(notification_id=row.pk)
    inbox = _gql(client, "{ notificationInbox { unread items { id title } } }", alice)["data"][
        "notificationInbox"
    ]
    assert inbox["unread"] == 2 and [i["title"] for i in inbox["items"]] == ["n1", "n0"]
    marked = _gql(client, "mutation { markNotificationsRead { marked } }", alice)["data"][
        "markNotificationsRead"
    ]
    assert marked == {"marked": 2}
    _, bob = _headers("bob")
    assert client.get(f"{BASE}/preferences", **bob).json()["items"] == []


def test_bodies_that_are_not_json_are_a_400_on_every_write(db, client):
    _, steward = _headers("stella", staff=True)
    _, alice = _headers("alice")
    for method, path, headers in (
        ("post", f"{BASE}/inbox/read", alice),
        ("put", f"{BASE}/preferences", alice),
        ("post", f"{BASE}/subscriptions", steward),
        ("post", "/api/v1/adapters", steward),
        ("post", "/api/v1/governance/policies", steward),
    ):
        for body in (b"\xff\xfe not utf-8", b"{not json"):
            answer = getattr(client, method)(path, body, content_type="application/json", **headers)
            assert answer.status_code == 400, (path, answer.content)
            assert answer.json()["fields"] == {"body": "JSON"}
