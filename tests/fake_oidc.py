"""A local OpenID Connect provider speaking the real protocol (discovery, the authorization code flow with
PKCE, RS256-signed ID tokens, user info, JWKS), as Keycloak or Dex would — a third-party endpoint's
stand-in, never DictaMesh's own.

Its sign-in page is a form a person (or the browser test) fills with a user name; ``users`` says who exists
and their claims."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
import time
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.fakes import _read_body, _Server


class _OIDCHandler(BaseHTTPRequestHandler):
    server_owner: FakeOIDCProvider

    def _send(
        self, status: int, body: bytes | str, content_type: str = "application/json", **headers
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _json(self, status: int, payload: dict) -> None:
        self._send(status, json.dumps(payload))

    def do_GET(self):
        provider, url = self.server_owner, urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            return self._json(200, provider.discovery())
        if url.path == "/jwks":
            return self._json(200, {"keys": [provider.jwk]})
        if url.path == "/authorize":
            fields = "".join(
                f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                for k, v in query.items()
            )
            page = (
                "<!doctype html><title>Fake IdP sign-in</title><h1>Sign in to the fake identity provider</h1>"
                f'<form method="post" action="/authorize">{fields}'
                '<label>User name <input id="idp-username" name="username" autofocus></label>'
                '<button id="idp-submit" type="submit">Sign in</button></form>'
            )
            return self._send(200, page, "text/html; charset=utf-8")
        if url.path == "/userinfo":
            token = self.headers.get("Authorization", "").removeprefix("Bearer ")
            username = provider.access_tokens.get(token)
            if username is None:
                return self._json(401, {"error": "invalid_token"})
            return self._json(200, provider.claims(username))
        return self._json(404, {"error": "not_found"})

    def do_POST(self):
        provider, url = self.server_owner, urlsplit(self.path)
        form = {k: v[0] for k, v in parse_qs(_read_body(self).decode()).items()}
        if url.path == "/authorize":
            if form.get("client_id") != provider.client_id or form.get("response_type") != "code":
                return self._send(400, "unknown client or response type", "text/plain")
            username = form.get("username", "")
            if username not in provider.users:
                return self._send(401, "no such user at the identity provider", "text/plain")
            code = secrets.token_urlsafe(24)
            provider.codes[code] = {**form, "username": username}
            target = form["redirect_uri"] + "?" + urlencode({"code": code, "state": form.get("state", "")})
            return self._send(302, b"", "text/plain", Location=target)
        if url.path == "/token":
            return self._token(provider, form)
        return self._json(404, {"error": "not_found"})

    def _token(self, provider: FakeOIDCProvider, form: dict) -> None:
        grant = provider.codes.pop(form.get("code", ""), None)  # a code is good once
        if grant is None or form.get("grant_type") != "authorization_code":
            return self._json(400, {"error": "invalid_grant"})
        if form.get("client_id") != provider.client_id or form.get("client_secret") != provider.client_secret:
            return self._json(401, {"error": "invalid_client"})
        if form.get("redirect_uri") != grant["redirect_uri"]:
            return self._json(400, {"error": "invalid_grant", "error_description": "redirect_uri"})
        if grant.get("code_challenge"):
            verifier = form.get("code_verifier", "").encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            if challenge != grant["code_challenge"]:
                return self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
        access = secrets.token_urlsafe(24)
        provider.access_tokens[access] = grant["username"]
        now = int(time.time())
        claims = {
            "iss": provider.issuer_claim or provider.issuer,
            "aud": provider.audience or provider.client_id,
            "sub": f"sub-{grant['username']}",
            "iat": now,
            "exp": now + 300,
            "nonce": grant.get("nonce"),
            **provider.claims(grant["username"]),
        }
        id_token = jwt.encode(claims, provider.private_key, algorithm="RS256", headers={"kid": provider.kid})
        return self._json(
            200, {"access_token": access, "token_type": "Bearer", "expires_in": 300, "id_token": id_token}
        )


class FakeOIDCProvider(_Server):
    handler_class = _OIDCHandler

    def __init__(self, *, client_id: str = "dictamesh", client_secret: str = "fake-client-secret"):  # noqa: S107
        super().__init__()
        self.client_id, self.client_secret = client_id, client_secret
        self.users: dict[str, dict] = {}
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, str] = {}
        self.issuer_claim: str | None = None  # set to sign tokens as another issuer
        self.audience: str | None = None  # set to sign tokens for another client
        self.private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "fake-key-1"
        self.jwk = {
            **json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key())),
            "kid": self.kid,
            "alg": "RS256",
            "use": "sig",
        }

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def discovery(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def claims(self, username: str) -> dict:
        return {"preferred_username": username, **self.users[username]}

    def settings(self) -> dict:
        """DictaMesh's settings for this provider."""
        return {
            "DICTAMESH_OIDC_ISSUER": self.issuer,
            "DICTAMESH_OIDC_CLIENT_ID": self.client_id,
            "DICTAMESH_OIDC_CLIENT_SECRET": self.client_secret,
            "DICTAMESH_OIDC_PROVIDER_NAME": "Fake IdP",
        }
