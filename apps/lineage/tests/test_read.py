from __future__ import annotations

import uuid

import pytest

from apps.lineage.models import Node
from tests.conftest import bearer

from .conftest import PG, dataset, run_event

pytestmark = pytest.mark.django_db


def ids(answer: dict) -> list[str]:
    return sorted(node["id"] for node in answer["graph"])


def test_marquez_lineage_graph_with_edges_and_depth(client, chain):
    answer = client.get("/api/v1/lineage", {"nodeId": f"dataset:{PG}:staged", "depth": 2}).json()
    assert ids(answer) == sorted(
        [f"dataset:{PG}:raw", "job:airflow:load", f"dataset:{PG}:staged", "job:airflow:build", "dataset:warehouse:mart",
         f"dataset:{PG}:dim"]
    )  # fmt: skip
    nodes = {n["id"]: n for n in answer["graph"]}
    staged = nodes[f"dataset:{PG}:staged"]
    assert staged["type"] == "DATASET"
    assert staged["inEdges"] == [{"origin": "job:airflow:load", "destination": f"dataset:{PG}:staged"}]
    assert staged["outEdges"] == [{"origin": f"dataset:{PG}:staged", "destination": "job:airflow:build"}]
    assert staged["data"]["fields"] == [{"name": "amount", "type": "int", "tags": [], "description": None}]
    build = nodes["job:airflow:build"]
    assert build["type"] == "JOB"
    assert build["data"]["latestRun"]["state"] == "COMPLETED"
    assert build["data"]["outputs"] == [{"namespace": "warehouse", "name": "mart"}]
    # depth counts hops from the start; every job comes with all its inputs and outputs (as in Marquez)
    one = client.get("/api/v1/lineage", {"nodeId": f"dataset:{PG}:raw", "depth": 1}).json()
    assert ids(one) == sorted([f"dataset:{PG}:raw", "job:airflow:load", f"dataset:{PG}:staged"])
    three = client.get("/api/v1/lineage", {"nodeId": f"dataset:{PG}:raw", "depth": 3}).json()
    assert ids(three) == ids(answer)
    # a catalog URN is a node id too
    urn = Node.objects.get(name="raw").entity_urn
    assert ids(client.get("/api/v1/lineage", {"nodeId": urn, "depth": 1}).json()) == ids(one)


def test_unknown_and_invalid_node_ids_and_depths(client, chain, settings):
    response = client.get("/api/v1/lineage", {"nodeId": "dataset:nowhere:nothing"})
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = client.get("/api/v1/lineage", {"nodeId": "table:x"})
    assert response.status_code == 400 and "nodeId" in response.json()["fields"]
    settings.DICTAMESH_LINEAGE_MAX_DEPTH = 3
    response = client.get("/api/v1/lineage", {"nodeId": f"dataset:{PG}:raw", "depth": 4})
    assert response.status_code == 400 and response.json()["fields"] == {"depth": "0..3"}


def test_a_cycle_never_hangs_a_query(client, ingest):
    ingest(run_event("COMPLETE", "forward", inputs=[dataset("ns", "a")], outputs=[dataset("ns", "b")]))
    ingest(run_event("COMPLETE", "backward", inputs=[dataset("ns", "b")], outputs=[dataset("ns", "a")]))
    answer = client.get("/api/v1/lineage", {"nodeId": "dataset:ns:a", "depth": 20}).json()
    assert ids(answer) == ["dataset:ns:a", "dataset:ns:b", "job:airflow:backward", "job:airflow:forward"]
    impact = client.get("/api/v1/lineage/impact", {"nodeId": "dataset:ns:a", "depth": 20}).json()
    assert [d["id"] for d in impact["datasets"]] == ["dataset:ns:b"]


def test_column_lineage_upstream_and_downstream(client, chain):
    up = client.get(
        "/api/v1/column-lineage", {"nodeId": "datasetField:warehouse:mart:total", "depth": 5}
    ).json()
    assert ids(up) == [
        f"datasetField:{PG}:raw:amount",
        f"datasetField:{PG}:staged:amount",
        "datasetField:warehouse:mart:total",
    ]
    total = next(n for n in up["graph"] if n["id"].endswith("mart:total"))
    assert total["type"] == "DATASET_FIELD"
    assert total["data"]["inputFields"] == [
        {
            "namespace": PG,
            "dataset": "staged",
            "field": "amount",
            "transformationDescription": "",
            "transformationType": "DIRECT",
        }
    ]
    field = f"datasetField:{PG}:staged:amount"
    only_up = client.get("/api/v1/column-lineage", {"nodeId": field, "depth": 5}).json()
    assert ids(only_up) == [f"datasetField:{PG}:raw:amount", field]
    both = client.get(
        "/api/v1/column-lineage", {"nodeId": field, "depth": 5, "withDownstream": "true"}
    ).json()
    assert "datasetField:warehouse:mart:total" in ids(both)
    whole = client.get("/api/v1/column-lineage", {"nodeId": f"dataset:{PG}:staged", "depth": 1}).json()
    assert ids(whole) == [f"datasetField:{PG}:raw:amount", field]
    assert (
        client.get("/api/v1/column-lineage", {"nodeId": f"datasetField:{PG}:staged:nope"}).status_code == 404
    )


