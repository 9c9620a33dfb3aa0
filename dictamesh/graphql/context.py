"""What resolvers read from the request: the authenticated user."""

from __future__ import annotations

from dictamesh.errors import Unauthenticated


def require_user(info):
    """The authenticated user of this GraphQL request, or Unauthenticated (mapped to ``unauthenticated``)."""
    user = getattr(info.context, "user", None)
    if user is None or not user.is_authenticated:
        raise Unauthenticated()
    return user
