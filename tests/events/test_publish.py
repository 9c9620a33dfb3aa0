"""publish(): outbox and event log in the caller's transaction; rollback publishes nothing; the log is append-only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from dictamesh.events import publish
from dictamesh.events.context import acting_as
from dictamesh.events.models import EventLog, OutboxMessage
from dictamesh.events.outbox import NOTIFY_CHANNEL, Change, publish_many, shard_of


@pytest.mark.django_db
def test_publish_writes_outbox_and_log_with_the_envelope(stream):
    with acting_as("user:alice"), transaction.atomic():
        event = publish(
            type=stream.type("created"),
            subject="dm:shop:order:42",
            data={"total": 10, "at": datetime(2026, 1, 2, tzinfo=UTC), "id": uuid.UUID(int=7)},
            before=None,
            after={"total": 10},
        )
    row = OutboxMessage.objects.get(event_id=event.id)
    assert row.topic == stream.topic.name and row.key == "dm:shop:order:42"
    assert row.shard == shard_of("dm:shop:order:42") and row.sent_at is None
    assert row.data == {
        "total": 10,
        "at": "2026-01-02T00:00:00Z",
        "id": "00000000-0000-0000-0000-000000000007",
    }
    assert row.actor == "user:alice" and row.source == "dictamesh"
    log = EventLog.objects.get(event_id=event.id)
    assert log.type == stream.type("created") and log.after == {"total": 10} and log.before is None
    assert log.topic == stream.topic.name and log.actor == "user:alice"


@pytest.mark.django_db
def test_rolled_back_transaction_publishes_nothing(stream):
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(type=stream.type("created"), subject="dm:shop:order:1", data={})
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists() and not EventLog.objects.exists()


@pytest.mark.django_db
def test_publish_many_and_explicit_keys(stream):
    events = publish_many(
        [Change(stream.type("created"), f"dm:shop:order:{i}", {"i": i}, key="customer-7") for i in range(5)]
    )
    rows = list(OutboxMessage.objects.order_by("id"))
    assert [r.data["i"] for r in rows] == [0, 1, 2, 3, 4]
    assert {r.key for r in rows} == {"customer-7"} and len({e.id for e in events}) == 5


@pytest.mark.django_db
def test_embedded_after_state_is_sent_once_and_stored_whole(stream):
    after = {"name": "orders", "owners": ["user:alice"]}
    plain = Change(stream.type("updated"), "dm:shop:order:8", {"n": 8, "version": 2})
    [event, other] = publish_many(
        [
            Change(
                stream.type("updated"),
                "dm:shop:order:7",
                {"version": 2, "entity": after},
                before={"name": "old"},
                after=after,
                json_ready=True,
                embed_after="entity",
            ),
            plain,
        ]
    )
    assert event.data == {"version": 2, "entity": after}
    assert OutboxMessage.objects.get(event_id=event.id).data == {"version": 2, "entity": after}
    log = EventLog.objects.get(event_id=event.id)
    assert (log.data, log.after, log.before) == ({"version": 2, "entity": after}, after, {"name": "old"})
    assert OutboxMessage.objects.get(event_id=other.id).data == {"n": 8, "version": 2}

    with pytest.raises(ValueError, match="is not its after state"):
        publish_many(
            [
                Change(
                    stream.type("updated"), "dm:shop:order:9", {"entity": {}}, after={}, embed_after="entity"
                )
            ]
        )


@pytest.mark.django_db
def test_undeclared_topic_and_bad_type_are_clear_errors(stream):
    with pytest.raises(KeyError, match="not declared"):
        publish(type="dictamesh.nowhere.things.created", subject="s", data={})
    with pytest.raises(ValueError, match="must look like"):
        publish(type="created", subject="s", data={})
    assert not OutboxMessage.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_event_log_refuses_update_and_delete(stream):
    event = publish(type=stream.type("created"), subject="dm:shop:order:9", data={"v": 1})
    with pytest.raises(DatabaseError, match="append-only"):
        EventLog.objects.filter(event_id=event.id).update(data={"v": 2})
    with pytest.raises(DatabaseError, match="append-only"):
        EventLog.objects.filter(event_id=event.id).delete()
    with pytest.raises(DatabaseError, match="append-only"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM dictamesh_events_event_log")
    assert EventLog.objects.get(event_id=event.id).data == {"v": 1}


@pytest.mark.django_db(transaction=True)
def test_commit_wakes_the_relay_and_rollback_does_not(stream):
    from dictamesh.events.relay import _conninfo

    with psycopg.connect(**_conninfo(), autocommit=True) as listener:
        listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        with pytest.raises(RuntimeError), transaction.atomic():
            publish(type=stream.type("created"), subject="dm:a", data={})
            raise RuntimeError
        assert list(listener.notifies(timeout=0.5, stop_after=1)) == []
        with transaction.atomic():
            for i in range(3):
                publish(type=stream.type("created"), subject=f"dm:{i}", data={})
        notes = list(listener.notifies(timeout=2, stop_after=5))
        assert [n.channel for n in notes] == [NOTIFY_CHANNEL]  # one wake-up per transaction


@pytest.mark.django_db
def test_token_events_record_state_without_secrets(user):
    from dictamesh.auth.services import api_token_create, api_token_revoke

    issued = api_token_create(user=user, name="ci")
    api_token_revoke(token_id=issued.token.pk, actor=user)
    created, revoked = EventLog.objects.order_by("id")
    assert created.type == "dictamesh.auth.token.created" and created.after["state"] == "active"
    assert revoked.type == "dictamesh.auth.token.revoked"
    assert revoked.before["state"] == "active" and revoked.after["state"] == "revoked"
    assert revoked.actor == "user:alice"
    secret = issued.clear.split("_", 2)[2]
    for row in (created, revoked):
        assert secret not in str(row.data) and issued.token.digest not in str(row.data)
    assert OutboxMessage.objects.filter(topic="dictamesh.auth.token.v1").count() == 2


@pytest.mark.django_db
def test_requests_name_their_user_as_actor(client, token):
    from tests.conftest import bearer

    client.post("/api/v1/auth/tokens", {"name": "x"}, content_type="application/json", **bearer(token))
    assert EventLog.objects.order_by("-id").first().actor == "user:alice"
