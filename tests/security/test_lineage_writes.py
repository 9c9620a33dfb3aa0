"""Hole 4: OpenLineage ingestion refuses (403, naming nothing) an event that would change a dataset the
writer may not write, on the Django route and on the fast WSGI route alike."""

from __future__ import annotations

import json

import orjson
import pytest

from apps.lineage import services as lineage
from apps.lineage.models import DatasetField, LineageEvent
from apps.lineage.tests.conftest import PG, dataset, run_event
from tests.platform.test_fast_routes import call

SECRET = "public.payroll"


@pytest.fixture
def hidden(world, client):
    """A dataset whose catalog entity a steward made restricted."""
    lineage.ingest(run_event("COMPLETE", "load", outputs=[dataset(PG, SECRET, [("amount", "int")])]))
    lineage.catch_up()
    from apps.lineage.models import Node

    urn = Node.objects.get(name=SECRET).entity_urn
    response = client.patch(
        f"/api/v1/catalog/entities/{urn}",
        json.dumps({"classification": "restricted"}),
        content_type="application/json",
        **world["root"],
    )
    assert response.status_code == 200, response.content
    return urn


def _rewrite(job="evil"):
    return run_event("COMPLETE", job, outputs=[dataset(PG, SECRET, [("stolen", "text")])])


def test_a_plain_writer_cannot_rewrite_a_hidden_dataset(hidden, client, world):
    events = LineageEvent.objects.count()
    response = client.post("/api/v1/lineage", orjson.dumps(_rewrite()), content_type="application/json",
                           **world["alice"])  # fmt: skip
    assert response.status_code == 403, response.content
    body = response.json()
    assert body["code"] == "lineage_write_denied"
    assert SECRET not in response.content.decode() and hidden not in response.content.decode()
    status, _, fast = call("/api/v1/lineage", orjson.dumps(_rewrite("evil2")), **world["alice"])
    assert status == 403 and fast["code"] == "lineage_write_denied"
    inputs = run_event("COMPLETE", "evil3", inputs=[dataset(PG, SECRET, [("x", "int")])])
    assert client.post("/api/v1/lineage", orjson.dumps(inputs), content_type="application/json",
                       **world["alice"]).status_code == 403  # fmt: skip
    lineage.catch_up()
    assert LineageEvent.objects.count() == events
    assert sorted(DatasetField.objects.filter(dataset__name=SECRET, removed_at__isnull=True)
                  .values_list("name", flat=True)) == ["amount"]  # fmt: skip


def test_visible_datasets_and_stewards_are_not_refused(hidden, client, world):
    mine = run_event("COMPLETE", "mine", outputs=[dataset(PG, "public.mine", [("id", "int")])])
    assert client.post("/api/v1/lineage", orjson.dumps(mine), content_type="application/json",
                       **world["alice"]).status_code == 201  # fmt: skip
    assert client.post("/api/v1/lineage", orjson.dumps(_rewrite()), content_type="application/json",
                       **world["root"]).status_code == 201  # fmt: skip
