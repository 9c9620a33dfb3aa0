"""Bulk upsert: thousands per call, per-item results, idempotent by URN."""

from __future__ import annotations

from apps.catalog import services
from apps.catalog.models import Entity, EntityVersion
from apps.catalog.tests.conftest import entity
from dictamesh.events.models import OutboxMessage


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
    assert EntityVersion.objects.count() == 2497

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
    assert EntityVersion.objects.filter(urn=first.urn).count() == 1
