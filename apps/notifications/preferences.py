"""Users' preferences: which preference applies to a notification, and when quiet hours end."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dictamesh.events.router import matches_any

from .models import Preference


def applying(*, user, type: str, channel: str) -> Preference | None:  # noqa: A002 - the notification type
    """The most specific of the user's preferences for this type and channel (exact type over a prefix,
    a longer prefix over a shorter, a channel over any), or None."""
    found = [
        p
        for p in Preference.objects.filter(user=user, channel__in=[channel, ""])
        if matches_any([p.type], type)
    ]
    if not found:
        return None
    return max(found, key=lambda p: (not p.type.endswith("*"), len(p.type), p.channel == channel))


def after_quiet_hours(preference: Preference, now: datetime) -> datetime:
    """``now``, or the end of the preference's quiet hours when ``now`` falls within them (its time zone;
    a period may span midnight)."""
    start, end = preference.quiet_from, preference.quiet_until
    if start is None or end is None or start == end:
        return now
    try:
        zone = ZoneInfo(preference.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return now
    ends = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    if ends <= local:
        ends += timedelta(days=1)
    return ends.astimezone(now.tzinfo)
