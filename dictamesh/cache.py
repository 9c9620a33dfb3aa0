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

import contextlib
import functools
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from typing import Any

from cachetools import TTLCache
from django.core.cache import cache as django_cache
from prometheus_client import Counter
from redis.exceptions import ConnectionError as RedisConnectionError

from dictamesh.redis_state import REDIS, RETRY_SECONDS

logger = logging.getLogger("dictamesh.cache")
CHANNEL = "dictamesh:cache:invalidate"
EVERY_KEY = "*"  # dropped (``drop_all``), it stands for every key of a cache without L2
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


class _Listener:
    """The process's one subscriber to the invalidation channel, for every cache it has used: each message is
    read and decoded once, and handed to the caches of its name (a thread per cache would wake them all at
    every message)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._caches: dict[str, weakref.WeakSet[TwoLevelCache]] = {}
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.ok = False  # subscribed, and the invalidations missed while Redis was away sent
        self.replay_pending = True  # at the first subscription too: a process gone meanwhile left some
        self._replay_at = 0.0  # monotonic: after PostgreSQL failed us, not before this

    def listening(self, cache: TwoLevelCache) -> bool:
        """Whether ``cache`` hears its invalidations in this process now (``ensure``'s fast path)."""
        thread = self._thread
        return (
            self.ok
            and cache._listening
            and self._pid == _PROCESS.pid
            and thread is not None
            and thread.is_alive()
        )

    def ensure(self, cache: TwoLevelCache) -> None:
        """``cache`` hears its invalidations from now on (the listener subscribed before this returns)."""
        thread = self._thread
        if thread is not None and self._pid == os.getpid() and cache._listening and thread.is_alive():
            return
        with self._lock:
            self._caches.setdefault(cache.name, weakref.WeakSet()).add(cache)
            cache._listening = True
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            ready = threading.Event()
            self._pid = os.getpid()  # a forked child (gunicorn, celery) starts its own
            self._thread = threading.Thread(
                target=self._listen, args=(ready,), name="dictamesh-cache-listener", daemon=True
            )
            self._thread.start()
        ready.wait(2.0)  # subscribed before the first read is cached, so no invalidation slips between

    def _caches_named(self, name: str) -> list[TwoLevelCache]:
        with self._lock:
            return list(self._caches.get(name, ()))

    def _everyone(self) -> list[TwoLevelCache]:
        with self._lock:
            return [cache for caches in self._caches.values() for cache in caches]

    def _listen(self, ready: threading.Event) -> None:
        from django_redis import get_redis_connection

        while True:
            pubsub = None
            try:
                pubsub = get_redis_connection("default").pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(CHANNEL)
                self._replay()
                self.ok = True
                REDIS.succeeded()
                ready.set()
                while not REDIS.down:  # a request that found Redis gone: listen again, from a clean L1
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None:
                        self.dispatch(message.get("data"))
                    if self.replay_pending and time.monotonic() >= self._replay_at:
                        self._replay()
                raise RedisConnectionError("a request found Redis unavailable")
            except Exception as exc:  # the connection dropped: we may have missed invalidations
                self.ok = False
                REDIS.failed(exc)
                for cache in self._everyone():
                    cache.clear_local()
                ready.set()
                time.sleep(RETRY_SECONDS)
            finally:
                if pubsub is not None:
                    with contextlib.suppress(Exception):  # a connection already gone
                        pubsub.close()

    def _replay(self) -> None:
        """Send the invalidations this or another process could not send while Redis was away (kept in
        PostgreSQL by ``_missed``); a failure to reach PostgreSQL leaves them for the next pass."""
        self.replay_pending = False
        try:
            sent = replay_missed()
        except REDIS.errors:
            self.replay_pending = True
            raise
        except Exception:  # noqa: BLE001 - PostgreSQL away or not allowed (tests): tried again later
            logger.info("missed cache invalidations not sent yet", exc_info=True)
            self.replay_pending = True
            self._replay_at = time.monotonic() + 10.0
            sent = 0
        finally:
            from django.db import connection

            connection.close()  # this thread holds no connection between passes
        if sent:
            logger.warning("sent %d cache invalidations missed while Redis was unavailable", sent)

    def dispatch(self, data: Any) -> None:
        try:
            payload = json.loads(data)
            name = payload.get("cache")
        except (TypeError, ValueError, AttributeError):
            return
        for cache in self._caches_named(name) if isinstance(name, str) else ():
            cache._on_message(payload)


_LISTENER = _Listener()
REPLAY_BATCH = 1000


def _l2_key(name: str, key: str) -> str:
    return f"{name}:{key}"


def _queue_invalidation(pipe, name: str, keys: list[str], *, shared: bool = True) -> None:
    """Queue on ``pipe`` what invalidating ``keys`` of cache ``name`` sends: their L2 deletes, then their
    broadcast."""
    if shared:
        pipe.delete(*[django_cache.make_key(_l2_key(name, k)) for k in keys])
    for start in range(0, len(keys), 500):
        pipe.publish(CHANNEL, json.dumps({"cache": name, "keys": keys[start : start + 500]}))


def _send(fill: Callable[[Any], None], drops: list[tuple[TwoLevelCache, list[str]]]) -> None:
    """One pipeline to Redis, filled by ``fill``. Should Redis not take it, the invalidations among
    ``drops`` are kept for later (``_missed``) and Redis is marked down."""
    from django_redis import get_redis_connection

    try:
        if REDIS.down:
            raise RedisConnectionError("Redis is unavailable")
        pipe = get_redis_connection("default").pipeline(transaction=False)
        fill(pipe)
        pipe.execute()
    except REDIS.errors as exc:
        REDIS.failed(exc)
        _missed(drops)


def _missed(drops: list[tuple[TwoLevelCache, list[str]]]) -> None:
    """Keep in PostgreSQL the invalidations Redis did not take, for the listener to send when it is back
    (from whichever process is alive then)."""
    rows = [(cache.name, key) for cache, keys in drops for key in dict.fromkeys(keys)]
    if not rows:
        return
    from django.db import connection

    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO dictamesh_core_cache_missed (cache, key, created_at) "
                "SELECT c, k, now() FROM unnest(%s::text[], %s::text[]) AS t(c, k)",
                [[c for c, _ in rows], [k for _, k in rows]],
            )
    except Exception:  # noqa: BLE001 - PostgreSQL too: the L1 TTLs and L2 TTLs bound what is missed
        logger.exception("could not keep %d missed cache invalidations", len(rows))
        return
    _LISTENER.replay_pending = True


