"""Authenticate requests that carry an API token (Bearer, or HTTP Basic ``username:token``).

A request with no Authorization header passes through unchanged (session or anonymous). A request
whose header is present but wrong, expired, revoked or malformed is answered 401 with a JSON error
here, before any view runs — never a 500, never silently anonymous.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse

from dictamesh.errors import DictaMeshError, RateLimited, Unauthenticated, http_response

from . import throttle
from .selectors import api_token_check
from .services import api_token_touch
from .tokens import parse_authorization

EXEMPT_PATHS = ("/healthz", "/readyz", "/metrics")
REASONS = {
    "malformed": "The API token is malformed: DictaMesh tokens look like dmt_<key>_<secret>.",
    "unknown": "The API token is not valid.",
    "revoked": "The API token has been revoked.",
    "expired": "The API token has expired.",
    "inactive_user": "The API token's user is inactive.",
    "username_mismatch": "The user name does not match the API token's user.",
    "bad_basic": "HTTP Basic credentials must be base64 of 'username:token', both not empty.",
    "bad_scheme": "Unsupported Authorization scheme: use 'Bearer <token>' or HTTP Basic 'username:token'.",
    "throttled": "Too many failed authentications from this address: wait before trying again.",
}


def unauthenticated(
    reason: str, *, graphql: bool = False, confluent: bool = False, retry_after: int | None = None
) -> JsonResponse:
    """The refusal of a request's credential, in the wire shape its client reads."""
    message = REASONS[reason]
    if reason == "throttled":
        error: DictaMeshError = RateLimited(message, retry_after=retry_after or 60)
    else:
        error = Unauthenticated(message)
    return http_response(error, shape="graphql" if graphql else "confluent" if confluent else "rest")


def authenticate(header: str, client: str | None = None):
    """The API token an Authorization header names, recorded as used: (token, None), or (None, the reason
    it cannot authenticate: a key of REASONS). ``client`` (the caller's address) is throttled after too
    many failures with the same claimed credential (reason ``throttled``: answer 429)."""
    credential = throttle.claimed(header)
    if throttle.retry_after(client, credential) is not None:
        return None, "throttled"
    token, reason = _authenticate(header)
    if token is None:
        throttle.failed(client, credential)
    return token, reason


def throttled_for(header: str, client: str | None) -> int | None:
    """Seconds a throttled request should wait (its Retry-After)."""
    return throttle.retry_after(client, throttle.claimed(header))


def _authenticate(header: str):
    username, clear, error = parse_authorization(header)
    if error:
        return None, error
    check = api_token_check(clear=clear)
    if check.reason != "ok":
        return None, check.reason
    if username and username != check.token.user.get_username():
        return None, "username_mismatch"
    api_token_touch(token=check.token)
    return check.token, None


class TokenAuthenticationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.auth_token = None
        header = request.META.get("HTTP_AUTHORIZATION")
        if header and not request.path.startswith(EXEMPT_PATHS):
            graphql = request.path.rstrip("/") == settings.DICTAMESH_GRAPHQL_PATH
            confluent = request.path.startswith(
                "/" + settings.DICTAMESH_SCHEMA_REGISTRY_PATH.strip("/") + "/"
            )
            client = throttle.client_address(request.META)
            token, reason = authenticate(header, client)
            if token is None:
                wait = throttled_for(header, client) if reason == "throttled" else None
                return unauthenticated(reason, graphql=graphql, confluent=confluent, retry_after=wait)
            request.user = token.user
            request.auth_token = token
            # token requests are not browser sessions: CSRF does not apply to them
            request._dont_enforce_csrf_checks = True
        return self.get_response(request)
