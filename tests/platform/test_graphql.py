"""/graphql: DataLoaders batch per request, depth and alias limits, errors as {message, extensions.code}."""

from __future__ import annotations

import json

import graphene
import pytest
from django.test import RequestFactory, override_settings
from graphql_sync_dataloaders import SyncDataLoader

from dictamesh.errors import NotFound
from dictamesh.graphql.loaders import loader_for, prime
from dictamesh.graphql.view import DictaMeshGraphQLView

BATCHES: list[list[int]] = []


class OwnerLoader(SyncDataLoader):
    def __init__(self):
        super().__init__(self.batch)

    @staticmethod
    def batch(keys):
        BATCHES.append(list(keys))
        return [f"owner-{key % 3}" for key in keys]


class Item(graphene.ObjectType):
    id = graphene.Int(required=True)
    owner = graphene.String()
    child = graphene.Field(lambda: Item)
    strict = graphene.String(required=True)

    @staticmethod
    def resolve_owner(root, info):
        return loader_for(info, OwnerLoader).load(root["id"])

    @staticmethod
    def resolve_child(root, info):
        return {"id": root["id"] + 1000}

    @staticmethod
    def resolve_strict(root, info):
        if root["id"] % 2:
            raise NotFound(f"item {root['id']} has no strict value")
        return "ok"


class Query(graphene.ObjectType):
    items = graphene.List(graphene.NonNull(Item), count=graphene.Int(default_value=50))
    boom = graphene.String()

    @staticmethod
    def resolve_items(root, info, count):
        return [{"id": i} for i in range(count)]

    @staticmethod
    def resolve_boom(root, info):
        raise RuntimeError("secret internals")


SCHEMA = graphene.Schema(query=Query)


def run(query: str, **settings):
    request = RequestFactory().post("/graphql", json.dumps({"query": query}), content_type="application/json")
    request.user = None
    request.auth_token = None
    with override_settings(**settings):
        view = DictaMeshGraphQLView.as_view(schema=SCHEMA)
        response = view(request)
    return response.status_code, json.loads(response.content)


def test_dataloader_batches_one_level_into_one_call():
    BATCHES.clear()
    status, body = run("{ items(count: 50) { id owner child { id owner } } }")
    assert status == 200 and "errors" not in body
    assert len(body["data"]["items"]) == 50
    assert body["data"]["items"][4]["owner"] == "owner-1"
    assert body["data"]["items"][4]["child"] == {"id": 1004, "owner": "owner-2"}
    # 100 owner loads (50 items, 50 children) are batched, not made one by one
    assert sum(len(batch) for batch in BATCHES) == 100
    assert len(BATCHES) <= 2


def test_loaders_are_per_request():
    BATCHES.clear()
    run("{ items(count: 3) { owner } }")
    run("{ items(count: 3) { owner } }")
    assert BATCHES == [[0, 1, 2], [0, 1, 2]]  # no cache leaking between requests


def test_a_primed_loader_answers_as_its_batch_would_and_batches_only_the_rest():
    """``prime``: what another loader's batch already read (relationships' targets) settles this loader's
    futures, queued or not asked yet, and leaves the rest of its queue to its own batch."""
    BATCHES.clear()
    loader = OwnerLoader()
    queued, rest = loader.load(1), loader.load(2)
    seen = []
    queued.add_done_callback(lambda: seen.append(queued.result()))
    prime(loader, {1: "primed-1", 5: "primed-5"})
    assert seen == ["primed-1"]  # its callbacks ran, as a batch's would
    assert loader.load(5).done() and loader.load(5).result() == "primed-5"
    queued.deferred_callback()  # the batch the first load started
    assert BATCHES == [[2]] and rest.result() == "owner-2"
    prime(loader, {2: "late"})  # a key already answered keeps its answer
    assert rest.result() == "owner-2"


def test_field_errors_are_located_and_coded_with_nonnull_propagation():
    status, body = run("{ items(count: 4) { id strict } }")
    assert status == 200
    # strict is non-null: the error nulls the item, and items is a list of non-null items: the list goes null
    assert body["data"] == {"items": None}
    codes = {e["extensions"]["code"] for e in body["errors"]}
    assert codes == {"not_found"}
    assert body["errors"][0]["path"][0] == "items"
    assert "has no strict value" in body["errors"][0]["message"]


def test_unexpected_errors_do_not_leak_internals():
    status, body = run("{ boom }")
    assert body["data"] == {"boom": None}
    assert body["errors"][0]["extensions"]["code"] == "internal_error"
    assert "secret internals" not in json.dumps(body)


def test_depth_limit():
    deep = "{ items(count: 1) { child { child { child { child { id } } } } } }"
    status, body = run(deep, DICTAMESH_GRAPHQL_MAX_DEPTH=4)
    assert body["errors"][0]["extensions"]["code"] == "query_too_deep"
    assert "data" not in body or body["data"] is None
    status, body = run(deep, DICTAMESH_GRAPHQL_MAX_DEPTH=6)
    assert "errors" not in body


def test_depth_limit_follows_fragments_and_survives_cycles_and_unknown_fragments():
    via_fragment = "query Q { items { ...A } } fragment A on Item { child { child { child { id } } } }"
    assert (
        run(via_fragment, DICTAMESH_GRAPHQL_MAX_DEPTH=3)[1]["errors"][0]["extensions"]["code"]
        == "query_too_deep"
    )
    cycle = "query Q { items { ...A } } fragment A on Item { child { ...B } } fragment B on Item { child { ...A } }"
    status, body = run(cycle)
    assert status == 400 and body["errors"][0]["extensions"]["code"] == "graphql_validation_failed"
    status, body = run("{ items { ...Missing } }")
    assert status == 400 and "Missing" in body["errors"][0]["message"]


def test_alias_limit():
    many = "{ " + " ".join(f"a{i}: items(count: 1) {{ id }}" for i in range(5)) + " }"
    status, body = run(many, DICTAMESH_GRAPHQL_MAX_ALIASES=4)
    assert [e["extensions"]["code"] for e in body["errors"]] == ["too_many_aliases"]
    assert "errors" not in run(many, DICTAMESH_GRAPHQL_MAX_ALIASES=5)[1]


def test_standard_validation_still_runs():
    status, body = run("{ items { nosuchfield } }")
    assert status == 400
    assert body["errors"][0]["extensions"]["code"] == "graphql_validation_failed"
    assert "nosuchfield" in body["errors"][0]["message"]


def test_syntax_errors_are_coded():
    status, body = run("{ items { id ")
    assert status == 400 and body["errors"][0]["extensions"]["code"] == "graphql_parse_failed"


@pytest.mark.django_db
def test_introspection_passes_the_limits(client):
    from graphql import get_introspection_query

    response = client.post("/graphql", {"query": get_introspection_query()}, content_type="application/json")
    assert response.status_code == 200
    types = {t["name"] for t in response.json()["data"]["__schema"]["types"]}
    assert {"Query", "Mutation", "ApiTokenType"} <= types


@pytest.mark.django_db
def test_graphiql_in_a_browser(client):
    response = client.get("/graphql", HTTP_ACCEPT="text/html")
    assert response.status_code == 200 and b"graphiql" in response.content.lower()