def replay_missed() -> int:
    """Send the kept invalidations (L2 deletes and broadcasts), deleting what was sent; how many."""
    from django.db import connection, transaction
    from django_redis import get_redis_connection

    total = 0
    while True:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM dictamesh_core_cache_missed WHERE id IN (SELECT id FROM "
                    "dictamesh_core_cache_missed ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) "
                    "RETURNING cache, key",
                    [REPLAY_BATCH],
                )
                rows = cursor.fetchall()
            if not rows:
                return total
            by_cache: dict[str, dict[str, None]] = {}
            for name, key in rows:
                by_cache.setdefault(name, {})[key] = None
            pipe = get_redis_connection("default").pipeline(transaction=False)
            for name, unique in by_cache.items():
                _queue_invalidation(pipe, name, list(unique))
            pipe.execute()  # a failure rolls the DELETE back: the rows wait for the next pass
        total += len(rows)
        if len(rows) < REPLAY_BATCH:
            return total


class _Process:
    """This process's id, kept by a fork hook rather than asked of the kernel at every read."""

    pid = os.getpid()

    @classmethod
    def forked(cls) -> None:
        cls.pid = os.getpid()


_PROCESS = _Process
os.register_at_fork(after_in_child=_Process.forked)
_TLS = threading.local()  # this thread's open _CommitBatches


