"""What a transaction does to the caches, sent once it commits: drops and puts collected per savepoint
level, hidden from this thread's reads until then, and nothing of them when it rolls back (ADR 0020)."""

from __future__ import annotations

import threading
from collections.abc import Set as AbstractSet
from typing import Any

from django.core.cache import cache as django_cache

from .delivery import EVERY_KEY, send

Cache = Any  # a TwoLevelCache (dictamesh.cache): this module is below it

_TLS = threading.local()  # this thread's open CommitBatches


class CommitBatch:
    """What one transaction did to the caches at one savepoint level, sent when it commits: one Redis round
    trip (L2 deletes and puts, then a broadcast per cache), then this process's L1. Its commit hook is
    registered with the savepoints open when it was made, so PostgreSQL and the caches agree: a savepoint
    rolled back takes its batch (and only its batch) with it."""

    def __init__(self, savepoints: set[str]):
        self.savepoints = savepoints
        # (cache, "drop", keys) or (cache, "put", (key, value, ttl)), in the transaction's order
        self.ops: list[tuple[Cache, str, Any]] = []
        self.dropped: dict[str, set[str]] = {}  # cache name -> keys dropped (not to be read or stored)

    @staticmethod
    def open_batches() -> list[CommitBatch]:
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
    def current() -> CommitBatch:
        from django.db import connection, transaction

        savepoints = set(connection.savepoint_ids)
        for batch in CommitBatch.open_batches():
            if batch.savepoints == savepoints:
                return batch
        batch = CommitBatch(savepoints)
        _TLS.batches = [*getattr(_TLS, "batches", ()), batch]
        transaction.on_commit(batch.flush, robust=True)  # Redis down: L1 TTL bounds what is missed
        return batch

    def drop(self, cache: Cache, keys: list[str]) -> None:
        self.ops.append((cache, "drop", keys))
        self.dropped.setdefault(cache.name, set()).update(keys)

    def put(self, cache: Cache, key: str, value: Any, ttl: int) -> None:
        self.ops.append((cache, "put", (key, value, ttl)))

    def flush(self) -> None:
        batches = getattr(_TLS, "batches", None)
        if batches and self in batches:
            _TLS.batches = [batch for batch in batches if batch is not self]
        ops, self.ops, self.dropped = self.ops, [], {}
        if not ops:
            return
        broadcast: dict[Cache, list[str]] = {}
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
            send(fill, list(broadcast.items()))
        finally:
            for cache, kind, arg in ops:  # this process at once, in the transaction's order
                if kind == "drop":
                    cache._drop_local(arg)
                elif arg[2] > 0:
                    cache._put_local({arg[0]: arg[1]})


def pending(name: str) -> AbstractSet[str]:
    """The keys of cache ``name`` this thread's open transaction has dropped (not to be read or stored)."""
    if not getattr(_TLS, "batches", None):
        return _NONE
    found = [batch.dropped[name] for batch in CommitBatch.open_batches() if name in batch.dropped]
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
