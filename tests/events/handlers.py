"""Handlers the consumer tests register. Their side effect is a real row: one auth Group named after the event.

Group names are unique, so an event handled twice would fail with IntegrityError and end in the DLQ:
"each side effect once" is checked by counting groups and dead letters.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from django.contrib.auth.models import Group

from dictamesh.events.envelope import Event


def _attempt(event: Event) -> int:
    """Attempts so far, counted outside the database (a failed attempt's rows are rolled back)."""
    path = Path(os.environ.get("DICTAMESH_TEST_SCRATCH", "/tmp")) / f"attempts-{event.id}"
    with path.open("a") as handle:
        handle.write("x")
    return len(path.read_text())


def record(event: Event) -> None:
    if isinstance(event.data, dict) and event.data.get("poison"):
        raise ValueError(f"poison event {event.id}")
    fail_times = event.data.get("fail_times", 0) if isinstance(event.data, dict) else 0
    if fail_times and _attempt(event) <= fail_times:
        raise RuntimeError(f"transient failure of {event.id}")
    if isinstance(event.data, dict) and event.data.get("sleep"):
        time.sleep(event.data["sleep"])  # a slow handler keeps a batch in flight during a rebalance
    Group.objects.create(name=event.id)


def record_batch(events: list[Event]) -> None:
    """The batch form of ``record``: one statement for the batch; any event that would fail fails the batch
    (its events are then redone one by one with ``record``). Each call is logged with its size."""
    scratch = Path(os.environ.get("DICTAMESH_TEST_SCRATCH", "/tmp"))
    with (scratch / "batches").open("a") as handle:
        handle.write(f"{len(events)}\n")
    for event in events:
        data = event.data if isinstance(event.data, dict) else {}
        if data.get("poison") or data.get("fail_times"):
            raise RuntimeError(f"event {event.id} fails the batch")
    Group.objects.bulk_create([Group(name=event.id) for event in events])
