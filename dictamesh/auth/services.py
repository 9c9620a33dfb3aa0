"""Writes for API tokens."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dictamesh.errors import NotFound, PermissionDenied, ValidationError
from dictamesh.events import publish
from dictamesh.events.context import user_principal

from .models import ApiToken
from .tokens import TOKEN_PREFIX, token_digest

logger = logging.getLogger("dictamesh.auth")


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    clear: str  # shown once, never stored


def token_state(token: ApiToken) -> dict:
    """What events and the event log record of a token (never its secret or digest)."""
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "user": token.user.get_username(),
        "state": token.state_at(),
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


def _subject(token: ApiToken) -> str:
    return f"dm:dictamesh:api_token:{token.key}"


def _validate_expiry(expires_days: int | None) -> int | None:
    max_days = settings.DICTAMESH_TOKEN_MAX_EXPIRY_DAYS
    if expires_days is not None and expires_days <= 0:
        raise ValidationError(
            "expires_days must be a positive number of days.", fields={"expires_days": "positive"}
        )
    if max_days:
        if expires_days is None:
            return max_days
        if expires_days > max_days:
            raise ValidationError(
                f"Tokens may live at most {max_days} days here.",
                fields={"expires_days": f"at most {max_days}"},
            )
    return expires_days


@transaction.atomic
def api_token_create(*, user, name: str, expires_days: int | None = None) -> IssuedToken:
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError(
            "A token needs a name of 1 to 100 characters.", fields={"name": "1..100 characters"}
        )
    expires_days = _validate_expiry(expires_days)
    key = secrets.token_hex(5)
    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        key=key,
        digest=token_digest(secret),
        expires_at=timezone.now() + timedelta(days=expires_days) if expires_days else None,
    )
    state = token_state(token)
    publish(type="dictamesh.auth.token.created", subject=_subject(token), data=state, after=state)
    return IssuedToken(token=token, clear=f"{TOKEN_PREFIX}{key}_{secret}")


def _forget(*keys: str) -> None:
    """Drop tokens from the verified-token cache of every process (now, and again once committed)."""
    from .selectors import TOKEN_CACHE

    if not keys:
        return
    try:
        TOKEN_CACHE.drop(keys)
    except Exception:  # Redis down: the L1 entries expire by TTL (DICTAMESH_TOKEN_CACHE_SECONDS)
        logger.warning("could not broadcast the revocation of tokens %s", ", ".join(keys), exc_info=True)


def user_tokens_forget(*, user_id: int) -> None:
    """Drop a user's tokens from the verified-token cache of every process: a token is cached with its user,
    and a deactivated or demoted user (superuser or staff no more) must not keep its rights for the cache's
    lifetime. Called whenever a user is saved (AuthConfig.ready), so the admin, the shell and commands all
    take effect at the next request, as a revocation does."""
    _forget(*ApiToken.objects.filter(user_id=user_id).values_list("key", flat=True))


@transaction.atomic
def api_token_revoke(*, token_id: int, actor=None) -> ApiToken:
    """Revoke a token. ``actor`` is the requesting user (owner or superuser); None for operators (CLI)."""
    token = ApiToken.objects.select_for_update().select_related("user").filter(pk=token_id).first()
    if token is None:
        raise NotFound(f"No API token with id {token_id}.")
    if actor is not None and token.user_id != actor.pk and not actor.is_superuser:
        raise PermissionDenied("Only the token's owner or a superuser can revoke it.")
    if token.revoked_at is None:
        before = token_state(token)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        _forget(token.key)
        after = token_state(token)
        publish(
            type="dictamesh.auth.token.revoked",
            subject=_subject(token),
            data=after,
            before=before,
            after=after,
            actor=user_principal(actor),
        )
    return token


def user_ensure(*, username: str, superuser: bool = False):
    """Return the user named ``username``, creating it (without a usable password) if missing."""
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(username=username)
    if created:
        user.set_unusable_password()
    if superuser and not (user.is_superuser and user.is_staff):
        user.is_superuser = True
        user.is_staff = True
    if created or superuser:
        user.save()
    return user


def api_token_touch(*, token: ApiToken) -> None:
    """Record use, at most once a minute per token to keep reads cheap."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
