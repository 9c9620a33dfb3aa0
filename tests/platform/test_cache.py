"""dictamesh.cache: reads without a loader, puts, and drops made inside a transaction."""

from __future__ import annotations

import json

import pytest
from django.db import transaction
from django_redis import get_redis_connection

from dictamesh.cache import CHANNEL, TwoLevelCache

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


def test_a_drop_inside_a_transaction_is_local_now_and_broadcast_once_committed(
    cache, django_capture_on_commit_callbacks
):
    cache.put("a", 1, ttl=60)
    pubsub = get_redis_connection("default").pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL)
    with django_capture_on_commit_callbacks() as callbacks, transaction.atomic():
        cache.drop(["a"])
        assert cache.peek("a") == (False, False)  # this process and Redis forget it at once
        assert pubsub.get_message(timeout=0.2) is None  # the other processes hear of it only after commit
    assert len(callbacks) == 1
    callbacks[0]()
    message = pubsub.get_message(timeout=2)
    assert json.loads(message["data"]) == {"cache": "test.platform", "keys": ["a"]}
    pubsub.close()