def test_marquez_lists(client, chain, ingest):
    names = [n["name"] for n in client.get("/api/v1/namespaces").json()["namespaces"]]
    assert names == ["airflow", PG, "warehouse"]
    assert client.get(f"/api/v1/namespaces/{PG}").json()["name"] == PG
    datasets = client.get(f"/api/v1/namespaces/{PG}/datasets").json()
    assert datasets["totalCount"] == 3
    assert [d["name"] for d in datasets["datasets"]] == ["dim", "raw", "staged"]
    raw = client.get(f"/api/v1/namespaces/{PG}/datasets/raw").json()
    assert raw["id"] == {"namespace": PG, "name": "raw"} and [f["name"] for f in raw["fields"]] == [
        "amount",
        "id",
    ]
    jobs = client.get("/api/v1/namespaces/airflow/jobs").json()
    assert [j["name"] for j in jobs["jobs"]] == ["build", "load"]
    run_id = str(uuid.uuid4())
    ingest(run_event("START", "load", run_id=run_id, time="2026-11-27T10:00:00Z"))
    runs = client.get("/api/v1/namespaces/airflow/jobs/load/runs").json()
    assert (
        runs["totalCount"] == 2 and runs["runs"][0]["id"] == run_id and runs["runs"][0]["state"] == "RUNNING"
    )
    assert client.get(f"/api/v1/jobs/runs/{run_id}").json()["startedAt"] == "2026-11-27T10:00:00Z"
    assert client.get("/api/v1/namespaces/nowhere/datasets").status_code == 404
    assert client.get("/api/v1/jobs/runs/not-a-uuid").status_code == 404


def test_impact_of_a_dataset_and_of_a_field_with_paths_and_owners(client, chain):
    answer = client.get("/api/v1/lineage/impact", {"nodeId": f"dataset:{PG}:raw", "depth": 5}).json()
    assert [(d["id"], d["hops"]) for d in answer["datasets"]] == [
        (f"dataset:{PG}:staged", 2),
        ("dataset:warehouse:mart", 4),
    ]
    assert [j["id"] for j in answer["jobs"]] == ["job:airflow:load", "job:airflow:build"]
    mart = answer["datasets"][1]
    assert mart["path"] == [f"dataset:{PG}:raw", "job:airflow:load", f"dataset:{PG}:staged", "job:airflow:build",
                            "dataset:warehouse:mart"]  # fmt: skip
    assert mart["owners"] == ["user:carol"]
    short = client.get("/api/v1/lineage/impact", {"nodeId": f"dataset:{PG}:raw", "depth": 2}).json()
    assert [d["id"] for d in short["datasets"]] == [f"dataset:{PG}:staged"]
    field = client.get(
        "/api/v1/lineage/impact", {"nodeId": f"datasetField:{PG}:raw:amount", "depth": 5}
    ).json()
    assert [f["id"] for f in field["fields"]] == [
        f"datasetField:{PG}:staged:amount",
        "datasetField:warehouse:mart:total",
    ]
    assert field["fields"][1]["path"][0] == f"datasetField:{PG}:raw:amount"
    assert [d["id"] for d in field["datasets"]] == [f"dataset:{PG}:staged", "dataset:warehouse:mart"]
    assert [j["id"] for j in field["jobs"]] == ["job:airflow:load", "job:airflow:build"]
    untouched = client.get("/api/v1/lineage/impact", {"nodeId": f"datasetField:{PG}:raw:id"}).json()
    assert untouched["fields"] == [] and untouched["datasets"] == []


def test_paths_between_two_nodes(client, chain):
    answer = client.get(
        "/api/v1/lineage/paths", {"origin": f"dataset:{PG}:raw", "destination": "dataset:warehouse:mart"}
    ).json()
    assert answer == {
        "direction": "downstream",
        "path": [f"dataset:{PG}:raw", "job:airflow:load", f"dataset:{PG}:staged", "job:airflow:build",
                 "dataset:warehouse:mart"],
    }  # fmt: skip
    back = client.get(
        "/api/v1/lineage/paths", {"origin": "dataset:warehouse:mart", "destination": f"dataset:{PG}:staged"}
    ).json()
    assert back["direction"] == "upstream" and back["path"][0] == "dataset:warehouse:mart"
    none = client.get(
        "/api/v1/lineage/paths", {"origin": f"dataset:{PG}:dim", "destination": f"dataset:{PG}:raw"}
    ).json()
    assert none == {"direction": None, "path": []}


