"""Hole 8: one client's failed authentications never lock out a valid token, also behind a proxy; and
HTTP Basic with an empty user name is refused (hole 10)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from apps.governance.tests.helpers import person
from tests.conftest import basic, bearer

ENTITIES = "/api/v1/catalog/entities"
GARBAGE = {"HTTP_AUTHORIZATION": "Bearer not-a-token"}


@pytest.fixture
def limited(db, settings):
    settings.DICTAMESH_AUTH_FAILURES_PER_MINUTE = 5
    cache.delete_pattern("dictamesh:authfail:*")
    yield settings
    cache.delete_pattern("dictamesh:authfail:*")


def _hammer(client, **meta):
    for _ in range(25):
        client.get(ENTITIES, **GARBAGE, **meta)
    assert client.get(ENTITIES, **GARBAGE, **meta).status_code == 429


def test_bad_tokens_from_an_address_do_not_lock_out_a_superuser(limited, client):
    root = person("root", superuser=True)
    _hammer(client, REMOTE_ADDR="192.0.2.7")
    assert client.get(ENTITIES, REMOTE_ADDR="192.0.2.7", **root).status_code == 200
    assert client.get("/graphql", {"query": "{ viewer { username } }"}, REMOTE_ADDR="192.0.2.7",
                      **root).status_code == 200  # fmt: skip


def test_behind_a_trusted_proxy_clients_are_told_apart(limited, client):
    limited.DICTAMESH_TRUSTED_PROXIES = ["10.0.0.0/8"]
    alice = person("alice")
    attacker = {"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    _hammer(client, **attacker)
    victim = {"REMOTE_ADDR": "10.1.2.3", "HTTP_X_FORWARDED_FOR": "203.0.113.5"}
    assert client.get(ENTITIES, **GARBAGE, **victim).status_code == 401  # its own bucket
    assert client.get(ENTITIES, **victim, **alice).status_code == 200
    # without the proxy trusted, a forged X-Forwarded-For changes nothing: the address is REMOTE_ADDR
    limited.DICTAMESH_TRUSTED_PROXIES = []
    forged = {"REMOTE_ADDR": "192.0.2.99", "HTTP_X_FORWARDED_FOR": "203.0.113.77"}
    _hammer(client, **forged)
    assert client.get(ENTITIES, **GARBAGE, REMOTE_ADDR="192.0.2.99",
                      HTTP_X_FORWARDED_FOR="203.0.113.78").status_code == 429  # fmt: skip


def test_basic_with_an_empty_user_name_is_refused(db, client):
    from dictamesh.auth.services import api_token_create, user_ensure

    token = api_token_create(user=user_ensure(username="bob"), name="t").clear
    assert client.get(ENTITIES, **basic("bob", token)).status_code == 200
    response = client.get(ENTITIES, **basic("", token))
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"
    assert client.get(ENTITIES, **bearer(token)).status_code == 200


def test_a_throttled_client_is_told_when_to_retry_in_each_door_s_own_shape(limited, client):
    """One mapping (``DictaMeshError.wire``): REST, GraphQL, the Confluent API and the WSGI fast route each
    answer 429 with Retry-After, and the same wait in the body their clients read."""
    from tests.platform.test_fast_routes import call

    _hammer(client)
    rest = client.get(ENTITIES, **GARBAGE)
    graphql = client.post("/graphql", {"query": "{ __typename }"}, content_type="application/json", **GARBAGE)
    confluent = client.get("/schema-registry/subjects", **GARBAGE)
    fast_status, fast_headers, fast_body = call("/api/v1/lineage", b"{}", **GARBAGE)
    waits = [int(r["Retry-After"]) for r in (rest, graphql, confluent)] + [int(fast_headers["Retry-After"])]
    assert max(waits) - min(waits) <= 1 and 1 <= min(waits) <= 60  # the same minute, counted down
    assert rest.status_code == graphql.status_code == confluent.status_code == fast_status == 429
    assert rest.json()["code"] == fast_body["code"] == "rate_limited"
    assert int(rest.json()["retry_after"]) == int(rest["Retry-After"])
    assert graphql.json()["errors"][0]["extensions"] == {
        "code": "rate_limited",
        "retry_after": int(rest["Retry-After"]),
    }
    assert confluent.json()["error_code"] == 429 and "message" in confluent.json()
    # a 401 carries the same challenge on every door
    ok = client.get(ENTITIES, HTTP_AUTHORIZATION="Bearer another-bad-token", REMOTE_ADDR="198.51.100.9")
    assert (
        ok.status_code == 401
        and ok["WWW-Authenticate"] == 'Bearer realm="dictamesh", Basic realm="dictamesh"'
    )
