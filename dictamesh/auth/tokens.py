"""The shape of an API token (``dmt_<key>_<secret>``) and how its secret is kept: SHA-256 (ADR 0006).
Shared by the services that issue tokens, the selectors that check them and the throttle that reads keys."""

from __future__ import annotations

import base64
import binascii
import hashlib

TOKEN_PREFIX = "dmt_"  # noqa: S105 - a public marker, not a secret


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_authorization(header: str) -> tuple[str | None, str | None, str | None]:
    """Return (username or None, clear token, error reason or None)."""
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return None, value, None
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None, "bad_basic"
        username, sep, token = decoded.partition(":")
        if not sep or not token or not username:
            return None, None, "bad_basic"
        return username, token, None
    return None, None, "bad_scheme"
