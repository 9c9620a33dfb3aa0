"""Rate limits per recipient and channel: a token bucket in Redis (dictamesh.ratelimit).

``DICTAMESH_NOTIFY_RATE_PER_MINUTE`` tokens a minute, as many at once at most. ``take`` answers 0 when a
token was taken, else the seconds until one will be; should Redis fail, nothing is limited.
"""

from __future__ import annotations

from django.conf import settings

from dictamesh import ratelimit


def take(channel: str, address: str) -> float:
    """0 when the notification may go now, else the seconds until its slot, reserved for it: a waiting
    notification is scheduled once for that moment and then goes without asking again (never polled)."""
    return ratelimit.take(
        "notify", f"{channel}:{address}", per_minute=settings.DICTAMESH_NOTIFY_RATE_PER_MINUTE, reserve=True
    )
