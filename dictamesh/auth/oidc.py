"""Single sign-on with OpenID Connect (mozilla-django-oidc, ADR 0030).

The operator names the provider by its issuer (``DICTAMESH_OIDC_ISSUER``: Keycloak, Okta, Entra ID, Dex,
Google…); its endpoints and keys come from the issuer's discovery document, fetched when someone signs in and
kept for an hour. The authorization code flow with PKCE and a nonce; ID tokens signed RS256 (or ES256) and
checked against the provider's published keys.

Whoever the provider vouches for becomes a DictaMesh user named by a claim (``preferred_username`` by
default), with the provider's groups as its Django groups — the groups governance policies name
(``group:finance-analysts``) — and staff (the admin) when one of its groups is a stewards' group. The
provider keeps these current: each sign-in sets them again. A provider can never take over a local account:
a user with a password of its own is not signed in through SSO.
"""

from __future__ import annotations

import logging
import re
import threading
import time

import requests
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import Group
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

logger = logging.getLogger("dictamesh.auth.oidc")

DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
DISCOVERY_TTL = 3600
MAX_GROUPS = 200
GROUP_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@:/ -]{0,149}$")
_discovered: dict[str, tuple[float, dict]] = {}
_lock = threading.Lock()


class ProviderUnavailable(Exception):
    """The identity provider's discovery document could not be had (or is not the issuer's)."""


def enabled() -> bool:
    return bool(settings.DICTAMESH_OIDC_ISSUER and settings.DICTAMESH_OIDC_CLIENT_ID)


def provider() -> dict:
    """The issuer's discovery document (``/.well-known/openid-configuration``), kept an hour."""
    issuer = settings.DICTAMESH_OIDC_ISSUER.rstrip("/")
    with _lock:
        kept = _discovered.get(issuer)
        if kept and time.monotonic() - kept[0] < DISCOVERY_TTL:
            return kept[1]
    url = f"{issuer}/.well-known/openid-configuration"
    try:
        response = requests.get(url, timeout=10)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        raise ProviderUnavailable(
            f"the identity provider {issuer} did not answer its discovery document"
        ) from exc
    if not isinstance(document, dict) or str(document.get("issuer", "")).rstrip("/") != issuer:
        raise ProviderUnavailable(
            f"{url} does not describe the issuer {issuer}"
        )  # OpenID Connect Discovery 4.3
    missing = [key for key in DISCOVERED.values() if not isinstance(document.get(key), str)]
    if missing:
        raise ProviderUnavailable(f"{url} names no {', '.join(missing)}")
    with _lock:
        _discovered[issuer] = (time.monotonic(), document)
    return document


def oidc_setting(attr: str, *default):
    """mozilla-django-oidc's settings, from DictaMesh's variables and the provider's discovery document."""
    if attr in DISCOVERED:
        return provider()[DISCOVERED[attr]]
    ours = {
        "OIDC_RP_CLIENT_ID": settings.DICTAMESH_OIDC_CLIENT_ID,
        "OIDC_RP_CLIENT_SECRET": settings.DICTAMESH_OIDC_CLIENT_SECRET or "",
        "OIDC_RP_SIGN_ALGO": settings.DICTAMESH_OIDC_SIGN_ALGORITHM,
        "OIDC_RP_SCOPES": settings.DICTAMESH_OIDC_SCOPES,
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_CREATE_USER": True,
        "OIDC_STORE_ID_TOKEN": False,
        "OIDC_STORE_ACCESS_TOKEN": False,
        "LOGIN_REDIRECT_URL": "/",
        "LOGIN_REDIRECT_URL_FAILURE": "/accounts/login/?sso=failed",
        "OIDC_AUTHENTICATION_CALLBACK_URL": "oidc_authentication_callback",
    }
    if attr in ours:
        return ours[attr]
    return import_from_settings(attr, *default)


