"""The event router on the real broker: forward, transform, signed webhook, failures to the DLQ, validation."""

from __future__ import annotations

import json
import uuid

import pytest
from django.core.exceptions import ValidationError

from dictamesh.events.consumers import ConsumerRunner
from dictamesh.events.models import RoutingRule
from dictamesh.events.outbox import Change, publish_many
from dictamesh.events.registry import ConsumerSpec
from dictamesh.events.relay import OutboxRelay
from dictamesh.events.router import reset_rules_cache
from dictamesh.signing import verify
from tests.events.conftest import events_of, read_topic
from tests.fakes import FakeWebhook

pytestmark = pytest.mark.django_db(transaction=True)


def _router(stream) -> ConsumerRunner:
    spec = ConsumerSpec(
        name=f"{stream.app}-router",
        topics=(stream.topic.name,),
        handler="dictamesh.events.router.route",
        max_attempts=2,
        backoff_base=0.01,
        backoff_max=0.02,
        optimistic=False,
    )
    reset_rules_cache()
    return ConsumerRunner(spec)


def _rule(**fields) -> RoutingRule:
    rule = RoutingRule(**fields)
    rule.full_clean()
    rule.save()
    return rule


def test_forward_transform_and_webhook(stream, monkeypatch):
    big, projected = f"ext.{stream.app}.big", f"ext.{stream.app}.summary"
    monkeypatch.setenv("DICTAMESH_SECRET_ROUTER_TEST", "s3cret")
    with FakeWebhook() as hook:
        _rule(
            name="big-orders",
            action="forward",
            match_types=[stream.type("*")],
            condition="data.total > `100`",
            target_topic=big,
        )
        _rule(
            name="summaries",
            action="transform",
            match_types=[stream.type("created")],
            target_topic=projected,
            transform="{order: subject, total: data.total}",
        )
        _rule(
            name="shipped-hook",
            action="webhook",
            match_types=[stream.type("shipped")],
            webhook_url=hook.url,
            webhook_secret_env="DICTAMESH_SECRET_ROUTER_TEST",
        )
        _rule(name="disabled", action="forward", enabled=False, target_topic=big)
        events = publish_many(
            [
                Change(stream.type("created"), "dm:o:1", {"total": 50}),
                Change(stream.type("created"), "dm:o:2", {"total": 500}),
                Change(stream.type("shipped"), "dm:o:2", {"total": 500, "carrier": "x"}),
            ]
        )
        OutboxRelay().drain()
        stats = _router(stream).run(idle_timeout=2)
        assert stats.handled == 3 and stats.dead_lettered == 0

        forwarded = events_of(read_topic(big, expected=2))
        assert sorted(e.id for e in forwarded) == sorted(
            [events[1].id, events[2].id]
        )  # same ids: forwarded as is
        summaries = events_of(read_topic(projected, expected=2))
        assert sorted(e.data["total"] for e in summaries) == [50, 500]
        assert {e.data["order"] for e in summaries} == {"dm:o:1", "dm:o:2"}
        assert all(uuid.UUID(e.id) and e.id not in {x.id for x in events} for e in summaries)  # derived ids

        (call,) = hook.requests
        body = json.loads(call.body)
        assert body["id"] == events[2].id and body["data"]["carrier"] == "x"
        assert call.headers["ce-id"] == events[2].id
        assert verify("s3cret", call.headers, call.body)
        assert not verify("wrong", call.headers, call.body)


def test_a_failing_action_ends_in_the_dlq_with_its_error(stream):
    with FakeWebhook(status=500) as hook:
        _rule(name="down", action="webhook", match_types=[stream.type("*")], webhook_url=hook.url)
        publish_many([Change(stream.type("created"), "dm:o:1", {"n": 1})])
        OutboxRelay().drain()
        stats = _router(stream).run(idle_timeout=2)
        assert stats.dead_lettered == 1 and len(hook.requests) == 2  # max_attempts
    (letter,) = read_topic(stream.topic.dlq, expected=1)
    assert "answered 500" in dict(letter.headers())["dm_error"].decode()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"action": "forward", "target_topic": ""}, "target_topic"),
        ({"action": "forward", "target_topic": "bad topic!"}, "target_topic"),
        ({"action": "forward", "target_topic": "x", "condition": "data.total >"}, "condition"),
        ({"action": "transform", "target_topic": "x"}, "transform"),
        ({"action": "webhook"}, "webhook_url"),
        (
            {"action": "webhook", "webhook_url": "http://h/", "webhook_secret_env": "lower"},
            "webhook_secret_env",
        ),
        ({"action": "forward", "target_topic": "x", "match_types": "not-a-list"}, "match_types"),
    ],
)
def test_rules_are_validated(stream, fields, field):
    with pytest.raises(ValidationError) as exc:
        RoutingRule(name="r", **fields).full_clean()
    assert field in exc.value.message_dict


def test_forwarding_into_a_topic_the_router_reads_is_refused(stream):
    with pytest.raises(ValidationError, match="loop"):
        RoutingRule(name="loop", action="forward", target_topic=stream.topic.name).full_clean()


def test_admin_shows_validation_errors(client, stream):
    from dictamesh.auth.services import user_ensure

    client.force_login(user_ensure(username="root", superuser=True))
    response = client.post(
        "/admin/dictamesh_events/routingrule/add/",
        {
            "name": "bad",
            "enabled": "on",
            "priority": 1,
            "match_types": "[]",
            "action": "forward",
            "target_topic": "x",
            "condition": "data.total >",
        },
    )
    assert response.status_code == 200 and b"not a valid JMESPath expression" in response.content
    assert not RoutingRule.objects.exists()


def test_a_rule_saved_now_applies_to_the_next_event_without_a_timer(stream):
    from dictamesh.events.router import active_rules

    reset_rules_cache()
    assert [c.rule.name for c in active_rules()] == []  # compiled and kept
    rule = _rule(name="now", action="forward", match_types=[stream.type("*")], target_topic="ext.now")
    assert [c.rule.name for c in active_rules()] == ["now"]  # the save moved the config version
    rule.enabled = False
    rule.save()
    assert active_rules() == []
    rule.enabled = True
    rule.save()
    assert [c.rule.name for c in active_rules()] == ["now"]
    rule.delete()
    assert active_rules() == []
