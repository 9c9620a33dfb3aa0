"""Rate limits per recipient and channel: a token bucket in Redis (one Lua script: atomic across processes).

``DICTAMESH_NOTIFY_RATE_PER_MINUTE`` tokens a minute, as many at once at most. ``take`` answers 0 when a
token was taken, else the seconds until one will be; should Redis fail, nothing is limited.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings

logger = logging.getLogger("dictamesh.notifications")
SCRIPT = """
local rate, capacity, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
return tostring(wait)
"""
_script = None


def take(channel: str, address: str) -> float:
    per_minute = settings.DICTAMESH_NOTIFY_RATE_PER_MINUTE
    if per_minute <= 0:
        return 0.0
    global _script
    try:
        from django_redis import get_redis_connection

        if _script is None:
            _script = get_redis_connection("default").register_script(SCRIPT)
        digest = hashlib.sha256(f"{channel}:{address}".encode()).hexdigest()[:32]
        wait = _script(
            keys=[f"dictamesh:notify:bucket:{digest}"], args=[per_minute / 60.0, per_minute, time.time()]
        )
        return float(wait)
    except Exception:  # noqa: BLE001 - Redis down: deliver without a limit, logged
        logger.warning("notification rate limit unavailable", exc_info=True)
        return 0.0
