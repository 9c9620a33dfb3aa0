"""Token buckets in Redis: ``per_minute`` tokens a minute, as many at once at most; one Lua script, so a
bucket is shared and exact across processes. ``take`` answers 0 when a token was taken, else the seconds
until one will be. ``reserve=True`` takes the future token too (the bucket goes below zero): the caller
owns the slot it was told to wait for, and the next caller is told to wait one interval longer — so
waiting callers are scheduled once, in order, instead of all polling the same next token. While Redis is
unavailable (``dictamesh.redis_state``), each process keeps the buckets itself, by the same rule: limits
hold per process instead of across them."""

from __future__ import annotations

import hashlib
import logging
import threading
import time

from cachetools import LRUCache

from dictamesh.redis_state import REDIS

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
_SCRIPTS: dict[int, object] = {}  # per Redis client (the script object is bound to one)


def take(
    scope: str, identity: str, *, per_minute: float, burst: float | None = None, reserve: bool = False
) -> float:
    """Take a token from ``identity``'s bucket in ``scope`` (the identity is hashed into the key)."""
    if per_minute <= 0:
        return 0.0
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    key = f"dictamesh:bucket:{scope}:{digest}"
    rate, capacity, now = per_minute / 60.0, burst or per_minute, time.time()
    wait = REDIS.call(lambda: _take_in_redis(key, [rate, capacity, now, "1" if reserve else "0"]))
    if wait is not None:
        return wait
    return _local_take(key, rate, capacity, now, reserve)


def _take_in_redis(key: str, args: list) -> float:
    from django_redis import get_redis_connection

    client = get_redis_connection("default")
    script = _SCRIPTS.get(id(client))
    if script is None:
        script = _SCRIPTS[id(client)] = client.register_script(SCRIPT)
    return float(script(keys=[key], args=args))


_LOCAL: LRUCache = LRUCache(maxsize=100_000)  # key -> [tokens, at]: the buckets while Redis is away
_LOCAL_LOCK = threading.Lock()


def _local_take(key: str, rate: float, capacity: float, now: float, reserve: bool) -> float:
    """The script's rule, in this process."""
    with _LOCAL_LOCK:
        tokens, at = _LOCAL.get(key) or (capacity, now)
        tokens = min(capacity, tokens + max(0.0, now - at) * rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / rate
            if reserve:
                tokens -= 1
        _LOCAL[key] = (tokens, now)
    return wait
