"""DictaMesh as an Apollo Federation v2 subgraph: its SDL for the router, and entities resolved by URN."""

from __future__ import annotations

import pytest

from apps.catalog import public as catalog
from apps.governance.tests.helpers import gql, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def entities():
    catalog.ensure_home(source="crm", source_kind="rest", domain="sales")
    catalog.entities_upsert(items=[
        {"source": "crm", "type": "customer", "source_key": "1", "name": "Ada", "domain": "sales"},
        {"source": "crm", "type": "customer", "source_key": "2", "name": "Secret", "domain": "sales",
         "classification": "restricted"},
    ])  # fmt: skip


def test_the_subgraph_sdl_declares_entities_by_urn(client):
    sdl = gql(client, "{ _service { sdl } }")["data"]["_service"]["sdl"]
    assert 'extend schema\n\t@link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])' in sdl
    assert 'type Entity @key(fields: "urn")' in sdl
    assert "_entities(" not in sdl and "_service" not in sdl  # the router adds its own


def test_entities_are_resolved_from_representations_as_the_caller_may_see_them(client, entities):
    query = "query($r: [_Any!]!) { _entities(representations: $r) { __typename ... on Entity { urn name domain } } }"
    representations = [{"__typename": "Entity", "urn": "dm:crm:customer:1"},
                       {"__typename": "Entity", "urn": "dm:crm:customer:404"},
                       {"__typename": "Entity", "urn": "dm:crm:customer:2"}]  # fmt: skip
    root = gql(client, query, person("root", superuser=True), {"r": representations})
    assert root["data"]["_entities"] == [
        {"__typename": "Entity", "urn": "dm:crm:customer:1", "name": "Ada", "domain": "sales"},
        None,
        {"__typename": "Entity", "urn": "dm:crm:customer:2", "name": "Secret", "domain": "sales"},
    ]
    analyst = gql(client, query, person("ann"), {"r": representations})  # restricted: not for everyone
    assert [e and e["urn"] for e in analyst["data"]["_entities"]] == ["dm:crm:customer:1", None, None]
