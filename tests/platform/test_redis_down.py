"""With Redis unreachable, this process runs degraded: caches are bypassed (reads from PostgreSQL, never from a
stale L1), rate limits and login throttles count in the process instead of failing open, and everything is
back to normal once Redis answers again. (The whole web server with Redis killed and restarted:
test_fault_redis.py.)"""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.test import override_settings

from dictamesh import ratelimit
from dictamesh.auth import throttle
from dictamesh.cache import LISTENER, TwoLevelCache
from dictamesh.devservices.ports import free_port
from dictamesh.redis_state import REDIS
from tests.conftest import wait_until


@pytest.fixture
def redis_away():
    """Django's cache pointed at a port nothing listens on, for this test; then back, and this process out
    of its degraded mode before the next test."""
    caches = {"default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{free_port()}/0"}}
    with override_settings(CACHES=caches):
        yield
    assert wait_until(lambda: not REDIS.down and LISTENER.ok), "Redis back in this process: not in time"


CACHE = TwoLevelCache("tests.redis_down", l1_size=lambda: 100, l1_ttl=lambda: 300)


@pytest.mark.django_db
def test_the_cache_reads_the_source_while_redis_is_away(redis_away):
    loads = []

    def loader():
        loads.append(1)
        return {"n": len(loads)}

    assert CACHE.get("k", loader, ttl=60) == {"n": 1}  # the failure marks Redis down
    assert REDIS.down and REDIS.status()["mode"] == "degraded"
    assert CACHE.get("k", loader, ttl=60) == {"n": 2}  # no L1 either: invalidations cannot be heard
    CACHE.invalidate(["k"])  # kept for later, no error
    from dictamesh.core.models import CacheMissedInvalidation

    assert CacheMissedInvalidation.objects.filter(cache=CACHE.name, key="k").exists()
    assert CACHE.get_many(["k"]) == {} and CACHE.cached("k") is None


def test_rate_limits_hold_in_the_process_while_redis_is_away(redis_away):
    identity = f"client-{time.monotonic_ns()}"
    waits = [ratelimit.take("tests", identity, per_minute=3) for _ in range(4)]
    assert waits[:3] == [0.0, 0.0, 0.0] and waits[3] > 0  # not "no limit"
    assert REDIS.down
    assert ratelimit.take("tests", "someone-else", per_minute=3) == 0.0


def test_login_throttles_count_in_the_process_while_redis_is_away(redis_away, settings):
    settings.DICTAMESH_AUTH_FAILURES_PER_MINUTE = 3
    client = f"10.0.0.{time.monotonic_ns() % 250}"
    for _ in range(3):
        assert throttle.retry_after(client, "key:abc") is None
        throttle.failed(client, "key:abc")
    assert throttle.retry_after(client, "key:abc") is not None
    assert throttle.retry_after(client, "key:other") is None  # another credential is judged on its own


def test_after_an_outage_the_cache_uses_both_levels_again():
    assert wait_until(lambda: not REDIS.down and LISTENER.ok), "Redis back: not in time"
    loads, key = [], f"again-{time.monotonic_ns()}"  # a key no earlier run left in Redis
    assert CACHE.get(key, lambda: loads.append(1) or "v", ttl=60) == "v"
    assert CACHE.get(key, lambda: loads.append(1) or "v", ttl=60) == "v"
    assert len(loads) == 1 and CACHE.peek(key) == (True, True)
