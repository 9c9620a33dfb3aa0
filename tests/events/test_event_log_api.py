"""Reading the event log: REST (filters, cursor pagination), GraphQL, admin (read-only)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dictamesh.events.context import acting_as
from dictamesh.events.models import EventLog
from dictamesh.events.outbox import Change, publish_many

pytestmark = pytest.mark.django_db


@pytest.fixture
def logged(stream):
    with acting_as("user:alice"):
        publish_many([Change(stream.type("created"), f"dm:o:{i}", {"i": i}) for i in range(7)])
    with acting_as("user:bob"):
        publish_many([Change(stream.type("deleted"), "dm:o:3", {"i": 3}, before={"i": 3})])
    return stream


def test_rest_filters_and_cursor_pages(client, logged):
    first = client.get("/api/v1/events", {"type": logged.type("*"), "limit": 3}).json()
    assert len(first["items"]) == 3 and first["next_cursor"]
    second = client.get(
        "/api/v1/events", {"type": logged.type("*"), "limit": 3, "cursor": first["next_cursor"]}
    )
    third = client.get(
        "/api/v1/events", {"type": logged.type("*"), "limit": 3, "cursor": second.json()["next_cursor"]}
    )
    ids = [e["id"] for page in (first, second.json(), third.json()) for e in page["items"]]
    assert len(ids) == len(set(ids)) == 8 and third.json()["next_cursor"] is None
    newest = first["items"][0]
    assert (
        newest["type"] == logged.type("deleted")
        and newest["before"] == {"i": 3}
        and newest["actor"] == "user:bob"
    )

    by_subject = client.get("/api/v1/events", {"subject": "dm:o:3"}).json()["items"]
    assert [e["type"] for e in by_subject] == [logged.type("deleted"), logged.type("created")]
    assert len(client.get("/api/v1/events", {"actor": "user:bob"}).json()["items"]) == 1
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    assert client.get("/api/v1/events", {"since": future}).json()["items"] == []


def test_rest_detail_and_errors(client, logged):
    row = EventLog.objects.first()
    detail = client.get(f"/api/v1/events/{row.event_id}").json()
    assert detail["id"] == str(row.event_id) and detail["topic"] == logged.topic.name
    missing = client.get("/api/v1/events/not-a-uuid")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    bad = client.get("/api/v1/events", {"cursor": "garbage!!"})
    assert bad.status_code == 400 and bad.json()["fields"] == {"cursor": "invalid"}
    assert client.get("/api/v1/events", {"limit": 0}).status_code == 400
    bad_time = client.get("/api/v1/events", {"since": "yesterday"})
    assert bad_time.status_code == 400 and bad_time.json()["code"] == "invalid"
    assert "since" in bad_time.json()["fields"]


def test_graphql_events(client, logged):
    query = (
        'query($after: String) { events(type: "TYPE", first: 5, after: $after) '
        "{ items { id type subject actor data before } nextCursor } }"
    ).replace("TYPE", logged.type("*"))
    page = client.post("/graphql", {"query": query}, content_type="application/json").json()["data"]["events"]
    assert len(page["items"]) == 5 and page["nextCursor"]
    rest = client.post(
        "/graphql",
        {"query": query, "variables": {"after": page["nextCursor"]}},
        content_type="application/json",
    ).json()["data"]["events"]
    assert len(rest["items"]) == 3 and rest["nextCursor"] is None
    one = client.post(
        "/graphql",
        {"query": f'{{ event(id: "{page["items"][0]["id"]}") {{ subject }} }}'},
        content_type="application/json",
    ).json()
    assert one["data"]["event"]["subject"] == "dm:o:3"


def test_admin_is_read_only(client, logged, token):
    from dictamesh.auth.services import user_ensure

    client.force_login(user_ensure(username="root", superuser=True))
    listing = client.get("/admin/dictamesh_events/eventlog/")
    assert listing.status_code == 200 and b"dm:o:3" in listing.content
    row = EventLog.objects.first()
    page = client.get(f"/admin/dictamesh_events/eventlog/{row.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.get("/admin/dictamesh_events/eventlog/add/").status_code == 403
    assert client.get(f"/admin/dictamesh_events/eventlog/{row.pk}/delete/").status_code == 403
    assert client.get("/admin/dictamesh_events/outboxmessage/?state=pending").status_code == 200


def test_prune_keeps_the_log_and_unsent_rows(logged, settings):
    from dictamesh.events.models import OutboxMessage, ProcessedEvent
    from dictamesh.events.tasks import prune_events

    old = timezone.now() - timedelta(days=30)
    first, second = OutboxMessage.objects.order_by("id")[:2]
    OutboxMessage.objects.filter(pk=first.pk).update(sent_at=old)
    OutboxMessage.objects.filter(pk=second.pk).update(sent_at=timezone.now())
    ProcessedEvent.objects.create(consumer="c", event_id="a", processed_at=old)
    ProcessedEvent.objects.create(consumer="c", event_id="b")
    assert prune_events() == {"outbox": 1, "processed": 1}
    assert OutboxMessage.objects.count() == 7 and EventLog.objects.count() == 8
    assert list(ProcessedEvent.objects.values_list("event_id", flat=True)) == ["b"]


def test_outbox_metrics(client, logged):
    text = client.get("/metrics").content.decode()
    assert "dictamesh_outbox_backlog 8.0" in text
    assert "dictamesh_outbox_lag_seconds" in text


def test_admin_retry_clears_errors_of_unsent_rows_only(client, logged):
    from dictamesh.auth.services import user_ensure
    from dictamesh.events.models import OutboxMessage

    rows = list(OutboxMessage.objects.order_by("id"))
    OutboxMessage.objects.filter(pk=rows[0].pk).update(attempts=4, last_error="broker down")
    OutboxMessage.objects.filter(pk=rows[1].pk).update(attempts=2, last_error="old", sent_at=timezone.now())
    client.force_login(user_ensure(username="root", superuser=True))
    response = client.post(
        "/admin/dictamesh_events/outboxmessage/",
        {"action": "retry_now", "_selected_action": [rows[0].pk, rows[1].pk]},
        follow=True,
    )
    assert b"1 event(s) will be retried" in response.content
    first, second = OutboxMessage.objects.get(pk=rows[0].pk), OutboxMessage.objects.get(pk=rows[1].pk)
    assert (first.attempts, first.last_error) == (0, "")
    assert (second.attempts, second.last_error) == (2, "old")  # already sent: untouched
