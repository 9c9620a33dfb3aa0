from __future__ import annotations

import pytest

from apps.lineage import demo
from apps.lineage.models import ColumnEdge, LineageEvent, Node

pytestmark = pytest.mark.django_db


def test_the_demo_pipeline_loads_once_and_answers_lineage_questions(client):
    first = demo.load()
    assert "20 OpenLineage events (20 new)" in first
    assert "(0 new)" in demo.load()  # idempotent: every event is a duplicate
    assert LineageEvent.objects.count() == 20
    assert Node.objects.filter(kind="job").count() == 5 and Node.objects.filter(kind="dataset").count() == 9
    assert ColumnEdge.objects.count() >= 15
    source = "datasetField:postgres://erp-db:5432:erp.public.orders:amount"
    impact = client.get("/api/v1/lineage/impact", {"nodeId": source, "depth": 10}).json()
    reached = [f["id"] for f in impact["fields"]]
    assert "datasetField:snowflake://acme.eu-west-1:exports.finance_dashboard:revenue_eur" in reached
    owners = {o for d in impact["datasets"] for o in d["owners"]}
    assert {"group:analytics-eng", "user:finance.controller"} <= owners
    graph = client.get(
        "/api/v1/lineage",
        {"nodeId": "dataset:snowflake://acme.eu-west-1:exports.finance_dashboard", "depth": 10},
    ).json()
    assert len(graph["graph"]) == 14
