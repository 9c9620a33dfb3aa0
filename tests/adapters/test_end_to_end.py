"""End to end: a sync started over REST runs in a real Celery worker; when it fails, the instance's owner
hears of it through the event backbone (the notifications' default subscription, in the inbox)."""

from __future__ import annotations

import importlib
import json
import uuid

import pytest
from django.apps import apps as django_apps

from apps.adapters.models import SyncRun
from apps.adapters.tests.conftest import rest_config
from apps.catalog import public as catalog
from apps.notifications import matching
from apps.notifications.models import InboxItem, Notification
from config.events import REGISTRY
from dictamesh.auth.services import api_token_create, user_ensure
from dictamesh.devservices.demo_source import DemoSource, demo_records
from dictamesh.events.admin_ops import sync_topics
from dictamesh.events.relay import OutboxRelay
from tests.conftest import bearer, consume_until, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def source(monkeypatch):
    monkeypatch.setenv("DICTAMESH_SECRET_CRM_TOKEN", "s3cret")
    api = DemoSource(demo_records(customers=30, orders=10, invoices=5), token="s3cret").start()
    yield api
    api.stop()


def test_a_sync_runs_in_celery_and_its_failure_reaches_the_owner(client, source, celery_worker):
    sync_topics(REGISTRY.topics)
    # the default subscriptions (a data migration; a transactional test starts from an empty database)
    importlib.import_module("apps.notifications.migrations.0006_default_subscriptions").create(
        django_apps, None
    )
    matching.reset_cache()
    key = uuid.uuid4().hex[:8]
    owner = user_ensure(username=f"olivia-{key}")
    steward = user_ensure(username=f"stella-{key}")
    steward.is_staff = True
    steward.save()
    headers = bearer(api_token_create(user=steward, name="t").clear)
    name = f"crm-{key}"
    body = {"name": name, "kind": "rest", "domain": "sales", "owners": [f"user:{owner.username}"],
            "config": rest_config(source.url)}  # fmt: skip
    assert (
        client.post(
            "/api/v1/adapters", json.dumps(body), content_type="application/json", **headers
        ).status_code
        == 201
    )
    started = client.post(f"/api/v1/adapters/{name}/sync", "{}", content_type="application/json", **headers)
    assert started.status_code == 202
    run_id = started.json()["id"]
    assert wait_until(lambda: SyncRun.objects.get(pk=run_id).status not in ("queued", "running"))
    assert SyncRun.objects.get(pk=run_id).status == "succeeded"
    assert catalog.entity_ref(urn=f"dm:{name}:customer:7") is not None
    # the source breaks: the next run fails, and its owner is told
    source.fail("/api/customers", [(403, {})])
    failed = client.post(
        f"/api/v1/adapters/{name}/sync", "{}", content_type="application/json", **headers
    ).json()
    assert wait_until(lambda: SyncRun.objects.get(pk=failed["id"]).status == "failed")
    OutboxRelay().drain()
    consume_until(
        "notifications", key, lambda: Notification.objects.filter(user=owner, channel="inapp").exists()
    )
    assert wait_until(lambda: InboxItem.objects.filter(user=owner).exists())  # delivered by the worker
    item = InboxItem.objects.get(user=owner)
    assert item.notification.type == "dictamesh.adapters.sync.failed" and f"adapter:{name}" in item.title
    assert "403" in item.body
