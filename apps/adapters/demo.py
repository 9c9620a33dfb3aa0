"""Demo sources for `make run`: the demo CRM API (REST, served by `dictamesh dev`) and a demo warehouse
database (PostgreSQL, created in the embedded server), configured as adapter instances and synced, so live
data appears in GraphQL on first start:

    { entity(urn: "dm:demo-crm:customer:1") { name live { data source cached } } }
"""

from __future__ import annotations

import logging
import os

logger = logging.getLogger("dictamesh.adapters.demo")
WAREHOUSE = "dictamesh_demo_warehouse"
WAREHOUSE_SQL = """
CREATE SCHEMA sales;
CREATE TABLE sales.customers (
    id integer PRIMARY KEY, full_name text NOT NULL, email varchar(200), country char(2),
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sales.customers IS 'Customers, as the CRM exports them nightly';
COMMENT ON COLUMN sales.customers.email IS 'Where invoices go';
CREATE TABLE sales.orders (
    id bigint PRIMARY KEY, customer_id integer NOT NULL REFERENCES sales.customers(id),
    total numeric(12, 2) NOT NULL, placed date NOT NULL
);
COMMENT ON TABLE sales.orders IS 'One row per order';
CREATE TABLE sales.daily_revenue (day date PRIMARY KEY, revenue numeric(14, 2) NOT NULL);
INSERT INTO sales.customers (id, full_name, email, country)
SELECT i, 'Customer ' || i, 'customer' || i || '@example.com', (ARRAY['FR','GB','US','DE','NL'])[1 + i % 5]
FROM generate_series(1, 50) AS i;
INSERT INTO sales.orders SELECT i, 1 + i % 50, 10 + (i * 37) % 500, date '2026-11-01' + i % 25
FROM generate_series(1, 400) AS i;
INSERT INTO sales.daily_revenue SELECT placed, sum(total) FROM sales.orders GROUP BY placed;
"""


CUSTOMER_SCHEMA = {
    "type": "object",
    "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "email": {"type": "string"},
        "phone": {"type": "string"}, "country": {"type": "string"},
        "tier": {"type": "string", "description": "gold, silver or bronze"}, "updated_at": {"type": "string"},
    },
}  # fmt: skip


def crm_config(url: str) -> dict:
    return {
        "base_url": url,
        "health_path": "health",
        "resources": [
            {"type": "customer", "path": "customers", "items": "/customers", "key": "/id", "name": "/name",
             "fields": {"country": "/country", "tier": "/tier"}, "owners": ["group:sales"],
             "schema": CUSTOMER_SCHEMA,  # typed in GraphQL: `... on DemoCrmCustomerRecord { email tier }`
             "pagination": {"kind": "page", "size": 50}, "fetch_many_param": "ids",
             "updated_since_param": "updated_since", "updated": "/updated_at",
             "search_param": "q", "erase_method": "DELETE", "erase_path": "customers/{key}"},  # data-subject requests
            {"type": "order", "path": "orders", "items": "/data", "key": "/id",
             "fields": {"amount": "/amount", "currency": "/currency", "status": "/status"},
             "pagination": {"kind": "cursor", "size": 50, "size_param": "limit", "next_cursor": "/next"}},
        ],
    }  # fmt: skip


def _warehouse() -> dict:
    """The demo warehouse database in the embedded server (made once), as a PostgreSQL adapter's config."""
    import psycopg

    from dictamesh.db import server_params

    server = {**server_params(), "autocommit": True}
    with psycopg.connect(**server) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [WAREHOUSE]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{WAREHOUSE}"')
            with psycopg.connect(**{**server, "dbname": WAREHOUSE}) as db:
                db.execute(WAREHOUSE_SQL)
    return {"host": server["host"], "port": int(server["port"]), "database": WAREHOUSE, "user": server["user"],
            "schemas": ["sales"], "owners": ["group:data-platform"], "erasure": WAREHOUSE_ERASURE}  # fmt: skip


# what a data-subject erasure does in the warehouse: a customer's row is anonymized (its orders keep their
# foreign key), the orders pointing at it are deleted
WAREHOUSE_ERASURE = {"tables": {
    "sales.customers": {"mode": "anonymize", "set": {"full_name": "erased", "email": None}},
    "sales.orders": {"mode": "delete"},
}}  # fmt: skip
EVENTS_TOPIC = "demo.crm.customers"  # a compacted topic of the CRM's customers, keyed by customer id


