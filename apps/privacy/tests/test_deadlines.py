"""Deadlines: reminders 7 and 2 days before and at the breach, each once per deadline (an extension arms them
again), through notifications into the steward's inbox and the sources' owners'."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.privacy import services
from apps.privacy.contracts import ExtendIn, RequestIn
from dictamesh.events.models import OutboxMessage


def _reminders(req) -> list[str]:
    rows = OutboxMessage.objects.filter(
        subject=f"dsr:{req.reference}", type__startswith="dictamesh.governance.dsr.dead"
    )
    return [f"{r.type.rsplit('.', 1)[1]}:{r.data.get('reminder', 'breach')}" for r in rows.order_by("id")]


@pytest.mark.django_db
def test_reminders_come_once_each_and_an_extension_arms_them_again():
    from dictamesh.auth.services import user_ensure

    user_ensure(username="steward")
    req = services.request_create(request=RequestIn(kind="erasure", identifiers={"email": ["a@example.com"]},
                                                    assignee="steward"), actor="user:steward")  # fmt: skip
    deadline = services.deadline_of(req)
    assert services.deadlines_check(now=deadline - timedelta(days=20)) == 0
    assert services.deadlines_check(now=deadline - timedelta(days=6)) == 1
    assert services.deadlines_check(now=deadline - timedelta(days=5)) == 0  # once
    assert services.deadlines_check(now=deadline - timedelta(days=1)) == 1
    assert services.deadlines_check(now=deadline + timedelta(hours=1)) == 1
    assert services.deadlines_check(now=deadline + timedelta(days=2)) == 0
    assert _reminders(req) == ["deadline_near:7d", "deadline_near:2d", "deadline_breached:breach"]
    services.request_extend(reference=req.reference, extension=ExtendIn(days=30, reason="many sources"),
                            actor="user:steward")  # fmt: skip
    req.refresh_from_db()
    assert services.deadline_of(req) == deadline + timedelta(days=30)
    assert (
        services.deadlines_check(now=deadline + timedelta(days=27)) == 1
    )  # 3 days left: the 7-day one again
    breach = OutboxMessage.objects.filter(type="dictamesh.governance.dsr.deadline_breached").get()
    assert breach.data["owners"] == ["user:steward"] and "a@example.com" not in str(breach.data)


def test_a_near_deadline_reaches_the_stewards_inbox(transactional_db, celery_worker):
    """The reminder event → Kafka → the notifications consumer → an in-app notification delivered by a
    Celery worker into the assigned steward's inbox; a user the request does not name gets nothing."""
    from apps.notifications import matching
    from apps.notifications.models import InboxItem, Subscription
    from dictamesh.auth.services import user_ensure
    from dictamesh.events.admin_ops import sync_topics
    from dictamesh.events.relay import OutboxRelay
    from dictamesh.events.topics import registry
    from tests.conftest import consume_until

    sync_topics(registry().topics)
    key = uuid.uuid4().hex[:8]
    steward, bystander = user_ensure(username=f"steward-{key}"), user_ensure(username=f"bob-{key}")
    Subscription.objects.get_or_create(name="data-subject-requests", defaults={
        "event_types": ["dictamesh.governance.dsr.deadline_near"], "channel": "inapp", "owners": True})  # fmt: skip
    Subscription.objects.create(
        name=f"everything-{key}", channel="inapp", event_types=["dictamesh.governance.*"]
    )
    Subscription.objects.get(name=f"everything-{key}").users.add(bystander)  # subscribed, not named on it
    matching.reset_cache()
    received = timezone.now() - timedelta(days=25)
    req = services.request_create(request=RequestIn(kind="access", identifiers={"email": ["z@example.com"]},
                                                    assignee=steward.username, received_at=received),
                                  actor="user:intake")  # fmt: skip
    assert services.deadlines_check() == 1
    OutboxRelay().drain()
    consume_until("notifications", key, lambda: InboxItem.objects.filter(user=steward).exists())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not InboxItem.objects.filter(user=steward).exists():
        time.sleep(0.1)
    item = InboxItem.objects.get(user=steward)
    assert item.notification.type == "dictamesh.governance.dsr.deadline_near"
    assert req.reference in item.body or req.reference in item.title
    assert not InboxItem.objects.filter(user=bystander).exists()  # governance's private topic: not for him