def test_stewards_add_and_remove_edges(client, token, chain):
    body = {"origin": "job:airflow:build", "destination": f"dataset:{PG}:audit", "confidence": 0.8}
    assert (
        client.post(
            "/api/v1/lineage/edges", body, content_type="application/json", **bearer(token)
        ).status_code
        == 404
    )
    body["destination"] = f"dataset:{PG}:dim"
    response = client.post("/api/v1/lineage/edges", body, content_type="application/json", **bearer(token))
    assert response.status_code == 201, response.content
    assert response.json()["provenance"] == "manual"
    again = client.post("/api/v1/lineage/edges", body, content_type="application/json", **bearer(token))
    assert again.status_code == 409
    wrong = client.post("/api/v1/lineage/edges", {"origin": f"dataset:{PG}:raw", "destination": f"dataset:{PG}:dim"},
                        content_type="application/json", **bearer(token))  # fmt: skip
    assert wrong.status_code == 400
    bad = client.post(
        "/api/v1/lineage/edges", {**body, "confidence": 2}, content_type="application/json", **bearer(token)
    )
    assert bad.status_code == 400 and bad.json()["fields"] == {"confidence": "0..1"}
    graph = client.get("/api/v1/lineage", {"nodeId": "job:airflow:build", "depth": 1}).json()
    assert f"dataset:{PG}:dim" in [e["destination"] for n in graph["graph"] for e in n["outEdges"]]
    query = f"?origin=job:airflow:build&destination=dataset:{PG}:dim"
    assert client.delete("/api/v1/lineage/edges" + query, **bearer(token)).status_code == 204
    assert client.delete("/api/v1/lineage/edges" + query, **bearer(token)).status_code == 404
    column = client.post(
        "/api/v1/lineage/column-edges",
        {"input": f"datasetField:{PG}:dim:region", "output": "datasetField:warehouse:mart:total"},
        content_type="application/json",
        **bearer(token),
    )
    assert column.status_code == 201, column.content
    up = client.get(
        "/api/v1/column-lineage", {"nodeId": "datasetField:warehouse:mart:total", "depth": 1}
    ).json()
    assert f"datasetField:{PG}:dim:region" in ids(up)


def test_large_neighbourhoods_are_cut_nearest_first_and_say_so(client, ingest, settings):
    ingest(
        run_event(
            "COMPLETE",
            "fan",
            inputs=[dataset("ns", "hub")],
            outputs=[dataset("ns", f"o{i}") for i in range(30)],
        )
    )
    settings.DICTAMESH_LINEAGE_MAX_NODES = 10
    answer = client.get("/api/v1/lineage", {"nodeId": "dataset:ns:hub", "depth": 2}).json()
    assert answer["truncated"] is True
    assert len(answer["graph"]) <= 10
    assert {"dataset:ns:hub", "job:airflow:fan"} <= set(ids(answer))  # the nearest are kept
    settings.DICTAMESH_LINEAGE_MAX_NODES = 100
    whole = client.get("/api/v1/lineage", {"nodeId": "dataset:ns:hub", "depth": 2}).json()
    assert whole["truncated"] is False and len(whole["graph"]) == 32


def test_stewards_link_a_dataset_to_an_adapters_entity(client, token, chain):
    from apps.catalog import public as catalog

    catalog.ensure_home(source="erp", source_kind="postgresql", domain="finance")
    catalog.entities_upsert(items=[{"source": "erp", "type": "table", "source_key": "public.mart", "name": "mart",
                                    "domain": "finance", "owners": ["user:dave"]}])  # fmt: skip
    urn = "dm:erp:table:public.mart"
    body = {"nodeId": "dataset:warehouse:mart", "urn": urn}
    response = client.put(
        "/api/v1/lineage/entity-link", body, content_type="application/json", **bearer(token)
    )
    assert response.status_code == 200, response.content
    assert Node.objects.get(name="mart").entity_urn == urn
    impact = client.get("/api/v1/lineage/impact", {"nodeId": f"dataset:{PG}:staged", "depth": 2}).json()
    assert impact["datasets"][0]["owners"] == ["user:dave"]  # the linked entity's owners
    missing = client.put("/api/v1/lineage/entity-link", {**body, "urn": "dm:erp:table:nope"},
                         content_type="application/json", **bearer(token))  # fmt: skip
    assert missing.status_code == 404
    job = client.put("/api/v1/lineage/entity-link", {**body, "nodeId": "job:airflow:build"},
                     content_type="application/json", **bearer(token))  # fmt: skip
    assert job.status_code == 400
