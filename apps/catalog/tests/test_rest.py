"""REST: the /api/v1/catalog paths other tools call, and their errors."""

from __future__ import annotations

import pytest

from apps.catalog.tests.conftest import entity, urn
from tests.conftest import bearer

BASE = "/api/v1/catalog"


@pytest.fixture
def api(client, token):
    headers = bearer(token)

    def call(method, path, body=None, **params):
        kwargs = {"content_type": "application/json", **headers}
        fn = getattr(client, method)
        if body is not None:
            import json

            return fn(BASE + path, json.dumps(body), **kwargs)
        return fn(BASE + path, params, **kwargs) if method == "get" else fn(BASE + path, **kwargs)

    return call


def test_domains_sources_and_entities_round_trip(db, user, api, django_capture_on_commit_callbacks):
    user.is_staff = True  # tags are governed: changing them needs manage (a steward)
    user.save(update_fields=["is_staff"])
    assert api("post", "/domains", {"name": "sales"}).status_code == 201
    assert api("post", "/domains", {"name": "sales"}).status_code == 409
    assert api("post", "/domains", {"name": "Not A Slug"}).json()["fields"]["name"]
    assert api("post", "/sources", {"name": "crm", "kind": "salesforce"}).status_code == 201
    assert [d["name"] for d in api("get", "/domains").json()] == ["sales"]

    response = api("post", "/entities", entity("orders", description="Orders"))
    assert response.status_code == 201, response.json()
    assert response.json()["urn"] == urn("orders")
    duplicate = api("post", "/entities", entity("orders"))
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "conflict"

    assert api("get", f"/entities/{urn('orders')}").json()["description"] == "Orders"
    with django_capture_on_commit_callbacks(execute=True):
        patched = api("patch", f"/entities/{urn('orders')}", {"description": "All orders", "tags": ["gold"]})
    assert patched.status_code == 200 and patched.json()["version"] == 2
    assert api("get", f"/entities/{urn('orders')}").json()["description"] == "All orders"
    history = api("get", f"/entities/{urn('orders')}/history").json()
    assert [v["version"] for v in history["versions"]] == [1, 2]
    diff = api("get", f"/entities/{urn('orders')}/diff", **{"from": 1, "to": 2}).json()
    assert {c["field"] for c in diff["changes"]} == {"description", "tags"}

    listed = api("get", "/entities", domain="sales").json()
    assert [e["urn"] for e in listed["items"]] == [urn("orders")] and listed["next_cursor"] is None

    with django_capture_on_commit_callbacks(execute=True):
        assert api("delete", f"/entities/{urn('orders')}").json()["deleted"] is True
    assert api("get", f"/entities/{urn('orders')}").status_code == 404


def test_bulk_relationships_neighbors_search_and_retrieve(world, api):
    bulk = api("post", "/entities/bulk", {"entities": [entity("a"), entity("b"), {"source": "crm"}]})
    assert bulk.status_code == 200
    assert bulk.json()["counts"] == {"created": 2, "error": 1}
    assert bulk.json()["results"][2]["error"]["code"] == "invalid"

    added = api("post", "/relationships", {"source": urn("a"), "target": urn("b"), "predicate": "feeds"})
    assert added.status_code == 201 and added.json()["status"] == "created"
    bad = api(
        "post",
        "/relationships",
        {"source": urn("a"), "target": urn("b"), "predicate": "feeds", "confidence": 7},
    )
    assert bad.status_code == 400 and bad.json()["fields"] == {"confidence": "a number from 0 to 1"}
    missing = api("post", "/relationships", {"source": urn("a"), "target": urn("zz"), "predicate": "feeds"})
    assert missing.status_code == 400 and missing.json()["fields"]["target"].startswith("no entity")

    neighbors = api("get", f"/entities/{urn('a')}/neighbors", depth=1, direction="out").json()
    assert [n["urn"] for n in neighbors["nodes"]] == [urn("a"), urn("b")]
    assert api("get", "/path", source=urn("a"), target=urn("b")).json()["path"]["length"] == 1

    found = api("get", "/search", q="a", mode="fulltext").json()
    assert set(found) == {"mode", "total", "exact", "corrected", "items", "facets", "next_cursor"}
    assert api("get", "/search", q="a", mode="nope").status_code == 400

    removed = api("delete", f"/relationships?source={urn('a')}&target={urn('b')}&predicate=feeds")
    assert removed.status_code == 200 and removed.json()["removed"] is True
    assert (
        api("delete", f"/relationships?source={urn('a')}&target={urn('b')}&predicate=feeds").status_code
        == 404
    )

    attached = api(
        "post", f"/entities/{urn('a')}/documents", {"title": "Runbook", "content": "Restart the sync."}
    )
    assert attached.status_code == 201
    hits = api("post", "/retrieve", {"query": "restart the sync", "k": 3}).json()["results"]
    assert hits[0]["entity"]["urn"] == urn("a") and hits[0]["document"] == "Runbook"
    assert api("post", "/retrieve", {"query": "", "k": 3}).status_code == 400


