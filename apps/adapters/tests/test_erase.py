"""The adapters' erase capability (data-subject requests), each against its real counterpart: a PostgreSQL
database, the demo CRM API, the embedded Kafka broker."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from django.conf import settings

from dictamesh.adapters import PermanentError, create
from dictamesh.devservices.demo_source import DemoSource, demo_records


def _db(config: dict):
    return psycopg.connect(host=config["host"], port=config["port"], user=config["user"],
                           dbname=config["database"], autocommit=True)  # fmt: skip


def test_postgres_erases_only_configured_tables_by_key_and_finds_the_rows_pointing_at_them(sample_db):
    config = {**sample_db, "erasure": {"tables": {
        "crm.customers": {"mode": "anonymize", "set": {"full_name": "erased", "email": None, "phone": None}},
        "crm.orders": {"mode": "delete"}}}}  # fmt: skip
    with create("postgresql", config) as adapter:
        assert adapter.capabilities() == ["search", "sample", "erase"]
        [row] = adapter.search("crm.customers", "C3@example.com")
        assert adapter.record_key("crm.customers", row) == "3"
        related = adapter.related("crm.customers", ["3"])
        with _db(sample_db) as db:
            expected = sorted(
                str(k) for (k,) in db.execute("SELECT id FROM crm.orders WHERE customer_id = 3")
            )
        assert sorted(related["crm.orders"]) == expected and expected
        assert adapter.erase("crm.orders", related["crm.orders"]) == {"action": "deleted", "records": len(expected),
                                                                      "columns": []}  # fmt: skip
        done = adapter.erase("crm.customers", ["3", "999"])
        assert done == {"action": "anonymized", "records": 1, "columns": ["email", "full_name", "phone"]}
        with pytest.raises(PermanentError, match="not configured for erasure"):
            adapter.erase("crm.audit_log", ["1"])
    with _db(sample_db) as db:
        assert db.execute("SELECT full_name, email, phone FROM crm.customers WHERE id = 3").fetchone() == (
            "erased", None, None)  # fmt: skip
        assert db.execute("SELECT count(*) FROM crm.orders WHERE customer_id = 3").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM crm.customers WHERE email IS NOT NULL").fetchone()[0] == 29
    bad = {**sample_db, "erasure": {"tables": {"crm.customers": {"mode": "anonymize", "set": {"nope": 1}}}}}
    with create("postgresql", bad) as adapter, pytest.raises(PermanentError, match="unknown columns nope"):
        adapter.erase("crm.customers", ["4"])
    with pytest.raises(Exception, match="configuration is invalid"):  # anonymize needs set
        create("postgresql", {**sample_db, "erasure": {"tables": {"crm.customers": {"mode": "anonymize"}}}})


def test_a_postgres_session_stays_read_only_outside_erasure(sample_db):
    with create("postgresql", sample_db) as adapter, pytest.raises(PermanentError, match="read-only"):
        adapter._query("DELETE FROM crm.customers WHERE id = 1")


def test_rest_erases_by_delete_or_patch_and_a_missing_record_is_absent():
    source = DemoSource(demo_records(customers=5, orders=1, invoices=1)).start()
    try:
        resource = {"type": "customer", "path": "customers", "items": "/customers", "key": "/id",
                    "search_param": "q", "erase_method": "DELETE", "erase_path": "customers/{key}"}  # fmt: skip
        with create("rest", {"base_url": source.url, "resources": [resource], "max_retries": 0}) as adapter:
            assert adapter.erase("customer", ["2", "42"]) == {"action": "deleted", "records": 1, "absent": 1}
        assert [r["id"] for r in source.records["customers"]] == [1, 3, 4, 5]
        patch = {**resource, "erase_method": "PATCH", "erase_body": {"name": "erased", "email": None}}
        with create("rest", {"base_url": source.url, "resources": [patch]}) as adapter:
            assert adapter.erase("customer", ["3"])["action"] == "anonymized"
        assert next(r for r in source.records["customers"] if r["id"] == 3)["email"] is None
        assert "PATCH /api/customers/3" in source.calls
        with pytest.raises(Exception, match="configuration is invalid"):  # DELETE needs erase_path
            create("rest", {"base_url": source.url, "resources": [{**resource, "erase_path": ""}]})
    finally:
        source.stop()


def test_kafka_tombstones_compacted_topics_and_reports_the_others_kept_until_retention():
    from confluent_kafka.admin import AdminClient, NewTopic

    servers = settings.DICTAMESH_KAFKA["bootstrap.servers"]
    prefix = f"e{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": servers})
    day = {"cleanup.policy": "delete", "retention.ms": "86400000"}
    topics = [NewTopic(f"{prefix}.compacted", 1, 1, config={"cleanup.policy": "compact"}),
              NewTopic(f"{prefix}.log", 1, 1, config=day)]  # fmt: skip
    for future in admin.create_topics(topics).values():
        future.result(timeout=30)
    config = {"bootstrap_servers": servers, "include": [f"{prefix}.*"],
              "erasure_keys": {f"{prefix}.*": "customer_id"}}  # fmt: skip
    with create("kafka", config) as adapter:
        assert adapter.subject_topics(["customer_id"]) == {f"{prefix}.compacted": "customer_id",
                                                           f"{prefix}.log": "customer_id"}  # fmt: skip
        assert adapter.subject_topics(["email"]) == {}
        assert adapter.erase(f"{prefix}.compacted", ["7", "8"]) == {"action": "tombstoned", "records": 2}
        kept = adapter.erase(f"{prefix}.log", ["7"])
        until = datetime.fromisoformat(kept["kept_until"])
        assert kept["action"] == "kept" and kept["records"] == 0
        assert timedelta(hours=23) < until - datetime.now(UTC) <= timedelta(days=1)  # its retention: a day
        assert "retention" in kept["reason"]
        with pytest.raises(PermanentError):
            adapter.erase(f"{prefix}.missing", ["7"])
    assert _messages(servers, f"{prefix}.compacted") == [(b"7", None), (b"8", None)]  # the tombstones


def _messages(servers: str, topic: str) -> list[tuple]:
    """Every message of partition 0 until none comes for a while (the tombstones were flushed and acked)."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": servers, "group.id": f"t-{uuid.uuid4().hex}"})
    consumer.assign([TopicPartition(topic, 0, 0)])
    found, idle = [], 0
    try:
        while idle < 4 and len(found) < 2:
            batch = [m for m in consumer.consume(num_messages=10, timeout=0.5) if m.error() is None]
            idle = 0 if batch else idle + 1
            found += [(m.key(), m.value()) for m in batch]
    finally:
        consumer.close()
    return found
