from __future__ import annotations

import pytest

from dictamesh.devservices.demo_source import DemoSource, demo_records
from tests.conftest import bearer, client, fresh_read_caches, token, user  # noqa: F401 - shared fixtures


@pytest.fixture
def source():
    """The demo CRM API on a local port, with a bearer token."""
    api = DemoSource(demo_records(customers=45, orders=60, invoices=25), token="s3cret").start()
    yield api
    api.stop()


@pytest.fixture
def crm_token(monkeypatch):
    monkeypatch.setenv("DICTAMESH_SECRET_CRM_TOKEN", "s3cret")


def rest_config(url: str, **overrides) -> dict:
    config = {
        "base_url": url,
        "auth": {"kind": "bearer", "token": {"env": "DICTAMESH_SECRET_CRM_TOKEN"}},
        "backoff_seconds": 0.01,
        "health_path": "health",
        "resources": [
            {
                "type": "customer", "path": "customers", "items": "/customers", "key": "/id", "name": "/name",
                "fields": {"email": "/email", "country": "/country", "tier": "/tier"}, "owners": ["group:sales"],
                "pagination": {"kind": "page", "size": 20, "size_param": "per_page"},
                "fetch_many_param": "ids", "updated_since_param": "updated_since", "updated": "/updated_at",
            },
            {
                "type": "order", "path": "orders", "items": "/data", "key": "/id",
                "fields": {"amount": "/amount", "customer": "/customer_id"},
                "pagination": {"kind": "cursor", "size": 25, "size_param": "limit", "next_cursor": "/next"},
            },
            {"type": "invoice", "path": "invoices", "key": "/number", "pagination": {"kind": "link"},
             "fields": {"total": "/total"}},
        ],
    }  # fmt: skip
    config.update(overrides)
    return config


SAMPLE_SQL = """
CREATE SCHEMA crm;
CREATE TABLE crm.customers (
    id integer PRIMARY KEY, full_name text NOT NULL, email varchar(200), phone text,
    balance numeric(12, 2), vip boolean DEFAULT false, tags text[], created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE crm.customers IS 'People who buy from us';
COMMENT ON COLUMN crm.customers.email IS 'Where invoices go';
CREATE TABLE crm.orders (
    id bigint PRIMARY KEY, customer_id integer NOT NULL REFERENCES crm.customers(id), total numeric(12, 2),
    placed date, ref uuid, notes jsonb
);
CREATE TABLE crm.audit_log (at timestamptz, line text);
CREATE VIEW crm.big_orders AS SELECT * FROM crm.orders WHERE total > 100;
INSERT INTO crm.customers (id, full_name, email, phone, balance, vip, tags)
SELECT i, 'Customer ' || i, 'c' || i || '@example.com', '+33 6 12 34 56 ' || lpad(i::text, 2, '0'), i * 10.5,
       i % 2 = 0, ARRAY['a', 'b'] FROM generate_series(1, 30) AS i;
INSERT INTO crm.orders SELECT i, 1 + i % 30, i * 7.25, date '2026-11-01' + i, gen_random_uuid(), '{"gift": true}'
FROM generate_series(1, 50) AS i;
"""


@pytest.fixture
def sample_db(db):
    """A database of its own in the embedded PostgreSQL: schema crm with customers, orders (a foreign key),
    a table without a key and a view. Yields the adapter configuration that reaches it."""
    import uuid

    import psycopg

    from dictamesh.db import server_params

    server = {**server_params(), "autocommit": True}
    name = f"dictamesh_sample_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(**server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(**{**server, "dbname": name}) as sample:
            sample.execute(SAMPLE_SQL)
        yield {"host": server["host"], "port": int(server["port"]), "database": name, "user": server["user"],
               "schemas": ["crm"], "owners": ["group:crm-team"]}  # fmt: skip
    finally:
        with psycopg.connect(**server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
