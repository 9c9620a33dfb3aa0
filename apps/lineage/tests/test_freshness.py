"""Freshness SLAs: set over REST, checked against completed writes, breached and restored once each."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from apps.lineage import services
from apps.lineage.models import Freshness
from dictamesh.events.models import EventLog, OutboxMessage
from tests.conftest import bearer

from .conftest import dataset, run_event

pytestmark = pytest.mark.django_db
NODE = "dataset:warehouse:orders_daily"
WROTE = datetime.fromisoformat("2026-11-26T10:00:00+00:00")


def _events(kind: str) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(type=f"dictamesh.lineage.freshness.{kind}").order_by("id"))


def _logged(kind: str) -> list[EventLog]:
    """The event log keeps the state before and after each change."""
    return list(EventLog.objects.filter(type=f"dictamesh.lineage.freshness.{kind}").order_by("id"))


def _write(ingest, time: str, state: str = "COMPLETE") -> None:
    ingest(run_event(state, "load_orders", time=time, outputs=[dataset("warehouse", "orders_daily")]))


def _put(client, token, body):
    return client.put(
        "/api/v1/lineage/freshness/sla", data=body, content_type="application/json", **bearer(token)
    )


def test_a_dataset_written_late_is_breached_then_restored_once_each(client, token, ingest):
    _write(ingest, "2026-11-26T10:00:00Z")
    _write(ingest, "2026-11-26T12:00:00Z", state="FAIL")  # a failed run wrote nothing
    answer = _put(client, token, {"nodeId": NODE, "slaSeconds": 6 * 3600})
    assert answer.status_code == 200, answer.content
    sla = answer.json()
    assert sla["slaSeconds"] == 21600 and sla["lastWrittenAt"] == "2026-11-26T10:00:00Z"
    assert sla["dueAt"] == "2026-11-26T16:00:00Z" and sla["createdBy"] == "user:alice"
    [set_event] = _events("sla_set")
    assert set_event.data == {"nodeId": NODE, "slaSeconds": 21600} and set_event.subject == sla["urn"]
    # on time until the due moment: nothing is published
    assert services.freshness_check(now=WROTE + timedelta(hours=5, minutes=59))["breached"] == 0
    assert not _events("breached")
    # late: one breach, however many checks
    late = WROTE + timedelta(hours=7)
    assert services.freshness_check(now=late) == {"checked": 1, "breached": 1, "restored": 0}
    assert services.freshness_check(now=late + timedelta(minutes=1))["breached"] == 0
    [breach] = _events("breached")
    assert breach.subject == sla["urn"]  # the catalog entity: its owners can subscribe
    assert breach.data["overdueSeconds"] == 3600 and breach.data["lastWrittenAt"] == "2026-11-26T10:00:00Z"
    row = Freshness.objects.get()
    assert row.breached_at == late and row.checked_at == late + timedelta(minutes=1)
    listed = client.get("/api/v1/lineage/freshness", {"late": "true"}, **bearer(token)).json()
    assert listed["totalCount"] == 1 and listed["slas"][0]["breachedAt"] == "2026-11-26T17:00:00Z"
    # a completed write: on time again, restored once; Marquez's lastModifiedAt shows the write
    _write(ingest, "2026-11-26T17:30:00Z")
    restored = services.freshness_check(now=late + timedelta(minutes=31))
    assert (
        restored["restored"] == 1
        and services.freshness_check(now=late + timedelta(minutes=32))["restored"] == 0
    )
    [back] = _events("restored")
    assert (
        back.data["lateSince"] == "2026-11-26T17:00:00Z"
        and back.data["lastWrittenAt"] == "2026-11-26T17:30:00Z"
    )
    marquez = client.get("/api/v1/namespaces/warehouse/datasets/orders_daily", **bearer(token)).json()
    assert marquez["lastModifiedAt"] == "2026-11-26T17:30:00Z"


def test_without_any_write_the_sla_counts_from_its_creation(client, token, ingest):
    ingest(run_event("START", "load_orders", outputs=[dataset("warehouse", "orders_daily")]))
    sla = _put(client, token, {"nodeId": NODE, "slaSeconds": 3600}).json()
    assert sla["lastWrittenAt"] is None and sla["status"] == "fresh"
    created = Freshness.objects.get().created_at
    assert services.freshness_check(now=created + timedelta(minutes=59))["breached"] == 0
    assert services.freshness_check(now=created + timedelta(minutes=61))["breached"] == 1
    assert _events("breached")[0].data["lastWrittenAt"] is None


def test_changing_and_removing_an_sla(client, token, ingest):
    _write(ingest, "2026-11-26T10:00:00Z")
    _put(client, token, {"nodeId": NODE, "slaSeconds": 3600})
    assert _put(client, token, {"nodeId": NODE, "slaSeconds": 3600}).status_code == 200
    assert len(_events("sla_set")) == 1  # the same SLA again: no change, no event
    changed = _put(client, token, {"nodeId": NODE, "slaSeconds": 7200}).json()
    assert changed["slaSeconds"] == 7200
    assert _logged("sla_set")[-1].before == {"slaSeconds": 3600}
    one = client.get("/api/v1/lineage/freshness/sla", {"nodeId": changed["urn"]}, **bearer(token))
    assert one.status_code == 200 and one.json()["nodeId"] == NODE  # a catalog URN names the dataset too
    gone = client.delete(f"/api/v1/lineage/freshness/sla?nodeId={NODE}", **bearer(token))
    assert gone.status_code == 204 and not Freshness.objects.exists()
    assert _logged("sla_removed")[0].before == {"slaSeconds": 7200}
    again = client.delete(f"/api/v1/lineage/freshness/sla?nodeId={NODE}", **bearer(token))
    assert again.status_code == 404
    assert client.get("/api/v1/lineage/freshness/sla", {"nodeId": NODE}, **bearer(token)).status_code == 404


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"nodeId": NODE, "slaSeconds": 59}, 400, "slaSeconds"),
        ({"nodeId": NODE, "slaSeconds": "3600"}, 400, "slaSeconds"),
        ({"nodeId": NODE, "slaSeconds": True}, 400, "slaSeconds"),
        ({"nodeId": NODE, "slaSeconds": 10**9}, 400, "slaSeconds"),
        ({"nodeId": "job:airflow:load_orders", "slaSeconds": 3600}, 400, "nodeId"),
        ({"nodeId": "dataset:warehouse:nope", "slaSeconds": 3600}, 404, None),
        ({"nodeId": "orders", "slaSeconds": 3600}, 400, "nodeId"),
    ],
)
def test_bad_slas_are_refused_and_nothing_is_written(client, token, ingest, body, status, field):
    _write(ingest, "2026-11-26T10:00:00Z")
    answer = _put(client, token, body)
    assert answer.status_code == status, answer.content
    if field:
        assert field in answer.json().get("fields", {}), answer.content
    assert not Freshness.objects.exists() and not _events("sla_set")
