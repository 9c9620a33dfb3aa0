"""Slack, PagerDuty, SMS and push payloads at a local receiver; fallback after the last failure; rate limits;
preferences (off, quiet hours), critical and mandatory notifications."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest
from django.core.cache import cache

from apps.notifications import preferences, services
from apps.notifications.models import Notification, Preference
from dictamesh.auth.services import user_ensure


def _notify(**fields):
    base = {"type": "lineage.impact", "subject": "orders.amount is used by 3 dashboards", "body": "details"}
    return services.notify(**{**base, **fields})


@pytest.fixture(autouse=True)
def fresh_buckets():
    cache.delete_pattern("dictamesh:notify:bucket:*")
    yield
    cache.delete_pattern("dictamesh:notify:bucket:*")


def test_slack_incoming_webhook_and_chat_post_message(db, receiver, settings):
    row = _notify(channel="slack", address=receiver.url, dedup_key="s1")
    assert services.deliver(notification_id=row.pk) is None
    sent = json.loads(receiver.requests[-1][1])
    assert sent["text"] == "orders.amount is used by 3 dashboards"
    assert sent["blocks"][0]["text"]["text"].startswith("*orders.amount")
    settings.DICTAMESH_SLACK_API_URL = receiver.url.rsplit("/", 1)[0]
    settings.DICTAMESH_SLACK_BOT_TOKEN = "xoxb-test"
    receiver.responses = [(200, {})]
    row = _notify(channel="slack", address="#data-alerts", dedup_key="s2")
    services.deliver(notification_id=row.pk)
    headers, body = receiver.requests[-1]
    assert headers["Authorization"] == "Bearer xoxb-test" and json.loads(body)["channel"] == "#data-alerts"


def test_pagerduty_trigger_and_resolve_share_a_dedup_key(db, receiver, settings):
    settings.DICTAMESH_PAGERDUTY_URL = receiver.url
    trigger = _notify(channel="pagerduty", address="R0UTINGKEY", dedup_key="p1", priority="critical",
                      payload={"pd_dedup_key": "freshness:orders"})  # fmt: skip
    resolve = _notify(channel="pagerduty", address="R0UTINGKEY", dedup_key="p2",
                      payload={"pd_dedup_key": "freshness:orders", "event_action": "resolve"})  # fmt: skip
    for row in (trigger, resolve):
        services.deliver(notification_id=row.pk)
    first, second = (json.loads(body) for _, body in receiver.requests)
    assert first["event_action"] == "trigger" and first["payload"]["severity"] == "critical"
    assert (
        first["routing_key"] == "R0UTINGKEY"
        and first["dedup_key"] == second["dedup_key"] == "freshness:orders"
    )
    assert second["event_action"] == "resolve" and "payload" not in second


def test_sms_and_push_payloads(db, receiver, settings):
    settings.DICTAMESH_SMS_URL = settings.DICTAMESH_PUSH_URL = receiver.url
    settings.DICTAMESH_SMS_TOKEN = "sms-token"
    services.deliver(notification_id=_notify(channel="sms", address="+33612345678", dedup_key="m1").pk)
    services.deliver(notification_id=_notify(channel="push", address="device-token-1", dedup_key="m2").pk)
    (sms_headers, sms), (_, push) = receiver.requests
    assert json.loads(sms) == {
        "To": "+33612345678",
        "From": "DictaMesh",
        "Body": "orders.amount is used by 3 dashboards",
    }
    assert sms_headers["Authorization"] == "Bearer sms-token"
    message = json.loads(push)["message"]
    assert message["token"] == "device-token-1" and message["notification"]["title"].startswith(
        "orders.amount"
    )


def test_after_the_last_failure_the_user_hears_on_the_fallback_channel(db, receiver, settings):
    settings.DICTAMESH_NOTIFY_MAX_ATTEMPTS = 2
    receiver.responses = [(500, {}), (502, {})]
    user = user_ensure(username="alice")
    row = _notify(channel="slack", address=receiver.url, user=user, dedup_key="f1", fallback_channel="inapp")
    services.deliver(notification_id=row.pk)
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=None)
    services.deliver(notification_id=row.pk)
    assert Notification.objects.get(pk=row.pk).status == "failed"
    fallback = Notification.objects.get(dedup_key="f1:fallback")
    assert fallback.channel == "inapp" and fallback.user == user and fallback.subject == row.subject


def test_rate_limits_queue_the_excess_and_spare_critical_ones(db, receiver, settings):
    settings.DICTAMESH_NOTIFY_RATE_PER_MINUTE = 2
    rows = [_notify(channel="webhook", address=receiver.url, dedup_key=f"r{i}") for i in range(3)]
    waits = [services.deliver(notification_id=r.pk) for r in rows]
    assert waits[:2] == [None, None] and 20 <= waits[2] <= 31  # a token every 30 s
    assert Notification.objects.get(pk=rows[2].pk).status == "pending"  # queued, not dropped
    assert Notification.objects.get(pk=rows[2].pk).attempts == 0
    urgent = _notify(channel="webhook", address=receiver.url, dedup_key="r-urgent", priority="critical")
    assert services.deliver(notification_id=urgent.pk) is None and len(receiver.requests) == 3


def test_preferences_turn_off_and_quiet_hours(db, settings):
    user = user_ensure(username="bob")
    Preference.objects.create(user=user, type="lineage.*", channel="inapp", enabled=False)
    off = _notify(channel="inapp", user=user, dedup_key="q1")
    assert off.status == "suppressed" and "preferences" in off.last_error  # recorded, not silently dropped
    critical = _notify(channel="inapp", user=user, dedup_key="q2", priority="critical")
    assert critical.status == "pending"
    settings.DICTAMESH_NOTIFY_MANDATORY_TYPES = ["lineage.*"]
    assert _notify(channel="inapp", user=user, dedup_key="q3").status == "pending"
    quiet = Preference(
        user=user, type="*", quiet_from=time(22, 0), quiet_until=time(7, 0), timezone="Europe/Paris"
    )
    late = datetime(2026, 11, 27, 22, 30, tzinfo=UTC)  # 23:30 in Paris
    assert preferences.after_quiet_hours(quiet, late) == datetime(2026, 11, 28, 6, 0, tzinfo=UTC)
    noon = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    assert preferences.after_quiet_hours(quiet, noon) == noon
    now = datetime.now(UTC)
    Preference.objects.create(user=user, type="schema.*", channel="", quiet_from=(now - timedelta(hours=1)).time(),
                              quiet_until=(now + timedelta(hours=1)).time(), timezone="UTC")  # fmt: skip
    waiting = _notify(type="schema.rejected", channel="inapp", user=user, dedup_key="q4")
    assert waiting.status == "pending" and waiting.next_attempt_at > datetime.now(UTC)
    assert services.deliver(notification_id=waiting.pk) is None  # not before its time
    assert Notification.objects.get(pk=waiting.pk).attempts == 0


def test_digests_group_what_waited_its_period(db, smtp):
    from datetime import timedelta as td

    from django.utils import timezone

    user = user_ensure(username="dora")
    user.email = "dora@example.com"
    user.save()
    Preference.objects.create(user=user, type="lineage.*", channel="email", digest="hourly")
    rows = [_notify(channel="email", address=user.email, user=user, dedup_key=f"d{i}", subject=f"impact {i}")
            for i in range(3)]  # fmt: skip
    assert all(r.status == "pending" and r.digest == "hourly" and r.next_attempt_at is None for r in rows)
    assert services.deliver(notification_id=rows[0].pk) is None and not smtp.messages  # waits for its digest
    assert services.digests() == 0  # not an hour yet
    assert services.digests(now=timezone.now() + td(hours=1, minutes=1)) == 1
    digest = Notification.objects.get(type="dictamesh.notifications.digest")
    assert digest.subject == "3 notifications (hourly digest)" and "- impact 2" in digest.body
    assert set(Notification.objects.filter(digested_in=digest).values_list("status", flat=True)) == {"sent"}
    services.deliver(notification_id=digest.pk)
    assert len(smtp.messages) == 1 and smtp.messages[0].rcpt_tos == ["dora@example.com"]
    critical = _notify(channel="email", address=user.email, user=user, dedup_key="d-now", priority="critical")
    assert critical.digest == ""  # critical ones are never held for a digest


def test_waiting_notifications_are_scheduled_once_each_for_their_own_slot(db, receiver, settings):
    """Over a recipient's rate, each notification is told when its own slot comes (reserved for it, a token
    interval after the previous one) and goes then without asking the bucket again: nothing polls."""
    from django.core.cache import cache
    from django.utils import timezone

    cache.delete_pattern("dictamesh:bucket:notify:*")
    settings.DICTAMESH_NOTIFY_RATE_PER_MINUTE = 6  # a token every 10 s, 6 at once
    rows = [_notify(channel="webhook", address=receiver.url, dedup_key=f"slot{i}") for i in range(10)]
    waits = [services.deliver(notification_id=r.pk) for r in rows]
    assert waits[:6] == [None] * 6 and len(receiver.requests) == 6
    later = waits[6:]
    assert all(b - a > 8 for a, b in zip(later, later[1:], strict=False)), later  # one interval apart each
    assert 0 < later[0] <= 11 and later[-1] <= 41
    # asked again before their time (the sweep, a redelivered task): nothing is tried, no token is taken
    assert all(services.deliver(notification_id=r.pk) is None for r in rows[6:])
    assert (
        Notification.objects.filter(pk__in=[r.pk for r in rows[6:]], attempts=0, rate_slot=True).count() == 4
    )
    # when a slot comes, its notification goes without asking the bucket (whose tokens others reserved)
    Notification.objects.filter(pk=rows[6].pk).update(next_attempt_at=timezone.now())
    assert services.deliver(notification_id=rows[6].pk) is None and len(receiver.requests) == 7
    sent = Notification.objects.get(pk=rows[6].pk)
    assert sent.status == "sent" and sent.rate_slot is False
    cache.delete_pattern("dictamesh:bucket:notify:*")
