"""DictaMesh's own Prometheus metrics (``dictamesh_*``) and the /metrics exposition.

In a multi-process host (web workers, Celery prefork children, `dictamesh dev`) set
PROMETHEUS_MULTIPROC_DIR to one directory per host: every process writes there and /metrics
aggregates them all. Without it each process exposes its own values.
"""

from __future__ import annotations

import os

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

HTTP_REQUESTS = Counter(
    "dictamesh_http_requests_total",
    "HTTP requests by method, route pattern and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "dictamesh_http_request_duration_seconds",
    "HTTP request latency by method and route pattern.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CELERY_TASKS = Counter(
    "dictamesh_celery_tasks_total",
    "Celery task outcomes (success, failure, retry, revoked) by task name.",
    ["task", "outcome"],
)
CELERY_TASK_DURATION = Histogram(
    "dictamesh_celery_task_duration_seconds",
    "Celery task run time by task name.",
    ["task"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300),
)


class DatabasePoolCollector:
    """dictamesh_db_pool_* gauges read at scrape time from this process's psycopg pool."""

    def collect(self):
        from django.conf import settings
        from django.db import connections

        enabled = GaugeMetricFamily("dictamesh_db_pool_enabled", "1 when psycopg connection pooling is on.")
        enabled.add_metric([], 1.0 if getattr(settings, "DICTAMESH_DB_POOL", False) else 0.0)
        yield enabled
        size = GaugeMetricFamily(
            "dictamesh_db_pool_connections", "Pool connections by state.", labels=["alias", "state"]
        )
        waiting = GaugeMetricFamily(
            "dictamesh_db_pool_requests_waiting", "Requests waiting for a connection.", labels=["alias"]
        )
        for alias in connections:
            wrapper = connections[alias]
            pool = (
                type(wrapper)._connection_pools.get(alias)
                if hasattr(type(wrapper), "_connection_pools")
                else None
            )
            if pool is None:
                continue
            stats = pool.get_stats()
            size.add_metric([alias, "open"], float(stats.get("pool_size", 0)))
            size.add_metric([alias, "idle"], float(stats.get("pool_available", 0)))
            size.add_metric([alias, "max"], float(stats.get("pool_max", 0)))
            waiting.add_metric([alias], float(stats.get("requests_waiting", 0)))
        yield size
        yield waiting


_live_collectors: list = [DatabasePoolCollector()]
_registered: set[int] = set()


def register_live_collector(collector) -> None:
    """A collector read at scrape time in this process (also served in multi-process mode)."""
    if all(existing is not collector for existing in _live_collectors):
        _live_collectors.append(collector)
    register_collectors()


def register_collectors() -> None:
    for collector in _live_collectors:
        if id(collector) not in _registered:
            REGISTRY.register(collector)
            _registered.add(id(collector))


def exposition() -> bytes:
    """The Prometheus text of this process, or of every process of the host in multi-process mode."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        for collector in _live_collectors:
            registry.register(collector)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def serve_metrics(port: int, addr: str = "0.0.0.0") -> None:
    """Serve this host's metrics on their own port (for processes without a web server)."""
    from prometheus_client import start_http_server

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        start_http_server(port, addr=addr, registry=registry)
    else:
        start_http_server(port, addr=addr)
