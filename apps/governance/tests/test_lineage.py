"""Lineage under governance: a dataset is as visible as its catalog entity — hidden from lookups, lists,
graphs, column lineage, impact, paths, REST and GraphQL — while what lies beyond it stays reachable."""

from __future__ import annotations

import json

import pytest

from apps.catalog import services as catalog
from apps.catalog.inputs import entity_input
from apps.governance.tests.helpers import gql, pay_chain, person
from apps.lineage.ingestion import dataset_urn
from apps.lineage.tests.conftest import PG

RAW, SECRET, REPORT = "public.raw_pay", "public.salaries", "public.pay_report"


@pytest.fixture
def world(db):
    """raw_pay → job load → salaries (restricted) → job report → pay_report."""
    pay_chain()
    urn = dataset_urn(PG, SECRET)
    catalog.entity_update(urn=urn, changes=entity_input({"classification": "restricted"}))
    return urn


def _ids(graph):
    return {node["id"] for node in graph}


def test_a_restricted_dataset_is_hidden_from_lineage(world, client):
    alice = person("alice")
    secret = f"dataset:{PG}:{SECRET}"
    assert client.get(f"/api/v1/namespaces/{PG}/datasets/{SECRET}", **alice).status_code == 404
    assert client.get("/api/v1/lineage", {"nodeId": secret}, **alice).status_code == 404
    assert client.get("/api/v1/lineage", {"nodeId": world}, **alice).status_code == 404
    listed = client.get(f"/api/v1/namespaces/{PG}/datasets", **alice).json()
    assert {d["name"] for d in listed["datasets"]} == {RAW, REPORT} and listed["totalCount"] == 2
    graph = client.get("/api/v1/lineage", {"nodeId": f"dataset:{PG}:{RAW}", "depth": 10}, **alice).json()[
        "graph"
    ]
    assert secret not in _ids(graph)
    assert f"dataset:{PG}:{REPORT}" in _ids(graph)  # beyond it: still reachable
    assert secret not in json.dumps(graph)  # not even as an edge
    columns = client.get(
        "/api/v1/column-lineage", {"nodeId": f"dataset:{PG}:{REPORT}", "depth": 10}, **alice
    ).json()["graph"]
    assert all(node["data"]["dataset"] != SECRET for node in columns)
    assert SECRET not in json.dumps(columns)
    impact = client.get("/api/v1/lineage/impact", {"nodeId": f"dataset:{PG}:{RAW}"}, **alice).json()
    assert [d["id"] for d in impact["datasets"]] == [f"dataset:{PG}:{REPORT}"]
    assert SECRET not in json.dumps(impact)
    path = client.get(
        "/api/v1/lineage/paths",
        {"origin": f"dataset:{PG}:{RAW}", "destination": f"dataset:{PG}:{REPORT}"},
        **alice,
    ).json()
    assert path == {"direction": None, "path": []}
    data = gql(
        client,
        f'{{ lineage(nodeId: "dataset:{PG}:{RAW}", depth: 10) {{ nodes {{ id }} edges {{ origin destination }} }} }}',
        alice,
    )
    assert SECRET not in json.dumps(data) and f"dataset:{PG}:{REPORT}" in json.dumps(data)
    hidden = gql(client, f'{{ lineage(nodeId: "{secret}") {{ nodes {{ id }} }} }}', alice)
    assert hidden["errors"][0]["extensions"]["code"] == "not_found"
    root = person("root", superuser=True)
    full = client.get("/api/v1/lineage", {"nodeId": f"dataset:{PG}:{RAW}", "depth": 10}, **root).json()[
        "graph"
    ]
    assert secret in _ids(full)


def test_manual_lineage_edits_are_governed(world, client):
    alice = person("alice")
    secret = f"dataset:{PG}:{SECRET}"
    hidden = client.post(
        "/api/v1/lineage/edges", json.dumps({"origin": secret, "destination": "job:airflow:report"}),
        content_type="application/json", **alice,
    )  # fmt: skip
    assert hidden.status_code == 404
    steward = person("stella", staff=True)
    from apps.governance.tests.helpers import policy

    policy(client, steward, name="frozen-lineage", effect="deny", actors=["authenticated"], actions=["write"],
           resources=["lineage"], condition="matchUrn('*raw_pay*')")  # fmt: skip
    denied = client.post(
        "/api/v1/lineage/edges", json.dumps({"origin": f"dataset:{PG}:{RAW}", "destination": "job:airflow:report"}),
        content_type="application/json", **alice,
    )  # fmt: skip
    assert denied.status_code == 403 and "frozen-lineage" in denied.json()["message"]
    allowed = client.post(
        "/api/v1/lineage/edges", json.dumps({"origin": f"dataset:{PG}:{REPORT}", "destination": "job:airflow:load"}),
        content_type="application/json", **alice,
    )  # fmt: skip
    assert allowed.status_code == 201
    mutation = gql(
        client,
        f'mutation {{ addLineageEdge(origin: "{secret}", destination: "job:airflow:load") {{ origin }} }}',
        alice,
    )
    assert mutation["errors"][0]["extensions"]["code"] == "not_found"


def test_freshness_slas_are_governed(world, client):
    from apps.governance.tests.helpers import policy
    from apps.lineage import services as lineage

    lineage.freshness_set(node_id=f"dataset:{PG}:{SECRET}", sla_seconds=3600, actor="root")
    lineage.freshness_set(node_id=f"dataset:{PG}:{REPORT}", sla_seconds=3600, actor="root")
    alice = person("alice")
    listed = client.get("/api/v1/lineage/freshness", **alice).json()
    assert [s["name"] for s in listed["slas"]] == [REPORT] and listed["totalCount"] == 1
    one = client.get("/api/v1/lineage/freshness/sla", {"nodeId": f"dataset:{PG}:{SECRET}"}, **alice)
    assert one.status_code == 404
    body = json.dumps({"nodeId": f"dataset:{PG}:{SECRET}", "slaSeconds": 60})
    put = client.put("/api/v1/lineage/freshness/sla", body, content_type="application/json", **alice)
    assert put.status_code == 404
    steward = person("stella", staff=True)
    policy(client, steward, name="frozen-report", effect="deny", actors=["authenticated"], actions=["write"],
           resources=["lineage"], condition="matchUrn('*pay_report*')")  # fmt: skip
    denied = client.delete(f"/api/v1/lineage/freshness/sla?nodeId=dataset:{PG}:{REPORT}", **alice)
    assert denied.status_code == 403 and "frozen-report" in denied.json()["message"]
