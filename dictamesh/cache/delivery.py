"""How cache invalidations reach every process: one Redis round trip per commit (L2 deletes, then a
broadcast per cache), one listener thread per process for all its caches, and the invalidations Redis did
not take kept in PostgreSQL and sent when it is back (ADR 0020, 0022)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from django.core.cache import cache as django_cache
from redis.exceptions import ConnectionError as RedisConnectionError

from dictamesh.redis_state import REDIS, RETRY_SECONDS

Cache = Any  # a TwoLevelCache (dictamesh.cache): this module is below it

logger = logging.getLogger("dictamesh.cache")
CHANNEL = "dictamesh:cache:invalidate"
EVERY_KEY = "*"  # dropped (``drop_all``), it stands for every key of a cache without L2


class _Process:
    """This process's id, kept by a fork hook rather than asked of the kernel at every read."""

    pid = os.getpid()

    @classmethod
    def forked(cls) -> None:
        cls.pid = os.getpid()


PROCESS = _Process
os.register_at_fork(after_in_child=_Process.forked)


class _Listener:
    """The process's one subscriber to the invalidation channel, for every cache it has used: each message is
    read and decoded once, and handed to the caches of its name (a thread per cache would wake them all at
    every message)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._caches: dict[str, weakref.WeakSet] = {}  # cache name -> its Caches
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.ok = False  # subscribed, and the invalidations missed while Redis was away sent
        self.replay_pending = True  # at the first subscription too: a process gone meanwhile left some
        self._replay_at = 0.0  # monotonic: after PostgreSQL failed us, not before this

    def listening(self, cache: Cache) -> bool:
        """Whether ``cache`` hears its invalidations in this process now (``ensure``'s fast path)."""
        thread = self._thread
        return (
            self.ok
            and cache._listening
            and self._pid == PROCESS.pid
            and thread is not None
            and thread.is_alive()
        )

    def ensure(self, cache: Cache) -> None:
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

    def _caches_named(self, name: str) -> list[Cache]:
        with self._lock:
            return list(self._caches.get(name, ()))

    def _everyone(self) -> list[Cache]:
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
        PostgreSQL by ``missed``); a failure to reach PostgreSQL leaves them for the next pass."""
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


LISTENER = _Listener()
REPLAY_BATCH = 1000


def l2_key(name: str, key: str) -> str:
    return f"{name}:{key}"


def queue_invalidation(pipe, name: str, keys: list[str], *, shared: bool = True) -> None:
    """Queue on ``pipe`` what invalidating ``keys`` of cache ``name`` sends: their L2 deletes, then their
    broadcast."""
    if shared:
        pipe.delete(*[django_cache.make_key(l2_key(name, k)) for k in keys])
    for start in range(0, len(keys), 500):
        pipe.publish(CHANNEL, json.dumps({"cache": name, "keys": keys[start : start + 500]}))


def send(fill: Callable[[Any], None], drops: list[tuple[Cache, list[str]]]) -> None:
    """One pipeline to Redis, filled by ``fill``. Should Redis not take it, the invalidations among
    ``drops`` are kept for later (``missed``) and Redis is marked down."""
    from django_redis import get_redis_connection

    try:
        if REDIS.down:
            raise RedisConnectionError("Redis is unavailable")
        pipe = get_redis_connection("default").pipeline(transaction=False)
        fill(pipe)
        pipe.execute()
    except REDIS.errors as exc:
        REDIS.failed(exc)
        missed(drops)


def missed(drops: list[tuple[Cache, list[str]]]) -> None:
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
    LISTENER.replay_pending = True


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
                queue_invalidation(pipe, name, list(unique))
            pipe.execute()  # a failure rolls the DELETE back: the rows wait for the next pass
        total += len(rows)
        if len(rows) < REPLAY_BATCH:
            return total