class _CommitBatch:
    """What one transaction did to the caches at one savepoint level, sent when it commits: one Redis round
    trip (L2 deletes and puts, then a broadcast per cache), then this process's L1. Its commit hook is
    registered with the savepoints open when it was made, so PostgreSQL and the caches agree: a savepoint
    rolled back takes its batch (and only its batch) with it."""

    def __init__(self, savepoints: set[str]):
        self.savepoints = savepoints
        # (cache, "drop", keys) or (cache, "put", (key, value, ttl)), in the transaction's order
        self.ops: list[tuple[TwoLevelCache, str, Any]] = []
        self.dropped: dict[str, set[str]] = {}  # cache name -> keys dropped (not to be read or stored)

    @staticmethod
    def open_batches() -> list[_CommitBatch]:
        """This thread's batches whose transaction (and savepoint) is still open."""
        batches = getattr(_TLS, "batches", None)
        if not batches:
            return []
        from django.db import connection

        hooks = {id(getattr(entry[1], "__self__", None)) for entry in connection.run_on_commit}
        live = [batch for batch in batches if id(batch) in hooks] if connection.in_atomic_block else []
        if len(live) != len(batches):  # the others were rolled back: what they held never happened
            _TLS.batches = live
        return live

    @staticmethod
    def current() -> _CommitBatch:
        from django.db import connection, transaction

        savepoints = set(connection.savepoint_ids)
        for batch in _CommitBatch.open_batches():
            if batch.savepoints == savepoints:
                return batch
        batch = _CommitBatch(savepoints)
        _TLS.batches = [*getattr(_TLS, "batches", ()), batch]
        transaction.on_commit(batch.flush, robust=True)  # Redis down: L1 TTL bounds what is missed
        return batch

    def drop(self, cache: TwoLevelCache, keys: list[str]) -> None:
        self.ops.append((cache, "drop", keys))
        self.dropped.setdefault(cache.name, set()).update(keys)

    def put(self, cache: TwoLevelCache, key: str, value: Any, ttl: int) -> None:
        self.ops.append((cache, "put", (key, value, ttl)))

    def flush(self) -> None:
        batches = getattr(_TLS, "batches", None)
        if batches and self in batches:
            _TLS.batches = [batch for batch in batches if batch is not self]
        ops, self.ops, self.dropped = self.ops, [], {}
        if not ops:
            return
        broadcast: dict[TwoLevelCache, list[str]] = {}
        for cache, kind, arg in ops:
            if kind == "drop":
                broadcast.setdefault(cache, []).extend(arg)

        def fill(pipe) -> None:
            for cache, kind, arg in ops:
                if kind == "put" and cache.shared and arg[2] > 0:
                    key, value, ttl = arg
                    pipe.set(
                        django_cache.make_key(cache._l2_key(key)), django_cache.client.encode(value), ex=ttl
                    )
            for cache, dropped in broadcast.items():
                cache._invalidation(pipe, list(dict.fromkeys(dropped)))

        try:  # what Redis does not take is kept and sent when it is back; the puts are only lost
            _send(fill, list(broadcast.items()))
        finally:
            for cache, kind, arg in ops:  # this process at once, in the transaction's order
                if kind == "drop":
                    cache._drop_local(arg)
                elif arg[2] > 0:
                    cache._put_local({arg[0]: arg[1]})


def _pending(name: str) -> AbstractSet[str]:
    """The keys of cache ``name`` this thread's open transaction has dropped (not to be read or stored)."""
    if not getattr(_TLS, "batches", None):
        return _NONE
    found = [batch.dropped[name] for batch in _CommitBatch.open_batches() if name in batch.dropped]
    if any(EVERY_KEY in keys for keys in found):
        return _EVERYTHING
    return _NONE if not found else found[0] if len(found) == 1 else set().union(*found)


class _Everything(AbstractSet):
    """The keys pending after ``drop_all``: every key."""

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:  # ``if pending := _pending(...)`` must see it
        return True


_NONE: frozenset[str] = frozenset()
_EVERYTHING = _Everything()


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
        if local is not None and self._pid == _PROCESS.pid and _LISTENER.listening(self) and not REDIS.down:
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
        _LISTENER.ensure(self)
        return self._l1 if _LISTENER.ok and not REDIS.down else None  # deaf to invalidations: no L1

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
        return _l2_key(self.name, key)

    def _l2(self, call: Callable[[], Any], default: Any = _MISSING) -> Any:
        """A call to L2, or ``default`` while Redis is unavailable (the failure marks it so)."""
        if not self.shared or REDIS.down or (self._listening and not _LISTENER.ok):
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
        if key in _pending(self.name):
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
        _send(lambda pipe: self._invalidation(pipe, keys), [(self, keys)])  # one round trip for it all

    def _invalidation(self, pipe, keys: list[str]) -> None:
        """Queue on ``pipe`` what invalidating ``keys`` sends: their L2 deletes, then their broadcast."""
        _queue_invalidation(pipe, self.name, keys, shared=self.shared)

    def cached(self, key: str) -> Any:
        """The cached value of ``key`` (L1, then L2), or None: never runs a loader."""
        if key in _pending(self.name):
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
        if pending := _pending(self.name):
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
        if pending := _pending(self.name):
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
        if key in _pending(self.name):
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
        _CommitBatch.current().put(self, key, value, ttl)

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
        _CommitBatch.current().drop(self, keys)

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
