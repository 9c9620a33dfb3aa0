"""The GraphQL endpoint's protections: query cost, per-token rate limits, automatic persisted queries."""

from __future__ import annotations

import hashlib
import json

import pytest

from apps.governance.tests.helpers import person

pytestmark = pytest.mark.django_db
LIST = "query($n: Int!) { entities(first: $n) { nodes { urn owners { principal } live { data } } } }"


def _post(client, body, headers=None):
    return client.post("/graphql", json.dumps(body), content_type="application/json", **(headers or {}))


def test_a_query_that_would_cost_too_much_is_refused_before_it_runs(client, settings):
    settings.DICTAMESH_GRAPHQL_MAX_COST = 5000
    cheap = _post(client, {"query": LIST, "variables": {"n": 10}}, person("ann"))
    assert cheap.status_code == 200 and "errors" not in cheap.json()
    costly = _post(client, {"query": LIST, "variables": {"n": 1000}}, person("ann"))
    assert costly.status_code == 400
    [error] = costly.json()["errors"]
    # 1 + 1000 × (nodes 1 + urn 1 + owners 1 + 10 owners × 1 + live 10 + data 1)
    assert error["extensions"] == {"code": "query_too_costly", "cost": 24001, "maximum": 5000}
    fragment = ("query { ...Q } fragment Q on Query { entities(first: 500) { nodes { ... on Entity {"
                " live { data } } } } }")  # fmt: skip
    assert (
        _post(client, {"query": fragment}, person("ann")).json()["errors"][0]["extensions"]["cost"] == 6001
    )  # 1 + 500 × (1 + 10 + 1)


def test_requests_past_the_rate_get_429_with_retry_after(client, settings):
    settings.DICTAMESH_GRAPHQL_RATE_PER_MINUTE = 3
    ann, bob = person("ann-rl"), person("bob-rl")
    answers = [_post(client, {"query": "{ __typename }"}, ann).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = _post(client, {"query": "{ __typename }"}, ann)
    assert limited.status_code == 429 and 1 <= int(limited["Retry-After"]) <= 20
    assert limited.json()["errors"][0]["extensions"]["code"] == "rate_limited"
    assert _post(client, {"query": "{ __typename }"}, bob).status_code == 200  # a bucket per token


def test_automatic_persisted_queries(client):
    import uuid

    query = f"{{ __typename }} # {uuid.uuid4()}"  # persisted queries outlive a test in Redis: one of its own
    digest = hashlib.sha256(query.encode()).hexdigest()
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    unknown = _post(client, {"extensions": extensions})
    assert unknown.status_code == 200
    assert unknown.json()["errors"][0] == {"message": "PersistedQueryNotFound",
                                           "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}  # fmt: skip
    assert _post(client, {"query": query, "extensions": extensions}).json() == {
        "data": {"__typename": "Query"}
    }
    assert _post(client, {"extensions": extensions}).json() == {"data": {"__typename": "Query"}}
    by_get = client.get("/graphql", {"extensions": json.dumps(extensions)}, HTTP_ACCEPT="application/json")
    assert by_get.json() == {"data": {"__typename": "Query"}}
    wrong = _post(client, {"query": "{ __schema { queryType { name } } }", "extensions": extensions})
    assert (
        wrong.status_code == 400
        and wrong.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    )
