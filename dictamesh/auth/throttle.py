"""Failed authentication is rate limited per client address **and claimed credential**: past
DICTAMESH_AUTH_FAILURES_PER_MINUTE failures in a minute, requests from that address that claim the same
credential (the token's key, a Basic user name, or "malformed") get a 429 until the minute is over (a right
secret too: guessing a token's secret must not go on). Others' failures never lock out a valid token: a
request that claims another key from the same address is judged on its own.

The client address is REMOTE_ADDR, or, when REMOTE_ADDR is one of DICTAMESH_TRUSTED_PROXIES, the
nearest X-Forwarded-For address that is not a trusted proxy (so clients behind one proxy are told apart,
and a client cannot forge its address by sending the header itself).

Counted in Redis, shared by all processes; while Redis is unavailable, each process counts the failures it
sees (the limit holds per process)."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import threading
import time
from functools import lru_cache

from cachetools import TTLCache
from django.conf import settings
from django.core.cache import cache

from dictamesh.redis_state import REDIS

logger = logging.getLogger("dictamesh.auth")
WINDOW = 60


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str) -> bool:
    proxies = tuple(getattr(settings, "DICTAMESH_TRUSTED_PROXIES", ()) or ())
    if not proxies:
        return False
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in net for net in _networks(proxies))


def client_address(meta: dict) -> str | None:
    """The caller's address from a request's META (or a WSGI environ), trusted proxies peeled off."""
    remote = meta.get("REMOTE_ADDR")
    if not remote or not _trusted(remote):
        return remote
    forwarded = [a.strip() for a in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if a.strip()]
    for address in reversed(forwarded):
        if not _trusted(address):
            return address[:64]
    return remote


def claimed(header: str | None) -> str:
    """Which credential an Authorization header claims, without verifying it: a DictaMesh token's key (its
    public part), a Basic user name's digest, or "malformed"."""
    from .tokens import TOKEN_PREFIX, parse_authorization

    username, clear, error = parse_authorization(header or "")
    if error or not clear:
        return "malformed"
    if clear.startswith(TOKEN_PREFIX):
        key = clear[len(TOKEN_PREFIX) :].partition("_")[0]
        if key and len(key) <= 16 and key.isascii() and key.replace("-", "").replace("_", "").isalnum():
            return f"key:{key}"
    if username:
        return "user:" + hashlib.sha256(username.encode("utf-8", "replace")).hexdigest()[:16]
    return "malformed"


def _key(client: str, credential: str) -> str:
    return f"dictamesh:authfail:{client}:{credential}:{int(time.time() // WINDOW)}"


def retry_after(client: str | None, credential: str = "malformed") -> int | None:
    """Seconds until ``client`` may try ``credential`` again, or None when it is not throttled."""
    limit = settings.DICTAMESH_AUTH_FAILURES_PER_MINUTE
    if not client or limit <= 0:
        return None
    key = _key(client, credential)
    failures = max(_LOCAL.get(key, 0), REDIS.call(lambda: cache.get(key), 0) or 0)
    if failures < limit:
        return None
    return max(1, WINDOW - int(time.time() % WINDOW))


def failed(client: str | None, credential: str = "malformed") -> None:
    if not client or settings.DICTAMESH_AUTH_FAILURES_PER_MINUTE <= 0:
        return
    key = _key(client, credential)

    def count() -> bool:
        if not cache.add(key, 1, timeout=WINDOW * 2):
            cache.incr(key)
        return True

    if REDIS.call(count, False):
        return
    with _LOCAL_LOCK:  # Redis away: the failures are counted in this process
        _LOCAL[key] = _LOCAL.get(key, 0) + 1


_LOCAL: TTLCache = TTLCache(maxsize=100_000, ttl=WINDOW * 2)
_LOCAL_LOCK = threading.Lock()
