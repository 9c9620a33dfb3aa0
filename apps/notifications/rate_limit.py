"""Rate limits per recipient and channel: a token bucket in Redis (dictamesh.ratelimit).

``DICTAMESH_NOTIFY_RATE_PER_MINUTE`` tokens a minute, as many at once at most. ``take`` answers 0 when a
token was taken, else the seconds until one will be; should Redis fail, nothing is limited.
"""

from __future__ import annotations

from django.conf import settings

from dictamesh import ratelimit


def take(channel: str, address: str) -> float:
    return ratelimit.take(
        "notify", f"{channel}:{address}", per_minute=settings.DICTAMESH_NOTIFY_RATE_PER_MINUTE
    )
