"""A two-level read cache: L1 in-process LRU with TTL (cachetools), L2 Redis (Django's cache, django-redis).

``get(key, loader, ttl)`` answers from L1, then L2, then ``loader()`` (filling both). ``invalidate(keys)``
deletes from L2 and broadcasts on a Redis pub/sub channel; every process that has used a cache runs one
listener thread (for all its caches) that drops those keys from their L1. Should the listener lose its
connection (messages may have been missed), it clears every L1 before listening again; L1's own TTL bounds
staleness in any case.

Inside a transaction, ``drop`` and ``put_after_commit`` are collected and sent when it commits, all of the
transaction's in one Redis round trip (nothing when it rolls back). Until then the dropped keys are not read
from the cache nor stored in it by this thread: its reads see its own uncommitted writes, and no process can
cache what may yet roll back.

A cache made with ``shared=False`` has no L2: each process fills its L1 from the loader, and invalidations
are only broadcast. With ``generation()`` taken before loading and given to ``put_many``, a value loaded
while an invalidation arrived is not stored: for values a security decision rests on, where even the race
of a read with a write must not leave a stale entry behind.

Metrics: ``dictamesh_cache_hits_total{cache,level}``, ``dictamesh_cache_misses_total{cache}``,
``dictamesh_cache_evictions_total{cache,reason}`` (lru, invalidated).
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterable
from typing import Any

from cachetools import TTLCache
from django.core.cache import cache as django_cache
from prometheus_client import Counter

from dictamesh.redis_state import REDIS

from .delivery import CHANNEL, EVERY_KEY, LISTENER, PROCESS, l2_key, queue_invalidation, replay_missed, send
from .transactions import CommitBatch
from .transactions import pending as pending_keys

__all__ = ["CHANNEL", "EVERY_KEY", "LISTENER", "TwoLevelCache", "replay_missed"]
_MISSING = object()

HITS = Counter("dictamesh_cache_hits_total", "Cache hits.", ["cache", "level"])
MISSES = Counter("dictamesh_cache_misses_total", "Cache misses (the loader ran).", ["cache"])
EVICTIONS = Counter("dictamesh_cache_evictions_total", "Entries dropped from L1.", ["cache", "reason"])


@functools.cache
@functools.lru_cache(maxsize=1024)
def _counter(metric: Counter, *labels: str):
    """A labelled child, found once (labelling costs more than counting, and a read counts at every hit)."""
    return metric.labels(*labels)


class _CountingTTLCache(TTLCache):
    def __init__(self, name: str, maxsize: int, ttl: float):
        super().__init__(maxsize=maxsize, ttl=ttl)
        self._name = name

    def get(self, key, default=None):
        try:  # one lookup: cachetools' get looks the key up twice (``in``, then ``[]``)
            return self[key]
        except KeyError:
            return default

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
        self._listening = False

    # -- L1 and its listener -------------------------------------------------------------------------
    def _local(self) -> _CountingTTLCache | None:
        local = self._l1
        if local is not None and self._pid == PROCESS.pid and LISTENER.listening(self) and not REDIS.down:
            return local  # every read asks: the common case first
        size = self._l1_size()
        if size <= 0:
            return None
        pid = os.getpid()
        if self._l1 is None or self._pid != pid:  # first use, or a forked child (gunicorn, celery)
            with self._lock:
                if self._l1 is None or self._pid != pid:
                    self._l1 = _CountingTTLCache(self.name, size, self._l1_ttl())
                    self._pid = pid
        LISTENER.ensure(self)
        return self._l1 if LISTENER.ok and not REDIS.down else None  # deaf to invalidations: no L1

    def _on_message(self, payload: dict) -> None:
        if self._l1 is None:
            return
        keys = payload.get("keys", [])
        if EVERY_KEY in keys and not self.shared:
            self.clear_local()
            return
        for key in keys:
            with self._lock:
                self._generation += 1
                dropped = self._l1.pop(key, _MISSING) is not _MISSING
            if dropped:
                _counter(EVICTIONS, self.name, "invalidated").inc()

    # -- reads and writes ----------------------------------------------------------------------------
    def _l2_key(self, key: str) -> str:
        return l2_key(self.name, key)

    def _l2(self, call: Callable[[], Any], default: Any = _MISSING) -> Any:
        """A call to L2, or ``default`` while Redis is unavailable (the failure marks it so)."""
        if not self.shared or REDIS.down or (self._listening and not LISTENER.ok):
            return default  # away, or back but its missed invalidations not sent yet
        try:
            return call()
        except REDIS.errors as exc:
            REDIS.failed(exc)
            return default

    def get(self, key: str, loader: Callable[[], Any], *, ttl: int | Callable[[Any], int]) -> Any:
        """The value of ``key``; ``loader()`` fills both levels on a miss.

        ``ttl`` is seconds, or a function of the loaded value giving them; 0 or less is not cached. A loader
        returning None (nothing there) is not cached either. A key this thread's open transaction has
        dropped is loaded and not stored.
        """
        if key in pending_keys(self.name):
            _counter(MISSES, self.name).inc()
            return loader()
        local = self._local()
        if local is not None:
            with self._lock:  # cachetools caches are not thread-safe (a web worker's threads share them)
                value = local.get(key, _MISSING)
            if value is not _MISSING:
                _counter(HITS, self.name, "l1").inc()
                return value
        value = self._l2(lambda: django_cache.get(self._l2_key(key), _MISSING))
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
            self._l2(lambda: django_cache.set(self._l2_key(key), value, seconds), None)
        if local is not None:
            with self._lock:
                local[key] = value
        return value

    def peek(self, key: str) -> tuple[bool, bool]:
        """(in this process's L1, in L2) — for tests and the admin."""
        local = self._l1 if self._l1 is not None and self._pid == os.getpid() else None
        return (
            local is not None and key in local,
            self._l2(lambda: django_cache.get(self._l2_key(key), _MISSING)) is not _MISSING,
        )

    def invalidate(self, keys: Iterable[str]) -> None:
        """Drop ``keys`` from L2 and every process's L1, at once (see ``drop`` for writes in a transaction)."""
        keys = list(dict.fromkeys(keys))
        if not keys:
            return
        self._drop_local(keys)
        send(lambda pipe: self._invalidation(pipe, keys), [(self, keys)])  # one round trip for it all

    def _invalidation(self, pipe, keys: list[str]) -> None:
        """Queue on ``pipe`` what invalidating ``keys`` sends: their L2 deletes, then their broadcast."""
        queue_invalidation(pipe, self.name, keys, shared=self.shared)

    def cached(self, key: str) -> Any:
        """The cached value of ``key`` (L1, then L2), or None: never runs a loader."""
        if key in pending_keys(self.name):
            return None
        local = self._local()
        if local is not None:
            with self._lock:
                value = local.get(key, _MISSING)
            if value is not _MISSING:
                _counter(HITS, self.name, "l1").inc()
                return value
        value = self._l2(lambda: django_cache.get(self._l2_key(key), _MISSING))
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
        if pending := pending_keys(self.name):
            keys = [key for key in keys if key not in pending]
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
            l2 = self._l2(lambda: django_cache.get_many([self._l2_key(k) for k in rest]), {})
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
        if pending := pending_keys(self.name):
            values = {k: v for k, v in values.items() if k not in pending}
        if self.shared:
            by_ttl: dict[int, dict[str, Any]] = {}
            for key, (value, ttl) in values.items():
                if ttl > 0:
                    by_ttl.setdefault(ttl, {})[self._l2_key(key)] = value
            for ttl, mapping in by_ttl.items():
                self._l2(lambda m=mapping, t=ttl: django_cache.set_many(m, t), None)
        local = self._local()
        if local is not None:
            with self._lock:
                if generation is not None and generation != self._generation:
                    return
                local.update({k: v for k, (v, ttl) in values.items() if ttl > 0})

    def load_many(
        self, keys: Iterable[str], loader: Callable[[list[str]], dict[str, Any]], *, ttl: int
    ) -> dict[str, Any]:
        """{key: value} of every key: the cached ones, and ``loader(missing)`` (a value for each missing key,
        None included) for the rest. What the loader read is stored unless an invalidation arrived while it
        ran (the generation is taken before) or inside a transaction (it may see writes that are then rolled
        back): for values a security decision rests on."""
        from django.db import connection

        wanted = list(dict.fromkeys(keys))
        generation = self.generation()
        found = self.get_many(wanted)
        missing = [key for key in wanted if key not in found]
        if missing:
            fresh = loader(missing)
            fresh = {key: fresh.get(key) for key in missing}
            if not connection.in_atomic_block:
                self.put_many({key: (value, ttl) for key, value in fresh.items()}, generation=generation)
            found.update(fresh)
        return found

    def put(self, key: str, value: Any, *, ttl: int) -> None:
        """Store a value known to be current in L2 and this process's L1 (in a transaction, see
        ``put_after_commit``)."""
        if key in pending_keys(self.name):
            return
        self._l2(lambda: django_cache.set(self._l2_key(key), value, ttl), None)
        self._put_local({key: value})

    def put_after_commit(self, key: str, value: Any, *, ttl: int) -> None:
        """``put`` once the transaction commits (with its drops, in one round trip), or at once outside one:
        for a value the transaction creates (an id given out by a rolled-back insert is given out again)."""
        from django.db import connection

        if not connection.in_atomic_block:
            self.put(key, value, ttl=ttl)
            return
        CommitBatch.current().put(self, key, value, ttl)

    def _put_local(self, values: dict[str, Any]) -> None:
        local = self._local() if values else None
        if local is not None:
            with self._lock:
                local.update(values)

    def drop(self, keys: Iterable[str]) -> None:
        """For a write inside a transaction: drop ``keys`` from this process's L1 now, keep this thread from
        reading or storing them until the transaction ends, and ``invalidate`` them everywhere once it
        commits, with the rest of its cache work in one round trip (before, another process could cache the
        old value again). Outside a transaction: at once."""
        from django.db import connection

        keys = list(dict.fromkeys(keys))
        if not keys:
            return
        if not connection.in_atomic_block:
            self.invalidate(keys)
            return
        self._drop_local(keys)
        CommitBatch.current().drop(self, keys)

    def _drop_local(self, keys: list[str]) -> None:
        if EVERY_KEY in keys and not self.shared:
            self.clear_local()
            return
        with self._lock:
            self._generation += 1
            if self._l1 is None:
                return
            dropped = sum(self._l1.pop(key, _MISSING) is not _MISSING for key in keys)
        if dropped:
            _counter(EVICTIONS, self.name, "invalidated").inc(dropped)

    def holds(self) -> bool:
        """Whether this process keeps entries now (L1 on, and its invalidations reach it: Redis is up and the
        listener subscribed). While it does not, every read goes to the loader."""
        return self._local() is not None

    def drop_all(self) -> None:
        """``drop`` every key (a change that touches too many entries to name them, such as a domain renamed
        in every entity it holds). Only for caches without L2 (``shared=False``): L2 keys are deleted by name."""
        if self.shared:
            raise ValueError(f"cache {self.name} has an L2: drop its keys by name")
        self.drop([EVERY_KEY])

    def generation(self) -> int:
        """A number that moves whenever entries may have left this process's L1 (see ``put_many``)."""
        self._local()  # the listener runs before the caller loads: no invalidation can slip past unseen
        return self._generation

    def clear_local(self) -> None:
        with self._lock:
            self._generation += 1
            if self._l1 is not None:
                self._l1.clear()
