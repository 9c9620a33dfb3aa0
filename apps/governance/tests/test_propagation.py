"""Confirmed classifications travel downstream along column lineage, with provenance; a steward removes
one at any hop, and the hops beyond it go too."""

from __future__ import annotations

import json

import pytest

from apps.catalog.models import Entity
from apps.governance import classification
from apps.governance.models import FieldClassification
from apps.governance.tests.helpers import pay_chain, person
from apps.lineage import services as lineage
from apps.lineage.ingestion import dataset_urn
from apps.lineage.tests.conftest import PG, column_lineage, dataset, run_event

RAW, MID, OUT = "public.raw_pay", "public.salaries", "public.pay_report"


@pytest.fixture
def chain(db):
    """raw_pay.amount → salaries.amount → pay_report.total (and pay_report.n, derived from nothing)."""
    pay_chain()


def _copies():
    return {
        (row.urn, row.path): (row.status, row.hops, row.via.path if row.via else None)
        for row in FieldClassification.objects.filter(origin__isnull=False).select_related("via")
    }


def test_a_confirmed_classification_propagates_and_is_removable_at_any_hop(chain, client):
    steward = person("stella", staff=True)
    body = {
        "urn": dataset_urn(PG, RAW),
        "path": "amount",
        "pii_category": "bank_account",
        "classification": "restricted",
    }
    root = client.post(
        "/api/v1/governance/fields", json.dumps(body), content_type="application/json", **steward
    ).json()
    assert _copies() == {
        (dataset_urn(PG, MID), "amount"): ("confirmed", 1, "amount"),
        (dataset_urn(PG, OUT), "total"): ("confirmed", 2, "amount"),
    }
    copy = FieldClassification.objects.get(urn=dataset_urn(PG, OUT), path="total")
    assert copy.origin_id == root["id"] and copy.detector == "lineage" and copy.pii_category == "bank_account"
    assert f"from {dataset_urn(PG, RAW)}#amount (2 hops)" in copy.evidence
    assert Entity.objects.get(urn=dataset_urn(PG, OUT)).pii_categories == ["bank_account"]
    assert Entity.objects.get(urn=dataset_urn(PG, OUT)).sensitive_fields == ["total"]
    # removed at the middle hop: the hop beyond goes too, and stays gone when propagation runs again
    middle = FieldClassification.objects.get(urn=dataset_urn(PG, MID), path="amount")
    client.post(f"/api/v1/governance/fields/{middle.pk}/reject", **steward)
    assert _copies() == {
        (dataset_urn(PG, MID), "amount"): ("rejected", 1, "amount"),
        (dataset_urn(PG, OUT), "total"): ("rejected", 2, "amount"),
    }
    assert Entity.objects.get(urn=dataset_urn(PG, OUT)).sensitive_fields == []
    classification.propagate_all()
    assert _copies()[(dataset_urn(PG, OUT), "total")][0] == "rejected"
    # confirmed again at the middle: the hop beyond comes back
    client.post(f"/api/v1/governance/fields/{middle.pk}/confirm", **steward)
    classification.propagate_all()
    assert _copies()[(dataset_urn(PG, MID), "amount")][0] == "confirmed"
    # the root rejected: every copy goes
    client.post(f"/api/v1/governance/fields/{root['id']}/reject", **steward)
    assert _copies() == {}
    assert Entity.objects.get(urn=dataset_urn(PG, MID)).sensitive_fields == []


def test_new_lineage_is_reached_by_the_beat_task(chain, client):
    steward = person("stella", staff=True)
    body = {"urn": dataset_urn(PG, RAW), "path": "amount", "pii_category": "bank_account"}
    client.post("/api/v1/governance/fields", json.dumps(body), content_type="application/json", **steward)
    lineage.ingest(
        run_event(
            "COMPLETE",
            "export",
            inputs=[dataset(PG, OUT, [("total", "int")])],
            outputs=[
                dataset(
                    PG,
                    "public.export",
                    [("sum", "int")],
                    columnLineage=column_lineage({"sum": [(PG, OUT, "total")]}),
                )
            ],
        )  # fmt: skip
    )
    lineage.catch_up()
    assert (dataset_urn(PG, "public.export"), "sum") not in _copies()
    from apps.governance.tasks import propagate

    assert propagate() == 3
    assert _copies()[(dataset_urn(PG, "public.export"), "sum")] == ("confirmed", 3, "total")
