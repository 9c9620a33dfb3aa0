"""The demo sources `make run` configures: the demo CRM API and the demo warehouse database, synced."""

from __future__ import annotations

import pytest

from apps.adapters import demo
from apps.adapters.models import AdapterInstance
from apps.catalog import public as catalog
from dictamesh.devservices.demo_source import DemoSource

pytestmark = pytest.mark.django_db


def test_the_demo_configures_and_syncs_both_sources_once(monkeypatch, client):
    source = DemoSource().start()
    monkeypatch.setenv("DICTAMESH_DEMO_SOURCE_URL", source.url)
    try:
        first = demo.load()
        assert (
            "demo-crm succeeded (170 entities)" in first
            and "demo-warehouse succeeded (3 entities)" in first
            and "demo-events succeeded (1 entities)" in first  # its topic keyed by customer id (erasure)
        )
        again = demo.load()
        assert again.startswith(
            "demo-crm synced before, demo-warehouse synced before, demo-events synced before, warehouse lineage (0 new"
        )
        # the README's typed record: the demo CRM's customers have a schema, so a type of their own
        from django.contrib.auth import get_user_model

        client.force_login(get_user_model().objects.create_user("reader", password="x" * 20))
        answer = client.post(
            "/graphql",
            {"query": '{ entity(urn: "dm:demo-crm:customer:2") { record { ... on DemoCrmCustomerRecord '
                      "{ id email tier } } } }"},
            content_type="application/json",
        ).json()  # fmt: skip
        assert "errors" not in answer, answer
        assert answer["data"]["entity"]["record"]["tier"] in ("gold", "silver", "bronze")
    finally:
        source.stop()
    assert catalog.entity_ref(urn="dm:demo-crm:customer:1").owners == ("group:sales", "user:admin")
    assert catalog.entity_schema_subject(urn="dm:demo-warehouse:table:sales.orders") == (
        "demo-warehouse.table.sales.orders"
    )
    assert set(AdapterInstance.objects.values_list("name", flat=True)) == {
        "demo-crm",
        "demo-warehouse",
        "demo-events",
    }
    # the warehouse's lineage is reported and linked, and detection found its customers' e-mail addresses
    from apps.governance.models import FieldClassification
    from apps.lineage.models import Node

    linked = set(Node.objects.exclude(entity_urn="").values_list("entity_urn", flat=True))
    assert {
        "dm:demo-warehouse:table:sales.customers",
        "dm:demo-warehouse:table:sales.daily_revenue",
    } <= linked
    email = FieldClassification.objects.get(urn="dm:demo-warehouse:table:sales.customers", path="email")
    assert email.pii_category == "email" and email.status == "confirmed"
