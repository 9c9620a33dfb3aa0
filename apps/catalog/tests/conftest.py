from __future__ import annotations

import pytest

from apps.catalog import services


@pytest.fixture
def world(db):
    """Two domains and two source systems."""
    services.domain_create(name="sales", display_name="Sales")
    services.domain_create(name="finance", display_name="Finance")
    services.source_create(name="crm", kind="salesforce")
    services.source_create(name="erp", kind="postgresql")


def entity(key: str, *, source: str = "crm", type_: str = "table", **fields) -> dict:
    return {"source": source, "type": type_, "source_key": key, "name": key, "domain": "sales", **fields}
