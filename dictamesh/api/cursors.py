"""Opaque pagination cursors shared by REST and GraphQL: a JSON value and a MAC, base64url without padding.

A cursor is signed with the deployment's SECRET_KEY (Django's salted HMAC, truncated to 12 bytes), so a
forged or altered one is refused as a 400 naming ``cursor`` before its payload is read: code that reads a
payload only ever sees values this API gave out.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Any

from dictamesh.errors import ValidationError

_SALT = "dictamesh.api.cursor"
_MAC_BYTES = 12


def _mac(payload: bytes) -> bytes:
    from django.utils.crypto import salted_hmac

    return salted_hmac(_SALT, payload, algorithm="sha256").digest()[:_MAC_BYTES]


def encode_cursor(payload: Any) -> str:
    data = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(_mac(data) + data).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    """The payload of a cursor this API gave out (None for none); anything else is a 400 naming ``cursor``."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        mac, data = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
        if len(raw) <= _MAC_BYTES or not hmac.compare_digest(mac, _mac(data)):
            raise invalid_cursor()
        return json.loads(data)
    except (binascii.Error, ValueError, TypeError):
        raise invalid_cursor() from None


def invalid_cursor() -> ValidationError:
    return ValidationError("The cursor is not one this API gave out.", fields={"cursor": "invalid"})
