"""Who is acting: set per request (after authentication) or per command, read by publish()."""

from __future__ import annotations

import contextvars

from dictamesh.core.scoped import bound

actor_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("dictamesh_actor", default=None)


def current_actor() -> str:
    return actor_var.get() or "system"


def user_principal(user) -> str | None:
    """``user:<username>``: how events, owners and policies name a signed-in user (None for nobody)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return f"user:{user.get_username()}"


def acting_as(actor: str):
    """Events published within the ``with`` block name ``actor``."""
    return bound(actor_var, actor)


class ActorMiddleware:
    """After authentication: events published while handling the request name its user as actor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        actor = user_principal(user) or "anonymous"
        token = actor_var.set(actor)
        try:
            return self.get_response(request)
        finally:
            actor_var.reset(token)
