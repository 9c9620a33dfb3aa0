"""Notifications' own configuration is evented like every other change: subscriptions, preferences and
templates, whichever door they came through (REST, GraphQL, the admin); the events are stewards' reading
and never carry a webhook's secret URL."""

from __future__ import annotations

import json

from apps.notifications.models import Subscription, Template
from dictamesh.auth.services import user_ensure
from dictamesh.events.models import EventLog, OutboxMessage
from tests.conftest import bearer

BASE = "/api/v1/notifications"
SECRET_URL = "https://hooks.example.com/services/T000/B000/s3cr3t-t0ken"


def _token(name: str, *, superuser: bool = False, staff: bool = False) -> dict:
    from dictamesh.auth.services import api_token_create

    user = user_ensure(username=name, superuser=superuser)
    if staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return bearer(api_token_create(user=user, name="t").clear)


def _send(client, method: str, path: str, body: dict, headers: dict):
    return getattr(client, method)(path, json.dumps(body), content_type="application/json", **headers)


def _events(prefix: str = "dictamesh.notifications.") -> list[EventLog]:
    return list(EventLog.objects.filter(type__startswith=prefix).order_by("id"))


def test_subscription_changes_are_events_without_the_webhook_secret(db, client):
    root = _token("root", superuser=True)
    body = {"name": "hooks", "event_types": ["dictamesh.catalog.entity.*"], "channel": "webhook",
            "addresses": [SECRET_URL]}  # fmt: skip
    assert _send(client, "post", f"{BASE}/subscriptions", body, root).status_code == 201
    assert _send(client, "patch", f"{BASE}/subscriptions/hooks", {"enabled": False}, root).status_code == 200
    assert _send(client, "patch", f"{BASE}/subscriptions/hooks", {"enabled": False}, root).status_code == 200
    assert client.delete(f"{BASE}/subscriptions/hooks", **root).status_code == 200

    found = _events()
    assert [e.type.rsplit(".", 1)[1] for e in found] == [
        "created",
        "updated",
        "deleted",
    ]  # no change, no event
    assert {e.topic for e in found} == {"dictamesh.notifications.config.v1"}
    assert all(e.subject == "subscription:hooks" and e.actor == "user:root" for e in found)
    created, updated, deleted = found
    assert created.after["addresses"] == ["https://hooks.example.com/…"]
    assert updated.data["changed_fields"] == ["enabled"] and updated.before["enabled"] is True
    assert deleted.before["name"] == "hooks" and deleted.data == {"name": "hooks", "deleted": True}
    for event in found:
        assert "s3cr3t" not in json.dumps([event.data, event.before, event.after])


def test_preferences_are_events_keyed_by_their_user_and_hidden_from_other_users(db, client):
    alice, bob = _token("alice"), _token("bob")
    put = _send(client, "put", f"{BASE}/preferences", {"type": "lineage.*", "enabled": False}, alice)
    assert put.status_code == 200
    assert client.delete(f"{BASE}/preferences/{put.json()['id']}", **alice).status_code == 200
    found = _events("dictamesh.notifications.preference.")
    assert [e.type for e in found] == [
        "dictamesh.notifications.preference.set",
        "dictamesh.notifications.preference.deleted",
    ]
    assert all(e.data["user"] == "user:alice" for e in found)
    keys = OutboxMessage.objects.filter(event_id__in=[e.event_id for e in found]).values_list(
        "key", flat=True
    )
    assert set(keys) == {"user:alice"}  # one user's changes stay in order on one partition
    assert found[0].data["type"] == "lineage.*" and found[1].data["deleted"] is True

    # the event log shows notification settings to those who may read governance, to no one else
    for reader in (alice, bob):
        shown = client.get("/api/v1/events", {"type": "dictamesh.notifications.preference.set"}, **reader)
        assert shown.status_code == 200 and shown.json()["items"] == []
    root = _token("root", superuser=True)
    shown = client.get("/api/v1/events", {"type": "dictamesh.notifications.preference.set"}, **root).json()
    assert [e["data"]["user"] for e in shown["items"]] == ["user:alice"]


def test_graphql_saves_are_events_and_refused_alike(db, client):
    root = _token("root", superuser=True)
    mutation = "mutation($input: GenericScalar!, $name: String) { saveNotificationSubscription(input: $input, name: $name) { subscription } }"  # noqa: E501
    good = {"name": "gql", "event_types": ["dictamesh.schemas.*"], "channel": "inapp"}
    answer = _send(client, "post", "/graphql", {"query": mutation, "variables": {"input": good}}, root).json()
    assert answer["data"]["saveNotificationSubscription"]["subscription"]["name"] == "gql"
    bad = {"input": {"enabled": "yes", "colour": "red"}, "name": "gql"}
    refused = _send(client, "post", "/graphql", {"query": mutation, "variables": bad}, root).json()
    assert refused["errors"][0]["extensions"]["fields"] == {
        "enabled": "true or false",
        "colour": "unknown field",
    }
    assert [e.type for e in _events()] == ["dictamesh.notifications.subscription.created"]


def test_the_admin_saves_through_the_same_rules_and_events(db, client):
    user = user_ensure(username="stella", superuser=True)
    client.force_login(user)
    user_ensure(username="alice")
    add = "/admin/notifications/subscription/add/"
    form = {"name": "admin-sub", "description": "", "event_types": '["dictamesh.catalog.*"]', "filter": "data.[",
            "channel": "email", "owners": "on", "addresses": "[]", "priority": "normal", "enabled": "on"}  # fmt: skip
    refused = client.post(add, form)
    assert refused.status_code == 200 and "not a JMESPath expression" in refused.content.decode()
    assert not Subscription.objects.filter(name="admin-sub").exists() and not _events()

    alice = user_ensure(username="alice")
    saved = client.post(add, {**form, "filter": "", "users": [str(alice.pk)]})
    assert saved.status_code == 302, saved.content.decode()[:2000]
    created = _events()[-1]
    assert created.type == "dictamesh.notifications.subscription.created" and created.actor == "user:stella"
    assert created.after["users"] == ["alice"]  # the members the admin saved after the row

    template = Template.objects.create(type="dictamesh.catalog.*", subject="s", body="b")
    change = f"/admin/notifications/template/{template.pk}/change/"
    tpl = {"type": "dictamesh.catalog.*", "channel": "", "language": "en", "subject": "Changed: {{ event.subject }}",
           "body": "b"}  # fmt: skip
    assert client.post(change, tpl).status_code == 302
    changed = _events("dictamesh.notifications.template.")[-1]
    assert changed.before["subject"] == "s" and changed.after["subject"] == "Changed: {{ event.subject }}"
    delete = f"/admin/notifications/template/{template.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert _events("dictamesh.notifications.template.")[-1].type == "dictamesh.notifications.template.deleted"
    assert not Template.objects.filter(pk=template.pk).exists()