def _events() -> dict:
    """The demo Kafka topic (made once, with a message per customer) and a Kafka adapter's config for it."""
    import json

    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic
    from django.conf import settings

    servers = settings.KAFKA_BOOTSTRAP_SERVERS
    admin = AdminClient({"bootstrap.servers": servers})
    if EVENTS_TOPIC not in admin.list_topics(timeout=10).topics:
        futures = admin.create_topics([NewTopic(EVENTS_TOPIC, 1, 1, config={"cleanup.policy": "compact"})])
        for future in futures.values():
            future.result(timeout=30)
        producer = Producer({"bootstrap.servers": servers})
        for i in range(1, 51):
            value = {
                "id": i,
                "email": f"customer{i}@example.com",
                "tier": ["gold", "silver", "bronze"][i % 3],
            }
            producer.produce(EVENTS_TOPIC, key=str(i).encode(), value=json.dumps(value).encode())
        producer.flush(30)
    return {"bootstrap_servers": servers, "include": ["demo.*"], "owners": ["group:sales"],
            "erasure_keys": {EVENTS_TOPIC: "customer_id"}}  # fmt: skip


# how the demo warehouse's tables came to be, as its scheduler would report it (OpenLineage), so their entity
# pages draw lineage: the CRM's nightly export fills sales.customers; sales.daily_revenue sums sales.orders
LINEAGE_NAMESPACE = "postgres://demo-warehouse:5432"
WAREHOUSE_JOBS = {
    "warehouse.crm_nightly_export": ([("https://demo-crm.example/api", "customers")], ["sales.customers"],
                                     {"full_name": [("customers", "name")], "country": [("customers", "country")]}),
    "warehouse.daily_revenue": ([(LINEAGE_NAMESPACE, "sales.orders")], ["sales.daily_revenue"],
                                {"revenue": [("sales.orders", "total")], "day": [("sales.orders", "placed")]}),
}  # fmt: skip


def _warehouse_lineage() -> int:
    """Report the warehouse's jobs and link its datasets to the tables' entities; how many events were new."""
    import uuid

    from apps.lineage import public as lineage

    stored = 0
    for job, (inputs, outputs, columns) in WAREHOUSE_JOBS.items():
        namespaces = dict((name, ns) for ns, name in inputs)
        run = str(uuid.uuid5(uuid.NAMESPACE_URL, f"dictamesh-demo/{job}"))
        for state, minute in (("START", 0), ("COMPLETE", 4)):
            event = {
                "eventType": state, "eventTime": f"2026-11-30T02:{minute:02d}:00.000Z",
                "producer": "https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/airflow",
                "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
                "run": {"runId": run, "facets": {}}, "job": {"namespace": "demo-scheduler", "name": job},
                "inputs": [{"namespace": ns, "name": name} for ns, name in inputs],
                "outputs": [{"namespace": LINEAGE_NAMESPACE, "name": name, "facets": {"columnLineage": {"fields": {
                    out: {"inputFields": [{"namespace": namespaces[ds], "name": ds, "field": f} for ds, f in sources]}
                    for out, sources in columns.items()}}}} for name in outputs],
            }  # fmt: skip
            stored += lineage.openlineage_ingest(event=event, actor="system:demo") == "stored"
    for table in ("sales.customers", "sales.orders", "sales.daily_revenue"):
        lineage.dataset_link(
            node_id=f"dataset:{LINEAGE_NAMESPACE}:{table}", urn=f"dm:demo-warehouse:table:{table}"
        )
    return stored


def _warehouse_pii() -> int:
    """Detect PII in a sample of the warehouse's customers and confirm what the values prove (e-mail)."""
    from apps.governance import public as governance

    sample = [{"id": i, "full_name": f"Customer {i}", "email": f"customer{i}@example.com", "country": "FR"}
              for i in range(1, 21)]  # fmt: skip
    found = governance.fields_detect(urn="dm:demo-warehouse:table:sales.customers", rows=sample)
    for row in found:
        if row["status"] == "suggested" and "value" in row["detector"]:
            governance.field_confirm(pk=row["id"], actor="system:demo")
    return len(found)


def load() -> str:
    from . import services
    from .contracts import InstanceIn
    from .models import AdapterInstance

    made = []
    url = os.environ.get("DICTAMESH_DEMO_SOURCE_URL")
    wanted = [
        ("demo-warehouse", "postgresql", "sales", _warehouse),
        ("demo-events", "kafka", "sales", _events),
    ]
    if url:
        wanted.insert(0, ("demo-crm", "rest", "sales", lambda: crm_config(url)))
    for name, kind, domain, config in wanted:
        row = AdapterInstance.objects.filter(name=name).first()
        if row is not None and name == "demo-events":
            config()  # the embedded broker keeps nothing across restarts: its topic is made again
        if row is None:
            row = services.instance_create(
                instance=InstanceIn(name=name, kind=kind, domain=domain, config=config(), owners=["user:admin"],
                                    sync_interval_seconds=3600),
                actor="demo",
            )  # fmt: skip
        if row.last_success_at is None:
            run = services.sync_execute(
                run_id=services.sync_request(name=name, trigger="demo", enqueue=False).pk
            )
            made.append(f"{name} {run.status} ({run.counts.get('created', 0)} entities)")
        else:
            made.append(f"{name} synced before")
    made.append(f"warehouse lineage ({_warehouse_lineage()} new events), {_warehouse_pii()} PII suggestions")
    return ", ".join(made)
