"""Reads for API tokens, including the authentication lookup."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from dictamesh.cache import TwoLevelCache

from .models import ApiToken
from .tokens import TOKEN_PREFIX, token_digest


@dataclass(frozen=True)
class TokenCheck:
    token: ApiToken | None
    reason: str  # ok | malformed | unknown | revoked | expired | inactive_user


TOKEN_CACHE = TwoLevelCache(
    "auth.token",
    l1_size=lambda: 4096 if settings.DICTAMESH_TOKEN_CACHE_SECONDS > 0 else 0,
    l1_ttl=lambda: max(settings.DICTAMESH_TOKEN_CACHE_SECONDS, 1),
)


def _token_by_key(key: str) -> ApiToken | None:
    return ApiToken.objects.select_related("user").filter(key=key).first()


def api_token_check(*, clear: str) -> TokenCheck:
    """Find the token a clear value names and say whether it may authenticate.

    Tokens are cached by key (``DICTAMESH_TOKEN_CACHE_SECONDS``, L1 and Redis): Kafka clients send their
    credentials with every request. Revocation drops the entry in every process at once; the secret, expiry
    and revocation are still checked on every request."""
    if not clear.startswith(TOKEN_PREFIX):
        return TokenCheck(None, "malformed")
    key, sep, secret = clear[len(TOKEN_PREFIX) :].partition("_")
    if not sep or not key or not secret or len(key) > 16:
        return TokenCheck(None, "malformed")
    token = TOKEN_CACHE.get(key, lambda: _token_by_key(key), ttl=settings.DICTAMESH_TOKEN_CACHE_SECONDS)
    if token is None or not hmac.compare_digest(token.digest, token_digest(secret)):
        return TokenCheck(None, "unknown")
    state = token.state_at(timezone.now())
    if state != "active":
        return TokenCheck(token, state)
    if not token.user.is_active:
        return TokenCheck(token, "inactive_user")
    return TokenCheck(token, "ok")


def api_token_list(*, user) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=user).order_by("-created_at"))
