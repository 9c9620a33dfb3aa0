"""Signed webhooks: HMAC-SHA256 over ``<timestamp>.<body>``, sent with the timestamp.

Headers: ``X-DictaMesh-Timestamp`` (Unix seconds) and ``X-DictaMesh-Signature: v1=<hex>``. Receivers
recompute the HMAC with their secret, compare in constant time, and refuse timestamps older than a few
minutes (replay protection); ``ce-id`` lets them drop duplicates (delivery is at least once).
"""

from __future__ import annotations

import hashlib
import hmac
import time

TIMESTAMP_HEADER = "X-DictaMesh-Timestamp"
SIGNATURE_HEADER = "X-DictaMesh-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def signed_headers(secret: str, body: bytes, *, now: float | None = None) -> dict[str, str]:
    timestamp = int(now if now is not None else time.time())
    return {TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature(secret, timestamp, body)}


def verify(
    secret: str, headers: dict[str, str], body: bytes, *, tolerance: int = 300, now: float | None = None
) -> bool:
    """What a receiver does: constant-time compare, and a timestamp within ``tolerance`` seconds."""
    try:
        timestamp = int(headers[TIMESTAMP_HEADER])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), headers.get(SIGNATURE_HEADER, ""))
