"""Reads for API tokens, including the authentication lookup."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.utils import timezone

from .models import ApiToken
from .services import TOKEN_PREFIX, token_digest


@dataclass(frozen=True)
class TokenCheck:
    token: ApiToken | None
    reason: str  # ok | malformed | unknown | revoked | expired | inactive_user


def api_token_check(*, clear: str) -> TokenCheck:
    """Find the token a clear value names and say whether it may authenticate."""
    if not clear.startswith(TOKEN_PREFIX):
        return TokenCheck(None, "malformed")
    key, sep, secret = clear[len(TOKEN_PREFIX) :].partition("_")
    if not sep or not key or not secret or len(key) > 16:
        return TokenCheck(None, "malformed")
    token = ApiToken.objects.select_related("user").filter(key=key).first()
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
