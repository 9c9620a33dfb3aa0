from apps.catalog import selectors, services
from apps.catalog.tests.conftest import entity


def test_register_and_get(world):
    e, status = services.entity_register(data=entity("customers", description="All customers"))
    assert status == "created"
    state = selectors.entity_get(urn=e.urn)
    assert state["urn"] == "dm:crm:table:customers"
