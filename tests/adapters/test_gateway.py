"""The GraphQL gateway: entities' live records through their adapters — one call per source and type per
request level, cached for the entity's TTL, masked per caller, partial failures, timeouts, circuit breaker."""

from __future__ import annotations

import pytest

from apps.adapters import live, services
from apps.adapters.contracts import InstanceIn
from apps.adapters.tests.conftest import rest_config
from apps.catalog.models import CacheStatus
from apps.governance import classification
from apps.governance.contracts import FieldClassificationIn
from apps.governance.tests.helpers import gql, person
from dictamesh.contracts import parse
from dictamesh.devservices.demo_source import DemoSource, demo_records

pytestmark = pytest.mark.django_db

QUERY = """query($type: String) { entities(filter: {source: "crm", type: $type}, first: 100) {
  nodes { urn live { data source cached fetchedAt } } } }"""


@pytest.fixture
def crm(monkeypatch, settings):
    monkeypatch.setenv("DICTAMESH_SECRET_CRM_TOKEN", "s3cret")
    settings.DICTAMESH_GATEWAY_TIMEOUT_SECONDS = 2.0
    settings.DICTAMESH_GATEWAY_BREAKER_FAILURES = 2
    settings.DICTAMESH_GATEWAY_BREAKER_SECONDS = 60.0
    source = DemoSource(demo_records(customers=12, orders=5, invoices=3), token="s3cret").start()
    live.reset()
    _forget_live_records()
    services.instance_create(
        instance=parse(
            InstanceIn, {"name": "crm", "kind": "rest", "domain": "sales", "config": rest_config(source.url)}
        )
    )
    services.sync_execute(run_id=services.sync_request(name="crm").pk)
    source.calls.clear()
    yield source
    source.stop()
    live.reset()


def _forget_live_records() -> None:
    """Redis outlives a test's rolled-back database: no live record cached by an earlier test."""
    from django.core.cache import cache

    cache.delete_pattern(f"{live.LIVE_CACHE.name}:*")
    live.LIVE_CACHE.clear_local()


def _nodes(answer) -> dict[str, dict]:
    return {n["urn"]: n for n in answer["data"]["entities"]["nodes"]}


def test_live_records_come_in_one_call_per_source_and_then_from_the_cache(client, crm):
    root = person("root", superuser=True)
    answer = gql(client, QUERY, root, {"type": "customer"})
    assert "errors" not in answer, answer
    nodes = _nodes(answer)
    assert len(nodes) == 12
    first = nodes["dm:crm:customer:1"]["live"]
    assert (
        first["data"]["email"] == "customer1@example.com" and first["source"] == "crm" and not first["cached"]
    )
    [call] = crm.calls  # the twelve records in one upstream call
    assert call.startswith("/api/customers?ids=") and call.count("%2C") == 11
    assert CacheStatus.objects.filter(entity__urn="dm:crm:customer:1", fills=1).exists()
    live.LIVE_CACHE.clear_local()  # another process: L2 (Redis) answers
    again = _nodes(gql(client, QUERY, root, {"type": "customer"}))
    assert all(n["live"]["cached"] for n in again.values()) and len(crm.calls) == 1
    data_only = gql(client, '{ entity(urn: "dm:crm:customer:2") { data } }', root)
    assert data_only["data"]["entity"]["data"]["id"] == 2


def test_a_failing_source_fails_its_fields_only(client, crm):
    root = person("root", superuser=True)
    # invoices have no live fetch configured: their fields fail, naming the source; the rest stands
    answer = gql(client, '{ a: entity(urn: "dm:crm:customer:3") { urn live { data } }'
                         ' b: entity(urn: "dm:crm:invoice:INV-00001") { urn live { data } } }', root)  # fmt: skip
    assert answer["data"]["a"]["live"]["data"]["id"] == 3
    assert answer["data"]["b"] == {"urn": "dm:crm:invoice:INV-00001", "live": None}
    [error] = answer["errors"]
    assert error["path"] == ["b", "live"] and error["extensions"]["code"] == "source_unavailable"
    assert "source crm failed" in error["message"] and "dm:crm:invoice:INV-00001" in error["message"]


def test_a_slow_source_times_out_and_its_circuit_opens(client, crm, settings):
    root = person("root", superuser=True)
    settings.DICTAMESH_GATEWAY_TIMEOUT_SECONDS = 0.3
    crm.delay = 1.0
    for urn in ("dm:crm:customer:4", "dm:crm:customer:5"):  # two failures open the circuit
        answer = gql(client, f'{{ entity(urn: "{urn}") {{ urn live {{ data }} }} }}', root)
        assert answer["data"]["entity"]["urn"] == urn and answer["data"]["entity"]["live"] is None
        assert "did not answer within 0.3 s" in answer["errors"][0]["message"]
    crm.delay = 0.0
    calls = len(crm.calls)
    opened = gql(client, '{ entity(urn: "dm:crm:customer:6") { live { data } } }', root)
    assert "circuit open" in opened["errors"][0]["message"] and len(crm.calls) == calls  # not even tried
    settings.DICTAMESH_GATEWAY_BREAKER_SECONDS = 0.0  # the circuit's wait is over: one trial closes it
    closed = gql(client, '{ entity(urn: "dm:crm:customer:6") { live { data } } }', root)
    assert closed["data"]["entity"]["live"]["data"]["id"] == 6 and not live.breaker("crm").open


