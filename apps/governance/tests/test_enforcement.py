"""A restricted entity reaches exactly those allowed to read it: through REST (one, lists, search with its
totals and facet counts, history, diff, neighbours, paths), GraphQL (direct, nested, aliased, fragments),
and writes are refused to those who may not write."""

from __future__ import annotations

import json

import pytest

from apps.governance.tests.helpers import gql, make_world, person, policy, urn

SALARIES = urn("salaries")


@pytest.fixture
def world(db):
    make_world()


@pytest.fixture
def alice(db):
    return person("alice", groups=["payroll"])


@pytest.fixture
def steward(db):
    return person("stella", staff=True)


@pytest.fixture
def root(db):
    return person("root", superuser=True)


def _urns(items):
    return sorted(item["urn"] for item in items)


def test_rest_hides_a_restricted_entity_everywhere(world, client, alice):
    assert client.get(f"/api/v1/catalog/entities/{SALARIES}", **alice).status_code == 404
    listed = client.get("/api/v1/catalog/entities", **alice).json()["items"]
    assert SALARIES not in _urns(listed) and len(listed) == 2
    # filtering on the restricted class itself finds nothing (no side channel through filters)
    assert (
        client.get("/api/v1/catalog/entities", {"classification": "restricted"}, **alice).json()["items"]
        == []
    )
    found = client.get("/api/v1/catalog/search", {"q": "salaries"}, **alice).json()
    assert found["items"] == [] and found["total"] == 0
    browse = client.get("/api/v1/catalog/search", **alice).json()
    assert browse["total"] == 2
    assert {f["value"] for f in browse["facets"]["classification"]} == {"public", "confidential"}
    assert {f["value"] for f in browse["facets"]["domain"]} == {"sales"}
    hybrid = client.get("/api/v1/catalog/search", {"q": "payroll salaries", "mode": "hybrid"}, **alice).json()
    assert SALARIES not in [hit["entity"]["urn"] for hit in hybrid["items"]]
    assert client.get(f"/api/v1/catalog/entities/{SALARIES}/history", **alice).status_code == 404
    diff = client.get(f"/api/v1/catalog/entities/{SALARIES}/diff", {"from": 1, "to": 1}, **alice)
    assert diff.status_code == 404
    neighbors = client.get(
        f"/api/v1/catalog/entities/{urn('open_orders')}/neighbors", {"depth": 2}, **alice
    ).json()
    assert SALARIES not in _urns(neighbors["nodes"])
    assert all(SALARIES not in (e["source"], e["target"]) for e in neighbors["edges"])
    assert client.get(f"/api/v1/catalog/entities/{SALARIES}/neighbors", **alice).status_code == 404
    # the only path from open_orders to customers that is not direct runs through salaries: not walked
    path = client.get(
        "/api/v1/catalog/path", {"source": urn("open_orders"), "target": urn("customers")}, **alice
    ).json()
    assert SALARIES not in _urns(path["path"]["nodes"])
    assert (
        client.get(
            "/api/v1/catalog/path", {"source": urn("open_orders"), "target": SALARIES}, **alice
        ).status_code
        == 404
    )


def test_anonymous_readers_are_governed_too(world, client):
    assert client.get(f"/api/v1/catalog/entities/{SALARIES}").status_code == 404
    assert SALARIES not in _urns(client.get("/api/v1/catalog/entities").json()["items"])


def test_superusers_owners_and_allowed_groups_read_it(world, client, alice, root, steward):
    assert client.get(f"/api/v1/catalog/entities/{SALARIES}", **root).status_code == 200
    olga = person("olga")  # named as an owner: the seeded owners-read-their-data policy
    assert client.get(f"/api/v1/catalog/entities/{SALARIES}", **olga).status_code == 200
    assert SALARIES in _urns(client.get("/api/v1/catalog/entities", **olga).json()["items"])
    policy(
        client,
        steward,
        name="payroll-reads-finance",
        effect="allow",
        actors=["group:payroll"],
        actions=["read"],
        resources=["entity"],
        condition="hasDomain('finance')",
    )
    # in force at the next request
    assert client.get(f"/api/v1/catalog/entities/{SALARIES}", **alice).status_code == 200
    found = client.get("/api/v1/catalog/search", {"q": "salaries"}, **alice).json()
    assert [hit["entity"]["urn"] for hit in found["items"]] == [SALARIES] and found["total"] == 1
    history = client.get(f"/api/v1/catalog/entities/{SALARIES}/history", **alice).json()
    assert [v["version"] for v in history["versions"]] == [1]


def test_deny_overrides_allow(world, client, alice, steward):
    policy(
        client, steward, name="all-read", effect="allow", actors=["*"], actions=["read"], resources=["entity"]
    )
    assert client.get(f"/api/v1/catalog/entities/{SALARIES}", **alice).status_code == 200
    policy(
        client,
        steward,
        name="no-gold-for-payroll",
        effect="deny",
        actors=["group:payroll"],
        actions=["read"],
        resources=["*"],
        condition="matchAnyTag('gold')",
    )
    assert client.get(f"/api/v1/catalog/entities/{urn('open_orders')}", **alice).status_code == 404
    listed = _urns(client.get("/api/v1/catalog/entities", **alice).json()["items"])
    assert listed == [urn("customers"), SALARIES]
    facets = client.get("/api/v1/catalog/search", **alice).json()["facets"]
    assert "gold" not in {f["value"] for f in facets["tag"]}


