"""Token buckets in Redis: ``per_minute`` tokens a minute, as many at once at most; one Lua script, so a
bucket is shared and exact across processes. ``take`` answers 0 when a token was taken, else the seconds
until one will be. ``reserve=True`` takes the future token too (the bucket goes below zero): the caller
owns the slot it was told to wait for, and the next caller is told to wait one interval longer — so
waiting callers are scheduled once, in order, instead of all polling the same next token. Should Redis
fail, nothing is limited (logged)."""

from __future__ import annotations

import hashlib
import logging
import time

logger = logging.getLogger("dictamesh.ratelimit")
SCRIPT = """
local rate, capacity, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local reserve = ARGV[4] == '1'
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local at = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = (1 - tokens) / rate
  if reserve then tokens = tokens - 1 end
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
return tostring(wait)
"""
_script = None


def take(
    scope: str, identity: str, *, per_minute: float, burst: float | None = None, reserve: bool = False
) -> float:
    """Take a token from ``identity``'s bucket in ``scope`` (the identity is hashed into the key)."""
    if per_minute <= 0:
        return 0.0
    global _script
    try:
        from django_redis import get_redis_connection

        if _script is None:
            _script = get_redis_connection("default").register_script(SCRIPT)
        digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
        wait = _script(keys=[f"dictamesh:bucket:{scope}:{digest}"],
                       args=[per_minute / 60.0, burst or per_minute, time.time(), "1" if reserve else "0"])  # fmt: skip
        return float(wait)
    except Exception:  # noqa: BLE001 - Redis down: no limit rather than no service, logged
        logger.warning("rate limit %s unavailable", scope, exc_info=True)
        return 0.0
