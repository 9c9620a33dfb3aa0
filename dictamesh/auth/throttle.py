"""Failed authentication is rate limited per client address: past DICTAMESH_AUTH_FAILURES_PER_MINUTE
failures in a minute, every request from that address that carries credentials gets a 429 until the
minute is over (a right token too: guessing must not go on). Counted in Redis, shared by all processes;
should Redis fail, requests are not throttled (authentication itself still holds)."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger("dictamesh.auth")
WINDOW = 60


def _key(client: str) -> str:
    return f"dictamesh:authfail:{client}:{int(time.time() // WINDOW)}"


def retry_after(client: str | None) -> int | None:
    """Seconds until ``client`` may try again, or None when it is not throttled."""
    limit = settings.DICTAMESH_AUTH_FAILURES_PER_MINUTE
    if not client or limit <= 0:
        return None
    try:
        failures = cache.get(_key(client)) or 0
    except Exception:  # noqa: BLE001 - Redis down: fail open, logged
        logger.warning("auth throttle unavailable", exc_info=True)
        return None
    if failures < limit:
        return None
    return max(1, WINDOW - int(time.time() % WINDOW))


def failed(client: str | None) -> None:
    if not client or settings.DICTAMESH_AUTH_FAILURES_PER_MINUTE <= 0:
        return
    key = _key(client)
    try:
        if not cache.add(key, 1, timeout=WINDOW * 2):
            cache.incr(key)
    except Exception:  # noqa: BLE001 - Redis down: fail open, logged
        logger.warning("auth throttle unavailable", exc_info=True)
