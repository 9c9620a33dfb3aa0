"""Entities: register, update, deprecate, delete, restore — versions, events and errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.catalog import selectors, services
from apps.catalog.inputs import entity_input
from apps.catalog.models import Entity, EntityOwner
from apps.catalog.tests.conftest import entity, urn
from apps.catalog.urns import build_urn, parse_urn
from dictamesh.errors import Conflict, NotFound, ValidationError
from dictamesh.events.models import EventLog, OutboxMessage


def counts():
    return (
        Entity.objects.count(),
        EventLog.objects.filter(topic="dictamesh.catalog.entity.v1").count(),
        OutboxMessage.objects.count(),
        EntityOwner.objects.count(),
    )


def test_urn_scheme_round_trips_and_keeps_the_source_key_verbatim():
    value = build_urn(source="erp", entity_type="table", source_key="public.orders:2024/eu")
    assert value == "dm:erp:table:public.orders:2024/eu"
    parsed = parse_urn(value)
    assert (parsed.source, parsed.type, parsed.source_key) == ("erp", "table", "public.orders:2024/eu")
    for bad in ("urn:li:dataset:x", "dm:Bad Source:table:x", "dm:crm:table:", "dm:crm"):
        with pytest.raises(ValidationError):
            parse_urn(bad)


def test_register_stores_every_field_a_first_version_and_an_event(world):
    data = entity(
        "customers",
        display_name="Customers",
        description="Every customer we bill",
        tags=["pii", "gold"],
        classification="confidential",
        owners=[{"principal": "user:alice", "role": "steward"}, "group:sales-analytics"],
        properties={"row_count": 10},
        cache={"ttl_seconds": 60, "strategy": "ttl"},
    )
    created, status = services.entity_register(entity=entity_input(data))
    assert status == "created"
    state = selectors.entity_get(urn=created.urn, use_cache=False)
    assert state["urn"] == "dm:crm:table:customers"
    assert state["tags"] == ["gold", "pii"]
    assert state["owners"] == [
        {"principal": "group:sales-analytics", "role": "technical"},
        {"principal": "user:alice", "role": "steward"},
    ]
    assert state["cache"] == {"ttl_seconds": 60, "strategy": "ttl"}
    assert state["version"] == 1
    [version] = selectors.entity_history(urn=created.urn)
    assert version.change == "registered" and version.state["classification"] == "confidential"
    event = OutboxMessage.objects.get(subject=created.urn)
    assert event.type == "dictamesh.catalog.entity.registered"
    assert event.topic == "dictamesh.catalog.entity.v1"
    assert event.data["entity"]["name"] == "customers"
    assert EventLog.objects.get(event_id=event.event_id).after["urn"] == created.urn


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"domain": "nowhere"}, "domain"),
        ({"source": "nowhere"}, "source"),
        ({"classification": "secret"}, "classification"),
        ({"description": "x" * 20_001}, "description"),
        ({"name": "n" * 256}, "name"),
        ({"tags": ["ok", "not ok"]}, "tags"),
        ({"owners": [{"principal": "alice"}]}, "owners"),
        ({"properties": {"blob": "x" * 70_000}}, "properties"),
        ({"cache": {"ttl_seconds": -1}}, "cache.ttl_seconds"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_input_is_a_field_error_and_writes_nothing(world, changes, field):
    before = counts()
    with pytest.raises(ValidationError) as excinfo:
        services.entity_register(entity=entity_input({**entity("orders"), **changes}))
    assert field in excinfo.value.fields
    assert counts() == before


def test_duplicate_urn_is_a_conflict(world):
    services.entity_register(entity=entity_input(entity("orders")))
    before = counts()
    with pytest.raises(Conflict):
        services.entity_register(entity=entity_input(entity("orders", description="again")))
    assert counts() == before


def test_update_makes_a_version_with_the_changed_fields_and_no_change_makes_none(world):
    created, _ = services.entity_register(
        entity=entity_input(entity("orders", description="v1", properties={"a": 1}))
    )
    services.entity_update(
        urn=created.urn, changes=entity_input({"description": "v2", "properties": {"a": 2, "b": 3}})
    )
    _, status = services.entity_update(urn=created.urn, changes=entity_input({"description": "v2"}))
    assert status == "unchanged"
    versions = selectors.entity_history(urn=created.urn)
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].changed_fields == ["description", "properties"]
    diff = selectors.entity_diff(urn=created.urn, from_version=1, to_version=2)
    assert {"field": "description", "before": "v1", "after": "v2"} in diff
    assert {"field": "properties.a", "before": 1, "after": 2} in diff
    assert {"field": "properties.b", "before": None, "after": 3} in diff
    assert OutboxMessage.objects.filter(subject=created.urn).count() == 2
    with pytest.raises(ValidationError):
        services.entity_update(urn=created.urn, changes=entity_input({"source_key": "other"}))


def test_as_of_returns_the_version_current_at_a_time(world):
    before = timezone.now()
    created, _ = services.entity_register(entity=entity_input(entity("orders", description="first")))
    between = timezone.now()
    services.entity_update(urn=created.urn, changes=entity_input({"description": "second"}))
    then = selectors.entity_as_of(urn=created.urn, at=between)
    assert then.version == 1 and then.state["description"] == "first"
    assert selectors.entity_as_of(urn=created.urn, at=timezone.now()).state["description"] == "second"
    with pytest.raises(NotFound):
        selectors.entity_as_of(urn=created.urn, at=before)
    with pytest.raises(NotFound):
        selectors.entity_as_of(urn=created.urn, at=timezone.now() - timedelta(days=3))


def test_deprecate_delete_and_restore(world):
    created, _ = services.entity_register(entity=entity_input(entity("orders")))
    services.entity_deprecate(urn=created.urn, note="use orders_v2")
    state = selectors.entity_get(urn=created.urn, use_cache=False)
    assert state["deprecated"] and state["deprecation_note"] == "use orders_v2"
    services.entity_delete(urn=created.urn)
    with pytest.raises(NotFound):
        selectors.entity_get(urn=created.urn, use_cache=False)
    with pytest.raises(NotFound):
        services.entity_update(urn=created.urn, changes=entity_input({"description": "x"}))
    restored, status = services.entity_register(entity=entity_input(entity("orders", description="back")))
    assert status == "restored" and restored.version == 4
    changes = [v.change for v in selectors.entity_history(urn=created.urn)]
    assert changes == ["registered", "deprecated", "deleted", "restored"]
    types = list(
        OutboxMessage.objects.filter(subject=created.urn).order_by("id").values_list("type", flat=True)
    )
    assert types == [
        "dictamesh.catalog.entity.registered",
        "dictamesh.catalog.entity.deprecated",
        "dictamesh.catalog.entity.deleted",
        "dictamesh.catalog.entity.restored",
    ]


def test_the_database_refuses_a_second_row_with_the_same_urn(world):
    services.entity_register(entity=entity_input(entity("orders")))
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dictamesh_catalog_entity (urn, entity_type, name, display_name, description,"
            " domain_id, source_id, source_key, version, schema_subject, tags, classification, properties,"
            " cache_ttl_seconds, cache_strategy, created_at, updated_at, deprecation_note, embedding_digest)"
            " SELECT urn, entity_type, name, '', '', domain_id, source_id, source_key, 1, '', '{}', 'internal',"
            " '{}', 0, 'ttl', now(), now(), '', '' FROM dictamesh_catalog_entity WHERE urn = %s",
            [urn("orders")],
        )


def test_json_state_is_what_the_json_encoder_would_write(world):
    from apps.catalog.state import entity_state, json_state
    from dictamesh.db import jsonable

    created, _ = services.entity_register(
        entity=entity_input(entity("orders", properties={"a": [1, {"b": None}]}))
    )
    services.entity_deprecate(urn=created.urn, note="old")
    state = entity_state(selectors.entity_by_urn(urn=created.urn))
    assert state["deprecated_at"] is not None
    assert json_state(state) == jsonable(state)
