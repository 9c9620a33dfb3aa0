"""Who is acting: set per request (after authentication) or per command, read by publish()."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

actor_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("dictamesh_actor", default=None)


def current_actor() -> str:
    return actor_var.get() or "system"


@contextmanager
def acting_as(actor: str):
    token = actor_var.set(actor)
    try:
        yield
    finally:
        actor_var.reset(token)


class ActorMiddleware:
    """After authentication: events published while handling the request name its user as actor."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        actor = f"user:{user.get_username()}" if user is not None and user.is_authenticated else "anonymous"
        token = actor_var.set(actor)
        try:
            return self.get_response(request)
        finally:
            actor_var.reset(token)