class Backend(OIDCAuthenticationBackend):
    """Users from the provider's claims. Its settings are read when a sign-in needs them (a password sign-in
    asks every backend, and must not wait for the provider)."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, *args, **kwargs):
        from django.contrib.auth import get_user_model

        self.UserModel = get_user_model()

    def __getattr__(self, name: str):
        if name.startswith(("OIDC_OP_", "OIDC_RP_")):
            return oidc_setting(name, None)
        raise AttributeError(name)

    def authenticate(self, request, **kwargs):
        if not enabled() or request is None or not request.GET.get("code"):
            return None
        from django.core.exceptions import SuspiciousOperation

        try:
            return super().authenticate(request, **kwargs)
        except (ProviderUnavailable, SuspiciousOperation, requests.RequestException) as exc:
            logger.warning("single sign-on failed: %s", exc)  # the person is sent back to the sign-in page
            return None

    def verify_token(self, token, **kwargs):
        """The library checks the signature and the nonce; the ID token must also be the issuer's and for
        DictaMesh (OpenID Connect Core 3.1.3.7: iss, aud, azp)."""
        from django.core.exceptions import SuspiciousOperation

        payload = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        client = settings.DICTAMESH_OIDC_CLIENT_ID
        if str(payload.get("iss", "")).rstrip("/") != settings.DICTAMESH_OIDC_ISSUER.rstrip("/"):
            raise SuspiciousOperation("The ID token is not the configured issuer's.")
        if client not in audiences or (len(audiences) > 1 and payload.get("azp") != client):
            raise SuspiciousOperation("The ID token is not for DictaMesh (aud).")
        return payload

    @staticmethod
    def username_of(claims: dict) -> str | None:
        value = claims.get(settings.DICTAMESH_OIDC_USERNAME_CLAIM)
        if not isinstance(value, str) or not value.strip() or len(value) > 150:
            return None
        return value.strip()

    def verify_claims(self, claims):
        return self.username_of(claims) is not None

    def filter_users_by_claims(self, claims):
        return self.UserModel.objects.filter(username=self.username_of(claims))

    def get_or_create_user(self, access_token, id_token, payload):
        claims = self.get_userinfo(access_token, id_token, payload)
        claims = {**payload, **claims}  # the ID token's claims, completed by the user-info endpoint's
        username = self.username_of(claims)
        if username is None:
            logger.warning(
                "single sign-on refused: the %s claim is missing", settings.DICTAMESH_OIDC_USERNAME_CLAIM
            )
            return None
        user = self.UserModel.objects.filter(username=username).first()
        if user is not None and user.has_usable_password():
            logger.warning(
                "single sign-on refused for %s: a local account of that name has a password", username
            )
            return None
        if user is None:
            user = self.UserModel.objects.create_user(username=username)
            user.set_unusable_password()
        return self.update_user(user, claims)

    def update_user(self, user, claims):
        """The user's e-mail, name, groups and staff status as the provider says now."""
        groups = claims.get(settings.DICTAMESH_OIDC_GROUPS_CLAIM) or []
        if isinstance(groups, str):
            groups = [groups]
        names = sorted({g.strip() for g in groups if isinstance(g, str) and GROUP_NAME.match(g.strip())})
        names = names[:MAX_GROUPS]
        user.email = claims.get("email") if isinstance(claims.get("email"), str) else user.email
        user.first_name = str(claims.get("given_name") or "")[:150]
        user.last_name = str(claims.get("family_name") or "")[:150]
        user.is_staff = bool(set(names) & set(settings.DICTAMESH_OIDC_STAFF_GROUPS))
        user.save()
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in names])
        return user


class _Request(OIDCAuthenticationRequestView):
    get_settings = staticmethod(oidc_setting)


class _Callback(OIDCAuthenticationCallbackView):
    get_settings = staticmethod(oidc_setting)


def _unavailable(request, exc: Exception):
    logger.warning("single sign-on unavailable: %s", exc)
    messages.error(request, f"Single sign-on is unavailable: {exc}. Try again, or sign in with a password.")
    return HttpResponseRedirect(reverse("login"))


def _guarded(view_class, doc: str):
    def view(request):
        if not enabled():
            raise Http404("Single sign-on is not configured.")
        try:
            return view_class.as_view()(request)
        except ProviderUnavailable as exc:
            return _unavailable(request, exc)

    view.__doc__ = doc
    return view


authenticate_view = _guarded(_Request, "``/oidc/authenticate/``: off to the provider's sign-in page.")
callback_view = _guarded(
    _Callback, "``/oidc/callback/``: back from the provider, signed in (or told why not)."
)


def context(request) -> dict:
    """Templates' ``sso``: the sign-in button's label and link, or None."""
    if not enabled():
        return {"sso": None}
    return {
        "sso": {"name": settings.DICTAMESH_OIDC_PROVIDER_NAME, "href": reverse("oidc_authentication_init")}
    }