def test_live_records_are_masked_per_caller(client, crm):
    classification.field_classify(
        field=FieldClassificationIn(urn="dm:crm:customer:7", path="email", pii_category="email")
    )
    analyst = person("ann")
    shown = gql(client, '{ entity(urn: "dm:crm:customer:7") { live { data } } }', analyst)
    email = shown["data"]["entity"]["live"]["data"]["email"]
    assert email != "customer7@example.com" and "customer7@example.com" not in str(shown)
    root = person("root", superuser=True)
    full = gql(client, '{ entity(urn: "dm:crm:customer:7") { live { data } } }', root)
    assert (
        full["data"]["entity"]["live"]["data"]["email"] == "customer7@example.com"
    )  # from the same cache entry


def test_entities_without_an_adapter_have_no_live_data(client, crm):
    from apps.catalog import public as catalog

    catalog.ensure_home(source="manual", source_kind="manual", domain="sales")
    catalog.entities_upsert(
        items=[{"source": "manual", "type": "note", "source_key": "n1", "name": "n1", "domain": "sales"}]
    )
    answer = gql(
        client,
        '{ entity(urn: "dm:manual:note:n1") { live { data source } } }',
        person("root", superuser=True),
    )
    assert answer["data"]["entity"]["live"] == {"data": None, "source": "manual"}


def test_live_records_are_typed_by_their_schema(client, crm, sample_db):
    """A REST resource with a JSON Schema gets a GraphQL type of its own; tables and topics have theirs; the
    schema is made again when instances change, in every process (their config version)."""

    config = rest_config(crm.url)
    config["resources"][0]["schema"] = {"type": "object", "properties": {
        "id": {"type": "integer"}, "email": {"type": "string", "description": "where invoices go"},
        "tier": {"type": ["string", "null"]}, "first-seen": {"type": "string"}}}  # fmt: skip
    services.instance_update(name="crm", changes=parse(InstanceIn, {"config": config}, partial=True))
    services.instance_create(
        instance=parse(
            InstanceIn, {"name": "crmdb", "kind": "postgresql", "domain": "sales", "config": sample_db}
        )
    )
    services.sync_execute(run_id=services.sync_request(name="crmdb").pk)
    query = """{ a: entity(urn: "dm:crm:customer:2") {
        record { __typename ... on CrmCustomerRecord { id email tier } } }
      b: entity(urn: "dm:crmdb:table:crm.orders") { record { __typename ... on TableState { sizeBytes inserted } } }
      c: entity(urn: "dm:crm:order:o-0001") { record { __typename } } }"""  # fmt: skip
    answer = gql(client, query, person("root", superuser=True))
    assert answer["data"]["a"]["record"] == {"__typename": "CrmCustomerRecord", "id": 2,
                                             "email": "customer2@example.com", "tier": "bronze"}  # fmt: skip
    table = answer["data"]["b"]["record"]
    assert table["__typename"] == "TableState" and table["inserted"] == 50 and table["sizeBytes"] > 0
    assert answer["data"]["c"]["record"] is None  # orders have no schema: no type (live { data } has them)
    sdl = gql(client, "{ _service { sdl } }", person("root", superuser=True))["data"]["_service"]["sdl"]
    assert "where invoices go" in sdl and "first_seen: String" in sdl
    assert "union LiveRecord = TableState | TopicState | CrmCustomerRecord" in sdl


def test_an_instance_disabled_now_serves_no_live_data_at_the_next_request(client, crm):
    root = person("root", superuser=True)
    query = '{ entity(urn: "dm:crm:customer:4") { live { data source } } }'
    assert gql(client, query, root)["data"]["entity"]["live"]["data"]["id"] == 4  # the instance list is kept
    _forget_live_records()
    services.instance_update(
        name="crm", changes=parse(InstanceIn, {"enabled": False}, partial=True)
    )  # no reset, no timer: its config version
    assert gql(client, query, root)["data"]["entity"]["live"] == {"data": None, "source": "crm"}
    assert len(crm.calls) == 1  # the source is not asked again once its instance is disabled
    services.instance_update(name="crm", changes=parse(InstanceIn, {"enabled": True}, partial=True))
    assert gql(client, query, root)["data"]["entity"]["live"]["data"]["id"] == 4
