"""REST endpoints for identities and API tokens, under /api/v1/auth."""

from __future__ import annotations

from datetime import datetime

from ninja import Router, Schema
from ninja.responses import Status

from dictamesh.api.base import require_user
from dictamesh.api.contract import Strict

from . import selectors, services

router = Router(tags=["auth"])


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    state: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreateIn(Strict):
    name: str
    expires_days: int | None = None


class TokenCreatedOut(TokenOut):
    token: str


class WhoAmIOut(Schema):
    authenticated: bool
    username: str | None
    is_superuser: bool
    token: TokenOut | None


def _token_out(token) -> dict:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "state": token.state_at(),
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@router.get("/whoami", response=WhoAmIOut, summary="Who the request is authenticated as")
def whoami(request):
    user = request.user
    authenticated = bool(user and user.is_authenticated)
    return {
        "authenticated": authenticated,
        "username": user.get_username() if authenticated else None,
        "is_superuser": bool(authenticated and user.is_superuser),
        "token": _token_out(request.auth_token) if request.auth_token else None,
    }


@router.get("/tokens", response=list[TokenOut], summary="The caller's API tokens")
def token_list(request):
    return [_token_out(token) for token in selectors.api_token_list(user=require_user(request))]


@router.post("/tokens", response={201: TokenCreatedOut}, summary="Issue a new API token (shown once)")
def token_create(request, payload: TokenCreateIn):
    issued = services.api_token_create(
        user=require_user(request), name=payload.name, expires_days=payload.expires_days
    )
    return Status(201, {**_token_out(issued.token), "token": issued.clear})


@router.delete("/tokens/{token_id}", response=TokenOut, summary="Revoke an API token")
def token_revoke(request, token_id: int):
    return _token_out(services.api_token_revoke(token_id=token_id, actor=require_user(request)))
