"""Hole 10: what costs a source call or a retrieval needs an identity on every surface alike — GraphQL's
``retrieve`` as REST's ``POST /catalog/retrieve``, and adapters' live data (a source's records)."""

from __future__ import annotations

from apps.governance.tests.helpers import gql, urn

QUERY = '{ entity(urn: "URN") { urn live { data } } }'


def test_anonymous_callers_get_no_retrieval_and_no_live_data(world, client):
    retrieval = gql(client, '{ retrieve(query: "customers", k: 3) { entityUrn } }')
    assert retrieval["errors"][0]["extensions"]["code"] == "unauthenticated"
    assert (
        client.post(
            "/api/v1/catalog/retrieve", {"query": "customers"}, content_type="application/json"
        ).status_code
        == 401
    )
    live = gql(client, QUERY.replace("URN", urn("customers")))
    assert live["data"]["entity"]["urn"] == urn("customers") and live["data"]["entity"]["live"] is None
    assert live["errors"][0]["extensions"]["code"] == "unauthenticated"
    signed = gql(client, QUERY.replace("URN", urn("customers")), world["alice"])
    assert "errors" not in signed  # no adapter serves it: null, and no error
