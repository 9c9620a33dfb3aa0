"""Live data: the records behind catalog entities, fetched from their source systems through the adapters.

``fetch_live(entities)`` answers for many entities at once, as a GraphQL DataLoader asks:
- an entity whose source system is no adapter instance (or a disabled one) has no live data (None, no error);
- cached records (L1 in this process, L2 in Redis) are used for their entity's cache TTL (``cache.ttl_seconds``;
  strategy ``none``: never cached), and each fill is recorded in the catalog's cache status;
- the others are fetched with one ``adapter.fetch(type, keys)`` per source and type, the sources at once on a
  thread pool, each within ``DICTAMESH_GATEWAY_TIMEOUT_SECONDS``;
- a source that fails (an error, a timeout) fails its entities only: they get an ``error`` naming the source,
  the others their data. After ``DICTAMESH_GATEWAY_BREAKER_FAILURES`` consecutive failures its circuit opens:
  its entities fail at once for ``DICTAMESH_GATEWAY_BREAKER_SECONDS``, then one trial fetch is let through.

Adapters are kept started per process (their HTTP sessions and database connections are reused) and replaced
when their instance's configuration changes. Records are cached unmasked; governance masks them per caller.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings

from dictamesh.adapters import AdapterError
from dictamesh.adapters import registry as adapter_registry
from dictamesh.cache import TwoLevelCache

from . import metrics
from .models import AdapterInstance

logger = logging.getLogger("dictamesh.adapters.live")
LIVE_CACHE = TwoLevelCache(
    "adapters.live",
    l1_size=lambda: settings.DICTAMESH_GATEWAY_L1_SIZE,
    l1_ttl=lambda: settings.DICTAMESH_GATEWAY_L1_TTL_SECONDS,
)
INSTANCES_SECONDS = 60.0  # a safety net: a change is seen at once through its config version


@dataclass(frozen=True)
class Live:
    data: dict | None
    source: str
    fetched_at: str | None = None
    cached: bool = False
    error: str | None = None


class Breaker:
    """A circuit breaker per source: closed → open after N consecutive failures → half-open after a while
    (one trial call: success closes it, failure opens it again)."""

    def __init__(self):
        self.failures = 0
        self.opened_at: float | None = None
        self.trial = False
        self.lock = threading.Lock()

    def allow(self) -> bool:
        with self.lock:
            if self.opened_at is None:
                return True
            if (
                time.monotonic() - self.opened_at >= settings.DICTAMESH_GATEWAY_BREAKER_SECONDS
                and not self.trial
            ):
                self.trial = True  # half-open: this caller tries
                return True
            return False

    def succeeded(self) -> None:
        with self.lock:
            self.failures, self.opened_at, self.trial = 0, None, False

    def failed(self) -> None:
        with self.lock:
            self.failures += 1
            self.trial = False
            if self.failures >= settings.DICTAMESH_GATEWAY_BREAKER_FAILURES:
                self.opened_at = time.monotonic()

    @property
    def open(self) -> bool:
        return self.opened_at is not None


_lock = threading.Lock()
_adapters: dict[str, tuple[str, object]] = {}
_breakers: dict[str, Breaker] = {}
_instances: tuple[int, float, dict[str, AdapterInstance]] = (-1, 0.0, {})
_executor: ThreadPoolExecutor | None = None


def _fingerprint(row: AdapterInstance) -> str:
    return hashlib.sha256(json.dumps([row.kind, row.config], sort_keys=True).encode()).hexdigest()


def _adapter(row: AdapterInstance):
    """The started adapter of an instance, made again when its configuration changed."""
    fingerprint = _fingerprint(row)
    with _lock:
        current = _adapters.get(row.name)
        if current is not None and current[0] == fingerprint:
            return current[1]
        adapter = adapter_registry.create(row.kind, row.config, instance=row.name, metrics=metrics.hooks(row))
        adapter.start()
        _adapters[row.name] = (fingerprint, adapter)
    if current is not None:
        try:
            current[1].stop()
        except Exception:  # noqa: BLE001 - the old one is dropped either way
            logger.warning("stopping the previous adapter of %s failed", row.name, exc_info=True)
    return adapter


def breaker(name: str) -> Breaker:
    with _lock:
        return _breakers.setdefault(name, Breaker())


def _enabled_instances() -> dict[str, AdapterInstance]:
    """Enabled instances by name, kept while the instances' config version holds: an instance changed
    now is used (or no longer used) at the next request, in every process."""
    global _instances
    from .typed import generation

    version = generation()
    kept, stamp, found = _instances
    if kept != version or time.monotonic() - stamp >= INSTANCES_SECONDS:
        found = {row.name: row for row in AdapterInstance.objects.filter(enabled=True)}
        _instances = (version, time.monotonic(), found)
    return found


def reset() -> None:
    """Forget started adapters, circuits and the instance list (tests; a configuration change is noticed
    without it)."""
    global _instances
    with _lock:
        adapters = list(_adapters.values())
        _adapters.clear()
        _breakers.clear()
        _instances = (-1, 0.0, {})
    for _, adapter in adapters:
        try:
            adapter.stop()
        except Exception:  # noqa: BLE001
            logger.warning("stopping an adapter failed", exc_info=True)


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                settings.DICTAMESH_GATEWAY_WORKERS, thread_name_prefix="dictamesh-live"
            )
        return _executor


def _ttl(entity: dict) -> int:
    cache = entity.get("cache") or {}
    return 0 if cache.get("strategy") == "none" else int(cache.get("ttl_seconds") or 0)


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def fetch_live(entities: list[dict]) -> dict[str, Live]:
    """{urn: Live} for entity states (``urn``, ``source``, ``type``, ``source_key``, ``cache``, ``id``)."""
    instances = _enabled_instances()
    out: dict[str, Live] = {}
    wanted = []
    for entity in entities:
        if entity["source"] in instances:
            wanted.append(entity)
        else:
            out[entity["urn"]] = Live(None, entity["source"])
    cached = LIVE_CACHE.get_many([e["urn"] for e in wanted if _ttl(e) > 0])
    groups: dict[tuple[str, str], list[dict]] = {}
    for entity in wanted:
        hit = cached.get(entity["urn"])
        if hit is not None:
            out[entity["urn"]] = Live(hit["data"], entity["source"], hit["fetched_at"], cached=True)
        else:
            groups.setdefault((entity["source"], entity["type"]), []).append(entity)
    if not groups:
        return out
    calls = {}
    for (source, entity_type), members in groups.items():
        gate = breaker(source)
        if not gate.allow():
            for entity in members:
                out[entity["urn"]] = Live(
                    None, source, error=f"source {source} is unavailable (circuit open)"
                )
            continue
        keys = list(dict.fromkeys(e["source_key"] for e in members))
        calls[(source, entity_type)] = _pool().submit(_fetch, instances[source], entity_type, keys)
    deadline = time.monotonic() + settings.DICTAMESH_GATEWAY_TIMEOUT_SECONDS
    fills: dict[str, tuple[dict, int]] = {}
    filled_ids: dict[int, int] = {}
    for (source, entity_type), future in calls.items():
        members = groups[(source, entity_type)]
        try:
            records = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            breaker(source).failed()
            error = f"source {source} did not answer within {settings.DICTAMESH_GATEWAY_TIMEOUT_SECONDS:g} s"
            records, problem = None, error
        except AdapterError as exc:
            breaker(source).failed()
            records, problem = None, f"source {source} failed: {exc.message}"[:500]
        except Exception as exc:  # noqa: BLE001 - an adapter's bug fails its fields, not the request
            logger.exception("live fetch from %s failed", source)
            breaker(source).failed()
            records, problem = None, f"source {source} failed: {type(exc).__name__}"
        else:
            breaker(source).succeeded()
            problem = None
        fetched_at = _now()
        for entity in members:
            if records is None:
                out[entity["urn"]] = Live(None, source, error=problem)
                continue
            data = records.get(entity["source_key"])
            out[entity["urn"]] = Live(data, source, fetched_at)
            ttl = _ttl(entity)
            if data is not None and ttl > 0:
                fills[entity["urn"]] = ({"data": data, "fetched_at": fetched_at}, ttl)
                filled_ids[entity["id"]] = ttl
    if fills:
        LIVE_CACHE.put_many(fills)
        from apps.catalog import public as catalog

        catalog.cache_filled(ttls=filled_ids)
    return out


def _fetch(row: AdapterInstance, entity_type: str, keys: list[str]) -> dict[str, dict | None]:
    from django.db import close_old_connections

    try:
        adapter = _adapter(row)
        return adapter.timed("fetch", adapter.fetch, entity_type, keys)
    finally:
        close_old_connections()
