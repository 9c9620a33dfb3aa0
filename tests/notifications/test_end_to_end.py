"""End to end on the real broker: an entity changes → its event on Kafka → the notifications consumer →
a notification for the entity's owner → delivered by SMTP with the template's words."""

from __future__ import annotations

import email
import time
import uuid

import pytest

from apps.catalog import services as catalog
from apps.catalog.inputs import entity_input
from apps.notifications import matching
from apps.notifications.models import Notification, Subscription, Template
from config.events import REGISTRY
from dictamesh.auth.services import user_ensure
from dictamesh.events.admin_ops import sync_topics
from dictamesh.events.relay import OutboxRelay
from tests.conftest import consume_until

pytestmark = pytest.mark.django_db(transaction=True)


def _consume_until(key: str, done) -> None:
    consume_until("notifications", key, done)


def test_an_entity_change_reaches_its_owner_by_email(smtp, celery_worker):
    sync_topics(REGISTRY.topics)
    key = f"e2e_{uuid.uuid4().hex[:8]}"
    urn = f"dm:crm:table:{key}"
    owner = user_ensure(username=f"owner-{key}")
    owner.email = f"{key}@example.com"
    owner.save()
    catalog.domain_create(name="sales")
    catalog.source_create(name="crm", kind="salesforce")
    Subscription.objects.create(
        name=f"owners-{key}", channel="email", owners=True, event_types=["dictamesh.catalog.entity.updated"],
        filter=f"subject == '{urn}'",
    )  # fmt: skip
    Template.objects.create(
        type="dictamesh.catalog.entity.*", channel="email", subject="{{ event.subject }} changed",
        body="Changed: {{ event.data.changed_fields|join:', ' }} (version {{ event.data.version }}).",
    )  # fmt: skip
    matching.reset_cache()
    catalog.entities_upsert(
        items=[{"source": "crm", "type": "table", "source_key": key, "name": key, "domain": "sales",
                "owners": [{"principal": f"user:{owner.username}", "role": "technical"}]}]
    )  # fmt: skip
    catalog.entity_update(urn=urn, changes=entity_input({"description": "now documented"}))
    OutboxRelay().drain()
    _consume_until(key, lambda: Notification.objects.filter(address=owner.email).exists())
    sent = Notification.objects.get(address=owner.email)
    assert sent.type == "dictamesh.catalog.entity.updated" and sent.subject == f"{urn} changed"
    # the consumer's commit queued a delivery task on the Celery broker (Redis): a real worker sends it
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not smtp.messages:
        time.sleep(0.1)
    assert smtp.messages, "the Celery worker did not deliver the notification"
    message = email.message_from_bytes(smtp.messages[-1].content)
    assert message["Subject"] == f"{urn} changed" and smtp.messages[-1].rcpt_tos == [owner.email]
    assert "Changed: description (version 2)." in message.get_payload()


def test_each_recipient_gets_its_language_and_the_admin_previews(client):
    from apps.notifications.models import Profile
    from dictamesh.events.envelope import Event

    Template.objects.create(type="dictamesh.catalog.entity.*", language="en", subject="{{ event.subject }} changed",
                            body="{% translate 'Changed' %}: {{ event.data.changed_fields|join:', ' }}")  # fmt: skip
    Template.objects.create(type="dictamesh.catalog.entity.*", language="fr", subject="{{ event.subject }} a changé",
                            body="Modifié : {{ event.data.changed_fields|join:', ' }}")  # fmt: skip
    matching.reset_cache()
    french = user_ensure(username="amelie")
    Profile.objects.create(user=french, language="fr")
    event = Event(type="dictamesh.catalog.entity.updated", source="t", subject="dm:x:t:y",
                  data={"changed_fields": ["owners"]})  # fmt: skip
    assert matching.render(event, "email", "a@b.c", matching.language_of(french)) == (
        "dm:x:t:y a changé",
        "Modifié : owners",
    )
    german = user_ensure(username="dieter")
    Profile.objects.create(user=german, language="de")  # no German template: English
    assert matching.render(event, "email", "d@b.c", matching.language_of(german))[0] == "dm:x:t:y changed"
    client.force_login(user_ensure(username="root", superuser=True))
    template = Template.objects.get(language="fr")
    page = client.get(f"/admin/notifications/template/{template.pk}/change/").content.decode()
    assert "dm:crm:table:customers a changé" in page and "Modifié : description, owners" in page


