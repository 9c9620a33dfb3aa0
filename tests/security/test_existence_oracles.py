"""Hole 9: a hidden entity and a missing one answer alike — explain, the event log (lineage and registry
events naming it), Marquez job inputs — and (hole 10) explain agrees with masking on unconfirmed fields."""

from __future__ import annotations

import json

import pytest

from apps.governance.tests.helpers import urn
from apps.lineage import services as lineage
from apps.lineage.tests.conftest import PG, dataset, run_event
from apps.schemas.public import register_schema

SALARIES = urn("salaries")
AVRO = json.dumps({"type": "record", "name": "Pay", "fields": [{"name": "amount", "type": "int"}]})


def test_explain_answers_a_hidden_entity_as_a_missing_one(world, client):
    explain = "/api/v1/governance/explain"
    for headers in ({}, world["alice"]):
        hidden = client.get(explain, {"action": "read", "resource": SALARIES}, **headers)
        missing = client.get(explain, {"action": "read", "resource": urn("nothing")}, **headers)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["code"] == missing.json()["code"]
        field = client.get(explain, {"action": "read_sensitive", "resource": SALARIES + "#amount"}, **headers)
        assert field.status_code == 404
    assert client.get(explain, {"action": "read", "resource": SALARIES}, **world["root"]).status_code == 200


def test_explain_does_not_call_an_unconfirmed_field_masked(world, client):
    answer = client.get(
        "/api/v1/governance/explain",
        {"action": "read_sensitive", "resource": urn("customers") + "#card"},
        **world["alice"],
    ).json()
    shown = client.get(f"/api/v1/catalog/entities/{urn('customers')}", **world["alice"]).json()
    assert "card" not in shown.get("masked_fields", [])  # served in clear: no steward confirmed it
    assert answer["decision"]["allowed"] is True and answer["decision"]["reason"] == "not_sensitive"


@pytest.fixture
def linked(world, client):
    """A lineage dataset linked to the restricted entity, a job reading it, and its data contract."""
    lineage.ingest(run_event("COMPLETE", "payroll_report", inputs=[dataset(PG, "public.pay", [("amount", "int")])],
                             outputs=[dataset(PG, "public.report", [("total", "int")])]))  # fmt: skip
    lineage.catch_up()
    response = client.put("/api/v1/lineage/entity-link",
                          json.dumps({"nodeId": f"dataset:{PG}:public.pay", "urn": SALARIES}),
                          content_type="application/json", **world["root"])  # fmt: skip
    assert response.status_code == 200, response.content
    register_schema(subject="payroll-value", schema_type="AVRO", schema=AVRO)
    response = client.patch(f"/api/v1/catalog/entities/{SALARIES}", json.dumps({"schema_subject": "payroll-value"}),
                            content_type="application/json", **world["root"])  # fmt: skip
    assert response.status_code == 200, response.content


def _log(client, headers) -> list[dict]:
    return client.get("/api/v1/events", {"limit": 500}, **headers).json()["items"]


def test_the_event_log_names_nothing_hidden(linked, client, world):
    def about(items, needle):
        return [i["type"] for i in items if needle in json.dumps(i)]

    everything = _log(client, world["root"])
    assert about(everything, SALARIES) and about(everything, "payroll-value")
    assert "dictamesh.lineage.graph.dataset_linked" in about(everything, "public.pay")
    for headers in ({}, world["alice"]):
        shown = _log(client, headers)
        assert about(shown, SALARIES) == [] and about(shown, "payroll-value") == []
        # the node is linked to the restricted entity now: the lineage events naming it are left out (the
        # catalog entity lineage first made for it stays visible, and only it names the dataset)
        assert [t for t in about(shown, "public.pay") if not t.startswith("dictamesh.catalog.")] == []
        assert "dictamesh.lineage.graph.event_ingested" not in about(shown, "public.pay")
        assert about(shown, "public.report")  # what it may see is still there


def test_marquez_job_inputs_leave_out_a_hidden_dataset(linked, client, world):
    path = "/api/v1/namespaces/airflow/jobs/payroll_report"
    job = client.get(path, **world["alice"]).json()
    assert job["inputs"] == [] and job["outputs"] == [{"namespace": PG, "name": "public.report"}]
    assert client.get(path, **world["root"]).json()["inputs"] == [{"namespace": PG, "name": "public.pay"}]
