"""dictamesh.cache: reads without a loader, puts, drops made inside a transaction, the process's listener."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.db import transaction
from django_redis import get_redis_connection

from dictamesh.cache import CHANNEL, TwoLevelCache
from tests.conftest import wait_until

pytestmark = pytest.mark.django_db


@pytest.fixture
def cache():
    made = TwoLevelCache("test.platform", l1_size=lambda: 100, l1_ttl=lambda: 60)
    yield made
    made.invalidate(["a", "b"])


def test_cached_never_loads_and_put_fills_both_levels(cache):
    assert cache.cached("a") is None
    cache.put("a", {"v": 1}, ttl=60)
    assert cache.peek("a") == (True, True)
    assert cache.cached("a") == {"v": 1}


def _subscribed():
    pubsub = get_redis_connection("default").pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL)
    return pubsub


def _next(pubsub, within: float = 10.0) -> dict:
    """The next broadcast, waited for (the subscription's confirmation comes first, as None)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.5)
        if message is not None:
            return json.loads(message["data"])
    raise AssertionError("no broadcast")


def test_a_drop_inside_a_transaction_is_hidden_from_it_now_and_broadcast_once_committed(
    cache, django_capture_on_commit_callbacks
):
    cache.put("a", 1, ttl=60)
    pubsub = _subscribed()
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        cache.drop(["a"])
        assert cache.peek("a") == (False, True)  # Redis keeps it for the other processes until commit
        assert cache.cached("a") is None  # but this transaction never reads it: it has changed it
        assert cache.get("a", lambda: 2, ttl=60) == 2
        assert cache.get_many(["a"]) == {}
        cache.put_many({"a": (3, 60)})
        cache.put("a", 3, ttl=60)
        assert cache.peek("a") == (False, True)  # and never stores what it may yet roll back
        assert pubsub.get_message(timeout=0.2) is None  # the other processes hear of it only after commit
    assert len(callbacks) == 1
    callbacks[0]()
    assert _next(pubsub) == {"cache": "test.platform", "keys": ["a"]}
    assert cache.peek("a") == (False, False)
    assert cache.get("a", lambda: 4, ttl=60) == 4  # the next transaction reads and stores again
    assert cache.peek("a") == (True, True)
    pubsub.close()


def test_a_rolled_back_drop_never_happened(cache, django_capture_on_commit_callbacks):
    cache.put("a", 1, ttl=60)
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            cache.drop(["a"])
            assert cache.cached("a") is None
            raise RuntimeError("roll back")
        assert cache.cached("a") == 1  # from Redis again, and in this process's L1
        assert cache.peek("a") == (True, True)
    assert callbacks == []


def test_a_transaction_sends_its_drops_and_puts_together_in_its_order(
    cache, django_capture_on_commit_callbacks
):
    other = TwoLevelCache("test.platform.other", l1_size=lambda: 100, l1_ttl=lambda: 60)
    cache.put("a", 1, ttl=60)
    pubsub = _subscribed()
    try:
        with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
            cache.drop(["a"])
            with pytest.raises(RuntimeError), transaction.atomic():  # a savepoint rolled back: kept out
                other.put_after_commit("lost", 0, ttl=60)
                raise RuntimeError("roll back the savepoint")
            other.put_after_commit("new", {"v": 2}, ttl=60)
            other.drop(["gone"])
            assert other.peek("new") == (False, False)  # nothing before commit
        assert len(callbacks) == 1  # one commit hook, whatever the transaction did
        callbacks[0]()
        assert cache.peek("a") == (False, False)
        assert other.peek("new") == (True, True)
        assert other.peek("lost") == (False, False)
        heard = [_next(pubsub) for _ in range(2)]
        assert sorted(heard, key=lambda m: m["cache"]) == [
            {"cache": "test.platform", "keys": ["a"]},
            {"cache": "test.platform.other", "keys": ["gone"]},
        ]
    finally:
        other.invalidate(["new", "lost"])
        pubsub.close()


def test_a_drop_in_a_rolled_back_savepoint_alone_leaves_the_transaction_free(
    cache, django_capture_on_commit_callbacks
):
    cache.put("a", 1, ttl=60)
    cache.put("b", 1, ttl=60)
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            cache.drop(["a"])
            raise RuntimeError("roll back the savepoint")
        assert cache.cached("a") == 1  # its drop went with it
        cache.drop(["b"])
    assert len(callbacks) == 1
    callbacks[0]()
    assert cache.peek("a")[1] and cache.peek("b") == (False, False)


def test_one_listener_thread_serves_every_cache_of_the_process(cache):
    other = TwoLevelCache("test.platform.other", l1_size=lambda: 100, l1_ttl=lambda: 60)
    assert cache.get("k", lambda: "v", ttl=60) == "v"
    assert other.get("k", lambda: "w", ttl=60) == "w"
    listeners = [t for t in threading.enumerate() if t.name.startswith("dictamesh-cache")]
    assert [t.name for t in listeners] == ["dictamesh-cache-listener"]
    try:
        # another process's write: only the named cache forgets
        get_redis_connection("default").publish(
            CHANNEL, json.dumps({"cache": "test.platform.other", "keys": ["k"]})
        )
        deadline = time.monotonic() + 10
        while other.peek("k")[0] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not other.peek("k")[0]
        assert cache.peek("k")[0]
    finally:
        other.invalidate(["k"])
        cache.invalidate(["k"])


def test_drop_all_forgets_every_key_here_now_and_everywhere_once_committed(
    django_capture_on_commit_callbacks,
):
    """``drop_all`` (a change too wide to name its keys): in the transaction nothing is read or stored, at
    commit every process hears ``*`` and empties that cache, and a cache with an L2 refuses it."""
    local = TwoLevelCache("test.platform.local", l1_size=lambda: 100, l1_ttl=lambda: 60, shared=False)
    local.put_many({"x": (1, 60), "y": (2, 60)})
    assert local.get_many(["x", "y"]) == {"x": 1, "y": 2}
    pubsub = _subscribed()
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        local.drop_all()
        assert local.get_many(["x", "y"]) == {}
        local.put_many({"z": (3, 60)})
        assert local.get_many(["z"]) == {}  # nothing stored before the commit
    callbacks[0]()
    assert _next(pubsub) == {"cache": "test.platform.local", "keys": ["*"]}
    pubsub.close()
    local.put_many({"x": (1, 60)})
    generation = local.generation()
    get_redis_connection("default").publish(CHANNEL, json.dumps({"cache": local.name, "keys": ["*"]}))
    assert wait_until(lambda: not local.peek("x")[0], timeout=10)  # another process's drop_all, heard
    assert local.generation() > generation
    with pytest.raises(ValueError):
        TwoLevelCache("test.platform.shared", l1_size=lambda: 1, l1_ttl=lambda: 1).drop_all()