def test_a_late_dataset_reaches_its_owners_inbox(celery_worker):
    """A freshness SLA breached (lineage) → its event on Kafka → an in-app notification to the dataset's
    owner (named by the OpenLineage ownership facet, recorded on its catalog entity)."""
    from datetime import timedelta

    from apps.lineage import services as lineage
    from apps.lineage.models import Freshness
    from apps.notifications.models import InboxItem

    sync_topics(REGISTRY.topics)
    key = f"f{uuid.uuid4().hex[:8]}"
    owner = user_ensure(username=f"carol-{key}")
    Subscription.objects.create(name=f"late-{key}", channel="inapp", owners=True,
                                event_types=["dictamesh.lineage.freshness.breached"])  # fmt: skip
    Template.objects.create(type="dictamesh.lineage.freshness.breached", channel="inapp",
                            subject="{{ event.data.name }} is late",
                            body="Due {{ event.data.dueAt }}, late by {{ event.data.overdueSeconds }} s.")  # fmt: skip
    matching.reset_cache()
    output = {"namespace": "warehouse", "name": f"orders_{key}", "facets": {
        "ownership": {"_producer": "https://example.com", "_schemaURL": "https://openlineage.io/spec/facets/1-0-1/OwnershipDatasetFacet.json",
                      "owners": [{"name": f"user:{owner.username}"}]}}}  # fmt: skip
    lineage.ingest(
        {"eventType": "COMPLETE", "eventTime": "2026-11-26T10:00:00Z", "producer": "https://example.com",
         "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
         "run": {"runId": str(uuid.uuid4())}, "job": {"namespace": "airflow", "name": f"load_{key}"},
         "inputs": [], "outputs": [output]}
    )  # fmt: skip
    sla = lineage.freshness_set(node_id=f"dataset:warehouse:orders_{key}", sla_seconds=3600)
    due = Freshness.objects.get(dataset__name=f"orders_{key}")
    assert lineage.freshness_check(now=due.created_at + timedelta(days=3))["breached"] >= 1
    OutboxRelay().drain()
    _consume_until(key, lambda: Notification.objects.filter(user=owner).exists())
    deadline = time.monotonic() + 60  # delivered into the inbox by the Celery worker
    while time.monotonic() < deadline and not InboxItem.objects.filter(user=owner).exists():
        time.sleep(0.1)
    item = InboxItem.objects.get(user=owner)
    assert (
        item.title == f"orders_{key} is late"
        and item.notification.type == "dictamesh.lineage.freshness.breached"
    )
    assert (
        "Due 2026-11-26T11:00:00Z" in item.body
        and sla["urn"] in item.notification.payload["event"]["subject"]
    )


def test_the_default_body_lists_an_events_data_as_a_person_reads_it(db):
    from dictamesh.events.envelope import Event

    matching.reset_cache()
    event = Event(type="dictamesh.example.thing.changed", source="t", subject="dm:x:t:y", actor="user:ada",
                  data={"entity": {"id": 714, "name": "orders", "owners": ["ada", "bob"]},
                        "changed_fields": ["owners"], "deleted": False, "note": None, "long": "x" * 500})  # fmt: skip
    subject, body = matching.render(event, "in_app", "ada")
    assert subject == "dictamesh.example.thing.changed: dm:x:t:y"
    assert "{'" not in body and "[" not in body  # no Python repr
    lines = body.splitlines()
    assert "entity.id: 714" in lines and "entity.name: orders" in lines and "entity.owners: ada, bob" in lines
    assert "changed_fields: owners" in lines and "deleted: no" in lines and "note: —" in lines
    assert f"long: {'x' * 199}…" in lines  # long values are cut
