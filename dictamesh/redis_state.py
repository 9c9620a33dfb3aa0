"""Whether this process may use Redis now: DictaMesh runs on without it (docs/adr/0022-redis-optional.md).

Redis holds nothing DictaMesh cannot do without: caches, rate-limit buckets, login throttles, persisted
queries' texts, and the Celery broker. When a Redis call fails, ``REDIS.failed`` marks it down for this
process. For the next ``RETRY_SECONDS`` nothing is tried again:
- reads skip both cache levels and go to PostgreSQL (``dictamesh.cache``), so they are slower and never
  stale;
- rate limits and throttles count in this process (``dictamesh.ratelimit``);
- invalidations that could not be sent are kept in PostgreSQL, and sent when Redis is back.

After that, one caller at a time probes Redis with its real call. The first call that succeeds after an
outage (``REDIS.succeeded``) ends it. The cache listener re-subscribes by itself, drops every L1 and sends
the invalidations missed meanwhile.

Metric: ``dictamesh_redis_up`` (1 or 0, per process).
"""

from __future__ import annotations

import logging
import threading
import time

from prometheus_client import Gauge
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("dictamesh.redis")
UP = Gauge("dictamesh_redis_up", "Whether this process reaches Redis (0 while it runs degraded).")
RETRY_SECONDS = 1.0


def _errors() -> tuple[type[BaseException], ...]:
    from django_redis.exceptions import ConnectionInterrupted

    return (RedisConnectionError, RedisTimeoutError, ConnectionInterrupted, OSError)


class RedisState:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._down_since: float | None = None  # wall clock, for /readyz
        self._retry_at = 0.0  # monotonic: no call before it
        self._reason = ""
        self.down = False  # read on every cache hit: an attribute, not a property
        UP.set(1)

    @property
    def errors(self) -> tuple[type[BaseException], ...]:
        """What a failed Redis call raises (the client's, django-redis's, the socket's)."""
        return _errors()

    def usable(self) -> bool:
        """Whether to call Redis now: always while it is up; while down, once per ``RETRY_SECONDS``, for one
        caller (its call is the probe)."""
        if not self.down:
            return True
        now = time.monotonic()
        if now < self._retry_at:
            return False
        with self._lock:
            if now < self._retry_at:
                return False
            self._retry_at = now + RETRY_SECONDS
            return True

    def call(self, fn, default=None):
        """``fn()`` when Redis may be used now (``usable``), else ``default``; a failure marks Redis down
        and answers ``default``, a success after an outage ends it."""
        if not self.usable():
            return default
        try:
            result = fn()
        except self.errors as exc:
            self.failed(exc)
            return default
        if self.down:
            self.succeeded()
        return result

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            first = self._down_since is None
            if first:
                self._down_since = time.time()
            self.down = True
            self._retry_at = time.monotonic() + RETRY_SECONDS
            self._reason = f"{type(exc).__name__}: {exc}"[:300]
        UP.set(0)
        if first:
            logger.warning(
                "Redis unavailable (%s): running degraded (reads from PostgreSQL, caches bypassed, rate "
                "limits per process) until it is back",
                self._reason,
            )

    def succeeded(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            since, self._down_since = self._down_since, None
            self.down = False
        if since is not None:
            UP.set(1)
            logger.warning("Redis is back after %.1f s of degraded running", time.time() - since)

    def status(self) -> dict:
        """For /readyz: the mode this process runs in."""
        since = self._down_since
        if since is None:
            return {"mode": "normal"}
        return {"mode": "degraded", "down_for_seconds": round(time.time() - since, 1), "reason": self._reason}

    def reset(self) -> None:
        """Forget an outage (tests)."""
        with self._lock:
            self._down_since, self._retry_at, self._reason = None, 0.0, ""
            self.down = False
        UP.set(1)


REDIS = RedisState()
