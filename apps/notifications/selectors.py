"""Reads of notifications: a user's inbox and preferences, the subscriptions."""

from __future__ import annotations

from .models import InboxItem, Preference, Subscription


def inbox(*, user, unread: bool = False, limit: int = 50) -> tuple[list[InboxItem], int]:
    """A user's inbox items, newest first, and how many are unread."""
    items = InboxItem.objects.filter(user=user).select_related("notification")
    if unread:
        items = items.filter(read_at__isnull=True)
    return list(items.order_by("-created_at", "-id")[:limit]), unread_count(user=user)


def unread_count(*, user) -> int:
    return InboxItem.objects.filter(user=user, read_at__isnull=True).count()


def preferences_of(*, user) -> list[Preference]:
    return list(Preference.objects.filter(user=user))


def subscription_list() -> list[Subscription]:
    return list(Subscription.objects.prefetch_related("users", "groups").order_by("name"))


def notifications_failed_recently(*, days: int) -> int:
    from datetime import timedelta

    from django.utils import timezone

    from .models import Notification, Status

    return Notification.objects.filter(
        status=Status.FAILED, created_at__gte=timezone.now() - timedelta(days=days)
    ).count()
