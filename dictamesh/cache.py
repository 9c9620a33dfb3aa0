"""A two-level read cache: L1 in-process LRU with TTL (cachetools), L2 Redis (Django's cache, django-redis).

``get(key, loader, ttl)`` answers from L1, then L2, then ``loader()`` (filling both). ``invalidate(keys)``
deletes from L2 and broadcasts on a Redis pub/sub channel; every process that has used the cache runs a
listener thread that drops those keys from its L1. Should the listener lose its connection (messages may
have been missed), it clears its whole L1 before listening again; L1's own TTL bounds staleness in any case.

A cache made with ``shared=False`` has no L2: each process fills its L1 from the loader, and invalidations
are only broadcast. With ``generation()`` taken before loading and given to ``put_many``, a value loaded
while an invalidation arrived is not stored: for values a security decision rests on, where even the race
of a read with a write must not leave a stale entry behind.

Metrics: ``dictamesh_cache_hits_total{cache,level}``, ``dictamesh_cache_misses_total{cache}``,
``dictamesh_cache_evictions_total{cache,reason}`` (lru, invalidated).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from cachetools import TTLCache
from django.core.cache import cache as django_cache
from prometheus_client import Counter

logger = logging.getLogger("dictamesh.cache")
CHANNEL = "dictamesh:cache:invalidate"
_MISSING = object()

HITS = Counter("dictamesh_cache_hits_total", "Cache hits.", ["cache", "level"])
MISSES = Counter("dictamesh_cache_misses_total", "Cache misses (the loader ran).", ["cache"])
EVICTIONS = Counter("dictamesh_cache_evictions_total", "Entries dropped from L1.", ["cache", "reason"])


@functools.cache
def _counter(metric: Counter, *labels: str):
    """A labelled child, found once (labelling costs more than counting, and a read counts at every hit)."""
    return metric.labels(*labels)


class _CountingTTLCache(TTLCache):
    def __init__(self, name: str, maxsize: int, ttl: float):
        super().__init__(maxsize=maxsize, ttl=ttl)
        self._name = name

    def popitem(self):
        item = super().popitem()
        _counter(EVICTIONS, self._name, "lru").inc()
        return item


class TwoLevelCache:
    def __init__(
        self, name: str, *, l1_size: Callable[[], int], l1_ttl: Callable[[], float], shared: bool = True
    ):
        self.name = name
        self.shared = shared
        self._generation = 0  # moves whenever entries may have been dropped from this process's L1
        self._l1_size = l1_size
        self._l1_ttl = l1_ttl
        self._l1: _CountingTTLCache | None = None
        self._lock = threading.RLock()
        self._pid = 0
        self._listener: threading.Thread | None = None

    # -- L1 and its listener -------------------------------------------------------------------------
    def _local(self) -> _CountingTTLCache | None:
        size = self._l1_size()
        if size <= 0:
            return None
        pid = os.getpid()
        if self._l1 is None or self._pid != pid:  # first use, or a forked child (gunicorn, celery)
            with self._lock:
                if self._l1 is None or self._pid != pid:
                    self._l1 = _CountingTTLCache(self.name, size, self._l1_ttl())
                    self._pid = pid
                    self._listener = None
        if self._listener is None or not self._listener.is_alive():
            self._start_listener()
        return self._l1

    def _start_listener(self) -> None:
        with self._lock:
            if self._listener is not None and self._listener.is_alive():
                return
            ready = threading.Event()
            self._listener = threading.Thread(
                target=self._listen, args=(ready,), name=f"dictamesh-cache-{self.name}", daemon=True
            )
            self._listener.start()
        ready.wait(2.0)  # subscribed before the first read is cached, so no invalidation slips between

    def _listen(self, ready: threading.Event) -> None:
        from django_redis import get_redis_connection

        while True:
            try:
                pubsub = get_redis_connection("default").pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                ready.set()
                for message in pubsub.listen():
                    self._on_message(message.get("data"))
            except Exception:  # the connection dropped: we may have missed invalidations
                logger.warning("cache invalidation listener lost Redis; clearing L1", exc_info=True)
                self.clear_local()
                ready.set()
                time.sleep(1.0)

    def _on_message(self, data: Any) -> None:
        try:
            payload = json.loads(data)
        except (TypeError, ValueError):
            return
        if payload.get("cache") != self.name or self._l1 is None:
            return
        for key in payload.get("keys", []):
            with self._lock:
                self._generation += 1
                dropped = self._l1.pop(key, _MISSING) is not _MISSING
            if dropped:
                _counter(EVICTIONS, self.name, "invalidated").inc()

    # -- reads and writes ----------------------------------------------------------------------------
    def _l2_key(self, key: str) -> str:
        return f"{self.name}:{key}"

    def get(self, key: str, loader: Callable[[], Any], *, ttl: int | Callable[[Any], int]) -> Any:
        """The value of ``key``; ``loader()`` fills both levels on a miss.

        ``ttl`` is seconds, or a function of the loaded value giving them; 0 or less is not cached. A loader
        returning None (nothing there) is not cached either.
        """
        local = self._local()
        if local is not None:
            with self._lock:  # cachetools caches are not thread-safe (a web worker's threads share them)
                value = local.get(key, _MISSING)
            if value is not _MISSING:
                _counter(HITS, self.name, "l1").inc()
                return value
        value = django_cache.get(self._l2_key(key), _MISSING) if self.shared else _MISSING
        if value is not _MISSING:
            _counter(HITS, self.name, "l2").inc()
        else:
            _counter(MISSES, self.name).inc()
            value = loader()
            if value is None:
                return None
            seconds = ttl(value) if callable(ttl) else ttl
            if seconds <= 0:
                return value
            if self.shared:
                django_cache.set(self._l2_key(key), value, seconds)
        if local is not None:
            with self._lock:
                local[key] = value
        return value

    def peek(self, key: str) -> tuple[bool, bool]:
        """(in this process's L1, in L2) — for tests and the admin."""
        local = self._l1 if self._l1 is not None and self._pid == os.getpid() else None
        return (
            local is not None and key in local,
            django_cache.get(self._l2_key(key), _MISSING) is not _MISSING,
        )

    def invalidate(self, keys: Iterable[str]) -> None:
        keys = list(dict.fromkeys(keys))
        if not keys:
            return
        self._drop_local(keys)
        from django_redis import get_redis_connection

        pipe = get_redis_connection("default").pipeline(transaction=False)  # one round trip for it all
        if self.shared:
            pipe.delete(*[django_cache.make_key(self._l2_key(k)) for k in keys])
        for start in range(0, len(keys), 500):
            pipe.publish(CHANNEL, json.dumps({"cache": self.name, "keys": keys[start : start + 500]}))
        pipe.execute()

    def cached(self, key: str) -> Any:
        """The cached value of ``key`` (L1, then L2), or None: never runs a loader."""
        local = self._local()
        if local is not None:
            with self._lock:
                value = local.get(key, _MISSING)
            if value is not _MISSING:
                _counter(HITS, self.name, "l1").inc()
                return value
        value = django_cache.get(self._l2_key(key), _MISSING) if self.shared else _MISSING
        if value is _MISSING:
            return None
        _counter(HITS, self.name, "l2").inc()
        if local is not None:
            with self._lock:
                local[key] = value
        return value

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        """The cached values among ``keys``: L1, then one L2 round trip for the rest. Never runs a loader."""
        keys = list(dict.fromkeys(keys))
        found: dict[str, Any] = {}
        local = self._local()
        rest = keys
        if local is not None:
            rest = []
            with self._lock:
                for key in keys:
                    value = local.get(key, _MISSING)
                    if value is _MISSING:
                        rest.append(key)
                    else:
                        found[key] = value
            if found:
                _counter(HITS, self.name, "l1").inc(len(found))
        if rest and not self.shared:
            _counter(MISSES, self.name).inc(len(rest))
        elif rest:
            l2 = django_cache.get_many([self._l2_key(k) for k in rest])
            hits = {k: l2[self._l2_key(k)] for k in rest if self._l2_key(k) in l2}
            if hits:
                _counter(HITS, self.name, "l2").inc(len(hits))
                if local is not None:
                    with self._lock:
                        local.update(hits)
            if len(hits) < len(rest):
                _counter(MISSES, self.name).inc(len(rest) - len(hits))
            found.update(hits)
        return found

    def put_many(self, values: dict[str, tuple[Any, int]], *, generation: int | None = None) -> None:
        """Store ``{key: (value, ttl seconds)}`` in L2 (one call per TTL) and this process's L1. With
        ``generation`` (taken before the values were loaded), nothing is stored if it has moved since."""
        if generation is not None and generation != self._generation:
            return
        if self.shared:
            by_ttl: dict[int, dict[str, Any]] = {}
            for key, (value, ttl) in values.items():
                if ttl > 0:
                    by_ttl.setdefault(ttl, {})[self._l2_key(key)] = value
            for ttl, mapping in by_ttl.items():
                django_cache.set_many(mapping, ttl)
        local = self._local()
        if local is not None:
            with self._lock:
                if generation is not None and generation != self._generation:
                    return
                local.update({k: v for k, (v, ttl) in values.items() if ttl > 0})

    def put(self, key: str, value: Any, *, ttl: int) -> None:
        """Store a value known to be current (call it after commit) in L2 and this process's L1."""
        if self.shared:
            django_cache.set(self._l2_key(key), value, ttl)
        local = self._local()
        if local is not None:
            with self._lock:
                local[key] = value

    def drop(self, keys: Iterable[str]) -> None:
        """For a write inside a transaction: drop ``keys`` from L2 and this process's L1 now (its own next
        reads, tests that never commit), and ``invalidate`` them everywhere once the transaction commits
        (before, another process could cache the old value again). Outside a transaction: at once."""
        from django.db import connection, transaction

        keys = list(dict.fromkeys(keys))
        if not keys:
            return
        if not connection.in_atomic_block:
            self.invalidate(keys)
            return
        if self.shared:
            django_cache.delete_many([self._l2_key(k) for k in keys])
        self._drop_local(keys)
        transaction.on_commit(lambda: self.invalidate(keys), robust=True)  # Redis down: L1 TTL bounds it

    def _drop_local(self, keys: list[str]) -> None:
        with self._lock:
            self._generation += 1
            if self._l1 is None:
                return
            dropped = sum(self._l1.pop(key, _MISSING) is not _MISSING for key in keys)
        if dropped:
            _counter(EVICTIONS, self.name, "invalidated").inc(dropped)

    def generation(self) -> int:
        """A number that moves whenever entries may have left this process's L1 (see ``put_many``)."""
        self._local()  # the listener runs before the caller loads: no invalidation can slip past unseen
        return self._generation

    def clear_local(self) -> None:
        with self._lock:
            self._generation += 1
            if self._l1 is not None:
                self._l1.clear()
