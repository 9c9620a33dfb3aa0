"""The demo sources `make run` configures: the demo CRM API and the demo warehouse database, synced."""

from __future__ import annotations

import pytest

from apps.adapters import demo
from apps.adapters.models import AdapterInstance
from apps.catalog import public as catalog
from dictamesh.devservices.demo_source import DemoSource

pytestmark = pytest.mark.django_db


def test_the_demo_configures_and_syncs_both_sources_once(monkeypatch):
    source = DemoSource().start()
    monkeypatch.setenv("DICTAMESH_DEMO_SOURCE_URL", source.url)
    try:
        first = demo.load()
        assert (
            "demo-crm succeeded (170 entities)" in first and "demo-warehouse succeeded (3 entities)" in first
        )
        assert demo.load() == "demo-crm synced before, demo-warehouse synced before"
    finally:
        source.stop()
    assert catalog.entity_ref(urn="dm:demo-crm:customer:1").owners == ("group:sales", "user:admin")
    assert catalog.entity_schema_subject(urn="dm:demo-warehouse:table:sales.orders") == (
        "demo-warehouse.table.sales.orders"
    )
    assert set(AdapterInstance.objects.values_list("name", flat=True)) == {"demo-crm", "demo-warehouse"}