def test_writes_need_a_token_and_bad_json_is_a_clear_error(world, client, token, api):
    assert client.post(BASE + "/entities", "{}", content_type="application/json").status_code == 401
    response = client.generic(
        "POST", BASE + "/entities", "{not json", content_type="application/json", **bearer(token)
    )
    assert response.status_code == 400 and response.json()["fields"] == {"body": "JSON"}
    bad = api("post", "/entities/bulk", {"entities": "nope"})
    assert bad.status_code == 400 and bad.json()["fields"] == {"entities": "array"}
    assert api("get", "/entities", cursor="garbage!").status_code == 400


def _resolved(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_the_openapi_document_describes_the_catalog_bodies(client):
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    post = paths["/api/v1/catalog/entities"]["post"]
    body = _resolved(spec, post["requestBody"]["content"]["application/json"]["schema"])
    assert {"urn", "name", "domain", "owners", "classification"} <= set(body["properties"])
    assert body["additionalProperties"] is False  # an unknown field is refused, as the API does
    answered = _resolved(spec, post["responses"]["201"]["content"]["application/json"]["schema"])
    assert {"urn", "version", "owners", "classification"} <= set(answered["properties"])
    problem = _resolved(spec, post["responses"]["400"]["content"]["application/json"]["schema"])
    assert set(problem["required"]) == {"code", "message"}
    bulk = paths["/api/v1/catalog/entities/bulk"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ]
    assert _resolved(spec, bulk)["properties"]["entities"]["type"] == "array"
    for path in ("/api/v1/catalog/relationships", "/api/v1/catalog/retrieve", "/api/v1/catalog/search"):
        assert path in paths


def test_bulk_calls_are_capped(world, api, settings):
    settings.DICTAMESH_CATALOG_BULK_MAX = 2
    response = api("post", "/entities/bulk", {"entities": [entity("a"), entity("b"), entity("c")]})
    assert response.status_code == 400 and response.json()["fields"] == {"entities": "at most 2"}
    from apps.catalog.models import Entity

    assert not Entity.objects.exists()


def test_unknown_parameters_and_fields_are_refused_with_their_names(world, api):
    """A misspelt parameter or field is an error naming it, not a silently different answer."""
    api("post", "/entities", entity("orders"))
    api("post", "/entities", entity("refunds"))
    page = api("get", "/entities", limit=1)  # every page of the REST API: limit and cursor
    assert len(page.json()["items"]) == 1 and page.json()["next_cursor"]
    listed = api("get", "/entities", first=1)  # GraphQL's word, not REST's
    assert listed.status_code == 400 and listed.json()["fields"] == {"first": "unknown parameter"}
    assert "limit" in listed.json()["message"]
    searched = api("get", "/search", query="orders")  # q is the query
    assert searched.status_code == 400 and searched.json()["fields"] == {"query": "unknown parameter"}
    assert api("get", "/search", q="orders", limit=5).json()["total"] == 1
    misspelt = {**entity("invoices"), "source_system": "crm"}
    del misspelt["source"]
    created = api("post", "/entities", misspelt)
    assert created.status_code == 400 and created.json()["fields"] == {"source_system": "unknown field"}
    changed = api("patch", f"/entities/{urn('orders')}", {"descripton": "typo"})
    assert changed.status_code == 400 and changed.json()["fields"] == {"descripton": "unknown field"}
    domain = api("post", "/domains", {"name": "ops", "owner_email": "x@example.com"})
    assert domain.status_code == 400 and domain.json()["fields"] == {"owner_email": "unknown field"}
    assert api("get", f"/entities/{urn('orders')}").json()["version"] == 1  # nothing was changed
