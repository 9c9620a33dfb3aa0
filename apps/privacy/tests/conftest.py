"""A small world of sources for data-subject requests, on real services: the demo CRM API (REST), a demo
warehouse database (PostgreSQL, its own database in the test server), a compacted Kafka topic keyed by
customer id — each an adapter instance — and a steward (staff) and a plain user, with tokens."""

from __future__ import annotations

import contextlib
import json
import uuid
from dataclasses import dataclass

import pytest

from dictamesh.devservices.demo_source import DemoSource, demo_records
from tests.conftest import celery_worker, client, fresh_read_caches  # noqa: F401 - shared fixtures


@dataclass
class World:
    crm: DemoSource
    warehouse: dict
    topic: str
    steward: object
    steward_token: str
    plain_token: str

    def rows(self, sql: str, params=()) -> list[tuple]:
        import psycopg

        with psycopg.connect(**{**self.warehouse["server"], "dbname": self.warehouse["database"]}) as db:
            return db.execute(sql, params).fetchall()


def _sync(name: str) -> None:
    from apps.adapters import services

    run = services.sync_execute(run_id=services.sync_request(name=name, trigger="test", enqueue=False).pk)
    assert run.status == "succeeded", run.error


@pytest.fixture
def world(db, settings):
    import psycopg
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic
    from django.contrib.auth.models import User

    from apps.adapters import services
    from apps.adapters.contracts import InstanceIn
    from apps.adapters.demo import WAREHOUSE_ERASURE, WAREHOUSE_SQL, crm_config
    from apps.governance import public as governance
    from dictamesh.auth.services import api_token_create, user_ensure
    from dictamesh.db import server_params

    crm = DemoSource(demo_records(customers=20, orders=40, invoices=5)).start()
    server = {**server_params(), "autocommit": True}
    name = f"dictamesh_dsr_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(**{**server, "dbname": name}) as wh:
        wh.execute(WAREHOUSE_SQL)
    servers = settings.DICTAMESH_KAFKA["bootstrap.servers"]
    topic = f"dsr{uuid.uuid4().hex[:8]}.customers"
    admin = AdminClient({"bootstrap.servers": servers})
    for future in admin.create_topics([NewTopic(topic, 1, 1, config={"cleanup.policy": "compact"})]).values():
        future.result(timeout=30)
    producer = Producer({"bootstrap.servers": servers})
    for i in range(1, 11):
        producer.produce(
            topic, key=str(i).encode(), value=json.dumps({"id": i, "email": f"customer{i}@example.com"})
        )
        producer.flush(30)
    warehouse = {"host": server["host"], "port": int(server["port"]), "database": name, "user": server["user"],
                 "schemas": ["sales"], "owners": ["group:data-platform"], "erasure": WAREHOUSE_ERASURE}  # fmt: skip
    crm_conf = crm_config(crm.url) | {"max_retries": 0, "backoff_seconds": 0.01}
    for instance, kind, config in (
        ("crm", "rest", crm_conf),
        ("warehouse", "postgresql", warehouse),
        ("events", "kafka", {"bootstrap_servers": servers, "include": [topic], "owners": ["group:streaming"],
                             "erasure_keys": {topic: "customer_id"}}),
    ):  # fmt: skip
        services.instance_create(instance=InstanceIn(name=instance, kind=kind, domain="sales", config=config,
                                                     owners=["user:admin"]), actor="test")  # fmt: skip
    _sync("warehouse")
    sample = [
        {"id": i, "full_name": f"Customer {i}", "email": f"customer{i}@example.com"} for i in range(1, 21)
    ]
    for row in governance.fields_detect(urn="dm:warehouse:table:sales.customers", rows=sample):
        if row["path"] == "email":
            governance.field_confirm(pk=row["id"], actor="test")
    steward = user_ensure(username="steward")
    User.objects.filter(pk=steward.pk).update(is_staff=True)
    steward.refresh_from_db()
    plain = user_ensure(username="alice")
    yield World(
        crm,
        {"server": server, "database": name},
        topic,
        steward,
        api_token_create(user=steward, name="t").clear,
        api_token_create(user=plain, name="t").clear,
    )
    crm.stop()
    with psycopg.connect(**server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin_client = AdminClient({"bootstrap.servers": servers})
    for future in admin_client.delete_topics([topic]).values():
        with contextlib.suppress(Exception):  # best effort: the broker is ephemeral
            future.result(timeout=30)
