"""Bulk upsert: thousands per call, per-item results, idempotent by URN."""

from __future__ import annotations

import pytest

from apps.catalog import selectors, services
from apps.catalog.models import Entity
from apps.catalog.tests.conftest import entity
from dictamesh.events.models import EventLog, OutboxMessage


def test_bulk_upsert_stores_valid_items_reports_invalid_ones_and_is_idempotent(world):
    items = [entity(f"t{i:05d}", description=f"table {i}", owners=["user:alice"]) for i in range(2500)]
    items[10]["classification"] = "secret"
    items[1500] = {"source": "crm", "type": "table"}  # no source_key
    items[2000]["domain"] = "nowhere"
    items.append(dict(items[3]))  # the same URN twice in one call
    results = services.entities_upsert(items=items)
    assert len(results) == 2501
    assert [r.index for r in results] == list(range(2501))
    errors = {r.index: r.as_dict()["error"] for r in results if r.status == "error"}
    assert set(errors) == {10, 1500, 2000, 2500}
    assert errors[10]["fields"] == {"classification": "one of public, internal, confidential, restricted"}
    assert "source_key" in errors[1500]["fields"]
    assert errors[2000]["fields"] == {"domain": "no domain 'nowhere'"}
    assert errors[2500]["fields"] == {"urn": "duplicate"}
    assert Entity.objects.count() == 2497
    assert OutboxMessage.objects.count() == 2497
    assert EventLog.objects.filter(type="dictamesh.catalog.entity.registered").count() == 2497

    again = services.entities_upsert(items=items[:100])
    assert {r.status for r in again} == {"unchanged", "error"}
    assert OutboxMessage.objects.count() == 2497

    items[5]["description"] = "changed"
    items[6]["owners"] = ["user:bob"]
    third = services.entities_upsert(items=items[:10])
    assert [r.status for r in third][5:7] == ["updated", "updated"]
    assert third[5].version == 2
    assert Entity.objects.get(urn=third[6].urn).owners.get().principal == "user:bob"
    assert OutboxMessage.objects.count() == 2499


def test_synced_upsert_stamps_last_synced_without_a_new_version(world):
    [first] = services.entities_upsert(items=[entity("a")], synced=True)
    stamp = Entity.objects.get(urn=first.urn).last_synced_at
    assert stamp is not None
    [second] = services.entities_upsert(items=[entity("a")], synced=True)
    assert second.status == "unchanged"
    assert Entity.objects.get(urn=first.urn).last_synced_at > stamp
    assert len(selectors.entity_history(urn=first.urn)) == 1


@pytest.mark.django_db(transaction=True)
def test_bulk_upsert_outside_a_transaction_writes_batches_on_parallel_connections(world, settings):
    settings.DICTAMESH_CATALOG_BULK_WORKERS = 3
    items = [
        entity(f"p{i:05d}", owners=["user:alice", "group:data"], properties={"i": i}) for i in range(3200)
    ]
    items[1999]["domain"] = "nowhere"
    items[2999] = dict(items[5])  # a duplicate in another batch
    results = services.entities_upsert(items=items, actor="user:loader")
    assert [r.index for r in results] == list(range(3200))
    assert {r.index for r in results if r.status == "error"} == {1999, 2999}
    assert Entity.objects.count() == 3198
    assert EventLog.objects.filter(actor="user:loader", data__version=1).count() == 3198
    # one transaction per batch of 1,000: 4 batches, 4 transaction ids
    assert Entity.objects.extra(select={"tx": "xmin::text"}).values("tx").distinct().count() == 4
    row = OutboxMessage.objects.get(subject=results[42].urn)
    assert row.data["entity"]["properties"] == {"i": 42}
    assert row.data["entity"]["owners"] == [
        {"principal": "group:data", "role": "technical"},
        {"principal": "user:alice", "role": "technical"},
    ]
    assert row.actor == "user:loader"
