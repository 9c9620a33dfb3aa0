"""Hole 2: notifications are rendered per recipient through the decision point and masking of a read.

On the real path: catalog writes → outbox → Kafka → the notifications consumer. A recipient who may not
read an entity gets nothing about it; confirmed PII reaches it masked; an outbound address is told as its
subscription's ``send_as`` user (anonymous without one); sensitive values sent unmasked are audited."""

from __future__ import annotations

import json
import uuid

import pytest

from apps.catalog import services as catalog
from apps.catalog.inputs import entity_input
from apps.governance.tests.helpers import CARD, person, urn
from apps.governance.tests.test_masking import classify
from apps.notifications import matching
from apps.notifications.models import Notification, Subscription
from config.events import REGISTRY
from dictamesh.auth.services import user_ensure
from dictamesh.events.admin_ops import sync_topics
from dictamesh.events.models import EventLog
from dictamesh.events.relay import OutboxRelay
from tests.conftest import consume_until

pytestmark = pytest.mark.django_db(transaction=True)
SSN = "078-05-1120"


def _text(notification: Notification) -> str:
    return json.dumps([notification.subject, notification.body, notification.payload])


@pytest.fixture
def changed(world, client):
    import importlib

    from django.apps import apps

    importlib.import_module("apps.governance.migrations.0001_initial").seed(apps, None)  # flushed: seed again
    steward = person("stella", staff=True)
    classify(client, steward, "card", "credit_card", "restricted")
    body = {
        "urn": urn("salaries"),
        "path": "ssn",
        "pii_category": "national_id",
        "classification": "restricted",
    }
    assert client.post("/api/v1/governance/fields", json.dumps(body), content_type="application/json",
                       **steward).status_code == 201  # fmt: skip
    alice, olga = user_ensure(username="alice"), user_ensure(username="olga")
    types = ["dictamesh.catalog.entity.*"]
    inbox = Subscription.objects.create(name="everything", channel="inapp", event_types=types)
    inbox.users.set([alice])
    Subscription.objects.create(name="owners", channel="inapp", event_types=types, owners=True)
    key = uuid.uuid4().hex[:8]
    Subscription.objects.create(name="hook", channel="webhook", event_types=types,
                                addresses=[f"http://127.0.0.1:9/{key}"])  # fmt: skip
    hook = Subscription.objects.create(name="hook-as-root", channel="webhook", event_types=types,
                                       addresses=[f"http://127.0.0.1:9/root-{key}"])  # fmt: skip
    hook.send_as = user_ensure(username="root", superuser=True)
    hook.save()
    matching.reset_cache()
    sync_topics(REGISTRY.topics)
    catalog.entity_update(
        urn=urn("salaries"), changes=entity_input({"properties": {"ssn": SSN, "amount": 4200}})
    )
    catalog.entity_update(urn=urn("customers"), changes=entity_input({"description": f"changed {key}"}))
    OutboxRelay().drain()
    consume_until("notifications", key, lambda: Notification.objects.filter(address__endswith=key).count() >= 2
                  and Notification.objects.filter(address__endswith=f"root-{key}").count() >= 2)  # fmt: skip
    return {"alice": alice, "olga": olga, "key": key}


def test_a_plain_recipient_hears_nothing_of_what_it_may_not_read(changed):
    mine = list(Notification.objects.filter(user=changed["alice"]))
    assert mine and all(urn("salaries") not in _text(n) and SSN not in _text(n) for n in mine)
    customers = [n for n in mine if urn("customers") in _text(n)]
    assert customers and all(CARD not in _text(n) for n in customers)  # confirmed PII masked
    hook = list(Notification.objects.filter(address__endswith=f"/{changed['key']}"))
    assert hook and all(urn("salaries") not in _text(n) and CARD not in _text(n) for n in hook)


def test_owners_and_a_send_as_principal_hear_what_they_may_read_and_it_is_audited(changed):
    olga = list(Notification.objects.filter(user=changed["olga"]))
    assert any(SSN in _text(n) for n in olga)  # the owner reads its own data unmasked
    audited = EventLog.objects.filter(type="dictamesh.governance.access.sensitive_read", actor="user:olga")
    assert audited.exists() and urn("salaries") in json.dumps(audited.first().data)
    root = list(Notification.objects.filter(address__endswith=f"root-{changed['key']}"))
    assert any(SSN in _text(n) for n in root)