def test_graphql_hides_it_directly_nested_aliased_and_in_fragments(world, client, alice):
    direct = gql(client, f'{{ entity(urn: "{SALARIES}") {{ urn description }} }}', alice)
    assert direct["data"]["entity"] is None
    aliased = gql(
        client,
        f'{{ a: entity(urn: "{SALARIES}") {{ urn }} b: entity(urn: "{urn("open_orders")}") {{ urn }} }}',
        alice,
    )
    assert aliased["data"] == {"a": None, "b": {"urn": urn("open_orders")}}
    fragment = gql(
        client,
        """
        fragment F on Entity { urn description relationships { target { ...T } } }
        fragment T on Entity { urn description }
        { entities(first: 50) { nodes { ...F } } search(query: "salaries payroll") { total hits { entity { urn } } } }
        """,
        alice,
    )
    nodes = fragment["data"]["entities"]["nodes"]
    assert SALARIES not in _urns(nodes)
    targets = [r["target"] for n in nodes for r in n["relationships"]]
    assert targets and all(t is not None and t["urn"] != SALARIES for t in targets)
    assert fragment["data"]["search"] == {"total": 0, "hits": []}
    walk = gql(
        client,
        f'{{ neighbors(urn: "{urn("open_orders")}", depth: 2) {{ nodes {{ urn }} edges {{ source target }} }} }}',
        alice,
    )
    assert SALARIES not in _urns(walk["data"]["neighbors"]["nodes"])


def test_writes_need_write_permission(world, client, alice, steward):
    body = json.dumps({"description": "changed"})
    assert (
        client.patch(
            f"/api/v1/catalog/entities/{SALARIES}", body, content_type="application/json", **alice
        ).status_code
        == 404
    )
    # declassifying through a write is a write to the restricted entity: refused
    bulk = client.post(
        "/api/v1/catalog/entities/bulk",
        json.dumps(
            {
                "entities": [
                    {"urn": SALARIES, "classification": "public"},
                    {"urn": urn("open_orders"), "description": "ok"},
                ]
            }
        ),
        content_type="application/json",
        **alice,
    ).json()
    assert [r["status"] for r in bulk["results"]] == ["error", "updated"]
    assert bulk["results"][0]["error"]["code"] == "not_found"
    # creating a restricted entity is a write to restricted data: refused unless allowed
    created = client.post(
        "/api/v1/catalog/entities",
        json.dumps(
            {
                "source": "crm",
                "type": "table",
                "source_key": "bonus",
                "name": "bonus",
                "domain": "finance",
                "classification": "restricted",
            }
        ),
        content_type="application/json",
        **alice,
    )
    assert created.status_code == 403 and created.json()["code"] == "permission_denied"
    policy(
        client,
        steward,
        name="no-deletes-in-sales",
        effect="deny",
        actors=["authenticated"],
        actions=["delete"],
        resources=["entity"],
        condition="hasDomain('sales')",
    )
    denied = client.delete(f"/api/v1/catalog/entities/{urn('open_orders')}", **alice)
    assert denied.status_code == 403 and "no-deletes-in-sales" in denied.json()["message"]
    assert client.get(f"/api/v1/catalog/entities/{urn('open_orders')}", **alice).status_code == 200


def test_graphql_mutations_are_governed(world, client, alice):
    result = gql(
        client,
        f'mutation {{ updateEntity(urn: "{SALARIES}", changes: {{description: "x"}}) {{ status }} }}',
        alice,
    )
    assert result["data"]["updateEntity"] is None
    assert result["errors"][0]["extensions"]["code"] == "not_found"


def test_relationships_show_only_readable_other_ends_both_ways(world, client, alice, root):
    """An entity's relationships in GraphQL, outgoing and incoming bidirectional: the end shown is decided
    (restricted: hidden), and the targets loaded after them are the ones decided readable."""
    from apps.catalog.relationships import relationships_add_many

    relationships_add_many(
        items=[
            {"source": SALARIES, "target": urn("open_orders"), "predicate": "mirrors", "bidirectional": True},
            {"source": urn("customers"), "target": urn("open_orders"), "predicate": "mirrors", "bidirectional": True},
        ]
    )  # fmt: skip
    query = f"""{{ entity(urn: "{urn("open_orders")}") {{
        relationships {{ predicate source {{ urn }} target {{ urn description }} }} }} }}"""

    def seen(headers):
        rels = gql(client, query, headers)["data"]["entity"]["relationships"]
        return sorted((r["predicate"], r["source"]["urn"], r["target"]["urn"]) for r in rels)

    assert seen(alice) == [  # (predicate, source, the other end)
        ("mirrors", urn("customers"), urn("customers")),
        ("references", urn("open_orders"), urn("customers")),
    ]
    assert seen(root) == [
        ("feeds", urn("open_orders"), SALARIES),
        ("mirrors", urn("customers"), urn("customers")),
        ("mirrors", SALARIES, SALARIES),
        ("references", urn("open_orders"), urn("customers")),
    ]
    # without their other ends in the query, the same relationships: what is hidden is not even counted
    bare = f"""{{ entity(urn: "{urn("open_orders")}") {{ relationships {{ predicate direction }} }} }}"""
    for headers, expected in (
        (alice, ["mirrors", "references"]),
        (root, ["feeds", "mirrors", "mirrors", "references"]),
    ):
        rels = gql(client, bare, headers)["data"]["entity"]["relationships"]
        assert sorted(r["predicate"] for r in rels) == expected
