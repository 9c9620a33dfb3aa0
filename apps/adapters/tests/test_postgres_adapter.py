"""The PostgreSQL adapter against a sample database in the embedded PostgreSQL."""

from __future__ import annotations

import json

import psycopg
import pytest

from apps.adapters.contracts import InstanceIn
from dictamesh.adapters import ConfigError, PermanentError, create
from dictamesh.contracts import parse


def test_tables_become_entities_with_schemas_and_foreign_keys(sample_db):
    with create("postgresql", sample_db, instance="crmdb") as adapter:
        health = adapter.health()
        assert health.ok and health.detail.startswith("PostgreSQL")
        [batch] = list(adapter.sync())
    by_key = {c.key: c for c in batch.changes}
    assert sorted(by_key) == ["crm.audit_log", "crm.big_orders", "crm.customers", "crm.orders"]
    customers = by_key["crm.customers"]
    assert customers.description == "People who buy from us" and customers.owners == ("group:crm-team",)
    assert customers.properties["primary_key"] == ["id"] and customers.properties["kind"] == "table"
    columns = {c["name"]: c for c in customers.properties["columns"]}
    assert columns["email"] == {"name": "email", "type": "character varying(200)", "nullable": True,
                                "primary_key": False, "description": "Where invoices go"}  # fmt: skip
    assert by_key["crm.big_orders"].properties["kind"] == "view"
    [fk] = by_key["crm.orders"].relationships
    assert (fk.type, fk.source_key, fk.target_key) == ("references", "crm.orders", "crm.customers")
    assert fk.properties["columns"] == ["customer_id"] and fk.properties["references"] == ["id"]
    # the generated schemas: JSON Schema and Avro, with types, nullability and comments
    avro = json.loads(customers.schemas["AVRO"])
    fields = {f["name"]: f for f in avro["fields"]}
    assert avro["name"] == "Customers" and avro["namespace"] == "crm"
    assert fields["id"]["type"] == "int" and fields["full_name"]["type"] == "string"
    assert fields["balance"]["type"] == [
        "null",
        {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2},
    ]
    assert fields["tags"]["type"] == ["null", {"type": "array", "items": "string"}]
    assert fields["created_at"]["type"] == {"type": "long", "logicalType": "timestamp-micros"}
    schema = json.loads(customers.schemas["JSON"])
    assert schema["required"] == ["id", "full_name", "created_at"]
    assert schema["properties"]["vip"]["type"] == ["boolean", "null"]
    assert schema["properties"]["email"]["description"] == "Where invoices go"
    orders = json.loads(by_key["crm.orders"].schemas["JSON"])["properties"]
    assert orders["ref"]["format"] == "uuid" and orders["notes"] == {} and orders["id"]["type"] == "integer"


def test_an_incremental_sync_yields_only_what_changed(sample_db):
    with create("postgresql", sample_db) as adapter:
        [first] = list(adapter.sync())
        [nothing] = list(adapter.sync(checkpoint=first.checkpoint))
        assert nothing.changes == [] and nothing.checkpoint == first.checkpoint
    with psycopg.connect(host=sample_db["host"], port=sample_db["port"], user=sample_db["user"],
                         dbname=sample_db["database"], autocommit=True) as db:  # fmt: skip
        db.execute("ALTER TABLE crm.orders ADD COLUMN channel text")
        db.execute("DROP TABLE crm.audit_log")
        db.execute("CREATE TABLE crm.refunds (id int PRIMARY KEY)")
    with create("postgresql", {**sample_db, "exclude": ["crm.big_*"]}) as adapter:
        [second] = list(adapter.sync(checkpoint=first.checkpoint))
    changed = {c.key: c.deleted for c in second.changes}
    assert changed == {
        "crm.orders": False,
        "crm.refunds": False,
        "crm.audit_log": True,
        "crm.big_orders": True,
    }


def test_live_rows_by_primary_key_and_samples(sample_db):
    with create("postgresql", sample_db) as adapter:
        rows = adapter.fetch("crm.customers", ["3", "1", "999"])
        assert rows["1"]["email"] == "c1@example.com" and rows["3"]["id"] == 3 and rows["999"] is None
        assert adapter.fetch("crm.orders", ["7"])["7"]["customer_id"] == 8
        with pytest.raises(PermanentError, match="single-column primary key"):
            adapter.fetch("crm.audit_log", ["x"])
        with pytest.raises(PermanentError, match="No table"):
            adapter.fetch("crm.nope", ["1"])
        with pytest.raises(PermanentError, match="refused the query"):
            adapter.fetch("crm.customers", ["not-a-number"])
        tables = adapter.fetch("table", ["crm.customers", "crm.nope"])  # a table entity's live state
        assert tables["crm.nope"] is None and tables["crm.customers"]["size_bytes"] > 0
        assert tables["crm.customers"]["inserted"] == 30
        assert [r["id"] for r in adapter.search("crm.customers", "C12@EXAMPLE.COM")] == [
            12
        ]  # case-insensitive
        assert adapter.search("crm.customers", "+33 6 12 34 56 05")[0]["id"] == 5
        assert adapter.search("crm.orders", "anything") == []  # no text column
        sample = adapter.sample("crm.customers", limit=5)
        assert len(sample) == 5 and all("phone" in row for row in sample)


def test_a_wrong_database_or_an_unreachable_server(sample_db):
    with create("postgresql", {**sample_db, "database": "no_such_db"}) as adapter, pytest.raises(ConfigError):
        adapter.sync().__next__()
    with create("postgresql", {**sample_db, "port": 9, "connect_timeout": 1}) as adapter:
        assert not adapter.health().ok
    with pytest.raises(ConfigError, match="host and database"):
        create("postgresql", {"schemas": ["public"]}).health()


def test_discovery_lists_tables_and_each_tables_rows_with_schema_key_and_relationships(sample_db, client):
    from apps.adapters import services

    with create("postgresql", sample_db) as adapter:
        types = {t.name: t for t in adapter.discover()}
    assert set(types) == {"table", "crm.customers", "crm.orders", "crm.audit_log", "crm.big_orders"}
    customers, orders = types["crm.customers"], types["crm.orders"]
    assert customers.key == ("id",) and customers.description == "People who buy from us"
    assert customers.schema["properties"]["email"]["description"] == "Where invoices go"
    assert orders.relationships == (("references", "crm.customers"),) and types["crm.audit_log"].key == ()
    services.instance_create(
        instance=parse(
            InstanceIn, {"name": "crmdb", "kind": "postgresql", "domain": "sales", "config": sample_db}
        )
    )
    from apps.governance.tests.helpers import person

    answer = client.get("/api/v1/adapters/crmdb/discover", **person("root", superuser=True)).json()
    orders_type = next(t for t in answer["entity_types"] if t["name"] == "crm.orders")
    assert orders_type["relationships"] == [{"predicate": "references", "target": "crm.customers"}]
    assert orders_type["key"] == ["id"] and orders_type["schema"]["properties"]["total"]["type"] == [
        "number",
        "null",
    ]
    services.instance_update(
        name="crmdb",
        changes=parse(InstanceIn, {"config": {**sample_db, "port": 9, "connect_timeout": 1}}, partial=True),
    )
    down = client.get("/api/v1/adapters/crmdb/discover", **person("root", superuser=True))
    assert down.status_code == 502 and down.json()["code"] == "source_unavailable"
