"""dictamesh_adapter_* metrics: every call an adapter makes (the SDK's hooks) and every sync run."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

from dictamesh.adapters.base import Metrics

CALLS = Histogram(
    "dictamesh_adapter_call_seconds",
    "Adapter operations (sync, fetch, health, …) by instance, operation and outcome.",
    ["instance", "operation", "outcome"],
)
EVENTS = Counter("dictamesh_adapter_events_total", "Things adapters count (retries, records without a key…).",
                 ["instance", "name"])  # fmt: skip
RUNS = Counter(
    "dictamesh_adapter_sync_runs_total", "Sync runs finished, by instance and status.", ["instance", "status"]
)
ENTITIES = Counter("dictamesh_adapter_sync_entities_total", "Entities a sync wrote, by instance and outcome.",
                   ["instance", "outcome"])  # fmt: skip


class _Hooks(Metrics):
    def __init__(self, instance: str):
        self.instance = instance

    def observe(self, operation: str, seconds: float, outcome: str) -> None:
        CALLS.labels(instance=self.instance, operation=operation, outcome=outcome).observe(seconds)

    def count(self, name: str, value: int = 1) -> None:
        EVENTS.labels(instance=self.instance, name=name).inc(value)


def hooks(row) -> Metrics:
    return _Hooks(row.name)


def run_finished(row, status: str, run) -> None:
    RUNS.labels(instance=row.name, status=status).inc()
    for outcome in ("created", "updated", "unchanged", "deleted", "failed"):
        if run.counts.get(outcome):
            ENTITIES.labels(instance=row.name, outcome=outcome).inc(run.counts[outcome])
