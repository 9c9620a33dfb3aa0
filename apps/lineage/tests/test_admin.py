from __future__ import annotations

import pytest

from apps.lineage.models import Edge
from dictamesh.auth.services import user_ensure
from dictamesh.events.models import OutboxMessage

from .conftest import PG

pytestmark = pytest.mark.django_db


@pytest.fixture
def steward(client):
    client.force_login(user_ensure(username="steward", superuser=True))
    return client


def test_stewards_browse_what_producers_sent(steward, chain):
    for page in ("namespace", "dataset", "job", "run", "edge", "columnedge"):
        response = steward.get(f"/admin/lineage/{page}/")
        assert response.status_code == 200, page
    datasets = steward.get("/admin/lineage/dataset/").content.decode()
    assert "staged" in datasets and "mart" in datasets
    assert steward.get("/admin/lineage/dataset/add/").status_code == 403  # producers create datasets


def test_stewards_add_and_remove_edges_through_the_services(steward, chain):
    form = {
        "origin": "job:airflow:load",
        "destination": f"dataset:{PG}:dim",
        "confidence": "0.7",
        "note": "seen in code",
    }
    response = steward.post("/admin/lineage/edge/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    edge = Edge.objects.get(source__name="load", target__name="dim")
    assert (edge.provenance, edge.confidence, edge.created_by) == ("manual", 0.7, "user:steward")
    assert OutboxMessage.objects.filter(type="dictamesh.lineage.graph.edge_added").count() == 1
    again = steward.post("/admin/lineage/edge/add/", form)
    assert again.status_code == 200 and "already exists" in again.content.decode()
    wrong = steward.post("/admin/lineage/edge/add/", {**form, "destination": "job:airflow:build"})
    assert "joins a dataset and a job" in wrong.content.decode()
    response = steward.post(
        "/admin/lineage/edge/", {"action": "remove_edges", "_selected_action": [edge.pk]}, follow=True
    )
    assert response.status_code == 200
    assert not Edge.objects.filter(pk=edge.pk).exists()
    assert OutboxMessage.objects.filter(type="dictamesh.lineage.graph.edge_removed").count() == 1


def test_stewards_see_events_set_aside_and_apply_them_again(steward):
    from apps.lineage import ingestion
    from apps.lineage.models import PendingEvent, Run

    from .conftest import run_event

    body = run_event("START", "stuck")
    (stored,) = ingestion._store([ingestion._item(body, "user:producer")])
    PendingEvent.objects.filter(pk=stored[1]).update(
        failed_at="2026-11-26T10:00:00Z", error="boom: a bug", attempts=1
    )
    page = steward.get("/admin/lineage/pendingevent/")
    assert page.status_code == 200 and "boom: a bug" in page.content.decode()
    response = steward.post(
        "/admin/lineage/pendingevent/", {"action": "retry", "_selected_action": [stored[1]]}, follow=True
    )
    assert "1 events queued again; 0 failed again" in response.content.decode()
    assert not PendingEvent.objects.exists()
    assert Run.objects.get(run_id=body["run"]["runId"]).job.name == "stuck"


def test_stewards_set_and_remove_freshness_slas_through_the_services(steward, chain):
    from apps.lineage.models import Freshness

    form = {"dataset_id_text": "dataset:warehouse:mart", "sla_seconds": "3600"}
    response = steward.post("/admin/lineage/freshness/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    row = Freshness.objects.get()
    assert (row.dataset.name, row.sla_seconds, row.created_by) == ("mart", 3600, "user:steward")
    assert OutboxMessage.objects.filter(type="dictamesh.lineage.freshness.sla_set").count() == 1
    listing = steward.get("/admin/lineage/freshness/").content.decode()
    assert "dataset:warehouse:mart" in listing and "2026-11-26T10:00:00Z" in listing  # its last write
    short = steward.post("/admin/lineage/freshness/add/", {**form, "dataset_id_text": f"dataset:{PG}:dim",
                                                            "sla_seconds": "5"})  # fmt: skip
    assert short.status_code == 200 and "From 60 to" in short.content.decode()
    job = steward.post("/admin/lineage/freshness/add/", {**form, "dataset_id_text": "job:airflow:load"})
    assert "set on a dataset" in job.content.decode()
    response = steward.post(
        "/admin/lineage/freshness/", {"action": "remove_slas", "_selected_action": [row.pk]}, follow=True
    )
    assert response.status_code == 200 and not Freshness.objects.exists()
    assert OutboxMessage.objects.filter(type="dictamesh.lineage.freshness.sla_removed").count() == 1


def test_the_graph_link_of_a_dataset_whose_namespace_holds_a_scheme_opens_its_graph(steward, chain):
    import re

    from apps.lineage import services

    services.catch_up()
    datasets = steward.get("/admin/lineage/dataset/").content.decode()
    links = re.findall(r'<a href="(/lineage/[^"]+)">graph</a>', datasets)
    assert links and all("%25" not in link for link in links)  # quoted once, by reverse()
    staged = next(link for link in links if link.endswith(":staged"))
    page = steward.get(staged)
    assert page.status_code == 200, page.content.decode()[:500]
    assert "Lineage of staged" in page.content.decode()
