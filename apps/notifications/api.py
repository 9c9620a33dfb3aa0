"""REST endpoints of notifications, under /api/v1/notifications: the caller's in-app inbox."""

from __future__ import annotations

import json

from ninja import Router

from dictamesh.api.base import require_user
from dictamesh.errors import ValidationError

from . import services
from .models import InboxItem

router = Router(tags=["notifications"])


@router.get("/inbox", summary="Your in-app notifications, newest first")
def inbox(request, unread: bool = False, limit: int = 50):
    user = require_user(request)
    if not 1 <= limit <= 500:
        raise ValidationError("limit is 1..500.", fields={"limit": "1..500"})
    items = InboxItem.objects.filter(user=user).select_related("notification")
    if unread:
        items = items.filter(read_at__isnull=True)
    return {
        "items": [services.inbox_state(i) for i in items.order_by("-created_at", "-id")[:limit]],
        "unread": InboxItem.objects.filter(user=user, read_at__isnull=True).count(),
    }


@router.get("/inbox/unread-count", summary="How many of your in-app notifications are unread")
def inbox_unread(request):
    user = require_user(request)
    return {"unread": InboxItem.objects.filter(user=user, read_at__isnull=True).count()}


@router.post("/inbox/read", summary='Mark inbox items read: {"ids": [...]}, or all without ids')
def inbox_read(request):
    user = require_user(request)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise ValidationError("The body is not valid JSON.", fields={"body": "JSON"}) from None
    ids = body.get("ids") if isinstance(body, dict) else None
    return {"marked": services.inbox_mark_read(user=user, ids=ids)}
