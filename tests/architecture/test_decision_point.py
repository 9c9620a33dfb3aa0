"""The apps below governance decide through dictamesh.decision_point, whose implementation the composition
root names (DICTAMESH_DECISION_POINT): replacing it changes what the catalog serves, so no read of theirs
goes around it. The layers themselves are import-linter's contract (pyproject.toml)."""

from __future__ import annotations

import json

import pytest

from apps.catalog import services
from tests.conftest import bearer


@pytest.mark.django_db
def test_the_catalog_reads_through_the_decision_point_the_settings_name(client, settings):
    from dictamesh.auth.services import api_token_create, user_ensure

    services.domain_create(name="sales")
    services.source_create(name="crm", kind="salesforce")
    token = api_token_create(user=user_ensure(username="root", superuser=True), name="t").clear
    body = {"urn": "dm:crm:table:orders", "name": "orders", "domain": "sales"}
    created = client.post(
        "/api/v1/catalog/entities", json.dumps(body), content_type="application/json", **bearer(token)
    )
    assert created.status_code == 201, created.content
    assert settings.DICTAMESH_DECISION_POINT == "apps.governance.public"
    urn = "/api/v1/catalog/entities/dm:crm:table:orders"
    assert client.get(urn, **bearer(token)).status_code == 200
    assert len(client.get("/api/v1/catalog/entities", **bearer(token)).json()["items"]) == 1

    settings.DICTAMESH_DECISION_POINT = "tests.architecture.hiding_decision_point"
    assert client.get(urn, **bearer(token)).status_code == 404
    assert client.get("/api/v1/catalog/entities", **bearer(token)).json()["items"] == []
    assert client.get("/api/v1/catalog/search", {"q": "orders"}, **bearer(token)).json()["items"] == []


def test_a_field_a_higher_app_adds_never_replaces_one_the_type_has():
    """config/schema.py adds the registry's and adapters' fields to the catalog's Entity (ADR 0027)."""
    import graphene

    import config.schema  # noqa: F401 - the composition root, where the fields are added
    from apps.catalog.graphql.types import EntityType
    from dictamesh.graphql.schema import add_fields

    assert {"schema", "live", "data", "record"} <= set(EntityType._meta.fields)  # added at start
    with pytest.raises(ValueError, match="Entity.urn exists already"):
        add_fields(EntityType, {"urn": graphene.Field(graphene.String)})
    assert isinstance(EntityType._meta.fields["urn"].type, graphene.NonNull)  # still the catalog's own
