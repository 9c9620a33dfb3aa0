"""REST endpoints of notifications, under /api/v1/notifications: the caller's in-app inbox."""

from __future__ import annotations

from ninja import Router
from ninja.responses import Status

from dictamesh.api.base import json_body, require_user
from dictamesh.api.contract import documented
from dictamesh.contracts import parse
from dictamesh.errors import ValidationError

from . import contracts as c
from . import selectors, services, subscriptions

router = Router(tags=["notifications"])


@router.get(
    "/inbox",
    summary="Your in-app notifications, newest first",
    openapi_extra=documented(responses={200: c.Inbox}),
)
def inbox(request, unread: bool = False, limit: int = 50):
    user = require_user(request)
    if not 1 <= limit <= 500:
        raise ValidationError("limit is 1..500.", fields={"limit": "1..500"})
    items, unread_total = selectors.inbox(user=user, unread=unread, limit=limit)
    return {"items": [services.inbox_state(i) for i in items], "unread": unread_total}


@router.get(
    "/inbox/unread-count",
    summary="How many of your in-app notifications are unread",
    openapi_extra=documented(responses={200: c.UnreadCount}),
)
def inbox_unread(request):
    user = require_user(request)
    return {"unread": selectors.unread_count(user=user)}


@router.post(
    "/inbox/read",
    summary='Mark inbox items read: {"ids": [...]}, or all without ids',
    openapi_extra=documented(body=c.MarkRead, responses={200: c.Marked}),
)
def inbox_read(request):
    user = require_user(request)
    body = json_body(request, empty={})
    ids = body.get("ids") if isinstance(body, dict) else None
    return {"marked": services.inbox_mark_read(user=user, ids=ids)}


# -- subscriptions (stewards) and preferences (each user's own) -------------------------------------------
def _steward(request) -> None:
    from apps.governance.public import Resource, access

    access(request).require("manage", Resource(kind="governance", urn="notifications"))


_json = json_body


@router.get(
    "/subscriptions",
    summary="Subscriptions: which events notify whom, on which channel",
    openapi_extra=documented(responses={200: c.Subscriptions}),
)
def subscription_list(request):
    _steward(request)
    return {"items": [subscriptions.subscription_state(s) for s in selectors.subscription_list()]}


@router.post(
    "/subscriptions",
    response={201: dict},
    summary="Create a subscription",
    openapi_extra=documented(body=c.SubscriptionIn, responses={201: c.Subscription}),
)
def subscription_create(request):
    _steward(request)
    return Status(
        201,
        subscriptions.subscription_state(
            subscriptions.subscription_save(subscription=parse(c.SubscriptionIn, _json(request)))
        ),
    )


@router.patch(
    "/subscriptions/{name}",
    summary="Change a subscription",
    openapi_extra=documented(body=c.SubscriptionIn, responses={200: c.Subscription}),
)
def subscription_update(request, name: str):
    _steward(request)
    return subscriptions.subscription_state(
        subscriptions.subscription_save(
            subscription=parse(c.SubscriptionIn, _json(request), partial=True), name=name
        )
    )


@router.delete(
    "/subscriptions/{name}",
    summary="Delete a subscription",
    openapi_extra=documented(responses={200: c.Deleted}),
)
def subscription_delete(request, name: str):
    _steward(request)
    subscriptions.subscription_delete(name=name)
    return {"name": name, "deleted": True}


@router.get(
    "/preferences",
    summary="Your notification preferences",
    openapi_extra=documented(responses={200: c.Preferences}),
)
def preference_list(request):
    user = require_user(request)
    return {"items": [subscriptions.preference_state(p) for p in selectors.preferences_of(user=user)]}


@router.put(
    "/preferences",
    summary="Set a preference: type (or prefix*), channel (or any), on/off, quiet hours",
    openapi_extra=documented(body=c.PreferenceIn, responses={200: c.Preference}),
)
def preference_put(request):
    user = require_user(request)
    return subscriptions.preference_state(
        subscriptions.preference_set(user=user, preference=parse(c.PreferenceIn, _json(request)))
    )


@router.delete(
    "/preferences/{pk}",
    summary="Remove one of your preferences",
    openapi_extra=documented(responses={200: c.Deleted}),
)
def preference_delete(request, pk: int):
    user = require_user(request)
    subscriptions.preference_delete(user=user, pk=pk)
    return {"id": pk, "deleted": True}
