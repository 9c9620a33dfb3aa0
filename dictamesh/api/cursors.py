"""Opaque pagination cursors shared by REST and GraphQL: a JSON value, base64url without padding."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from dictamesh.errors import ValidationError


def encode_cursor(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    """The payload of a cursor this API gave out (None for none); anything else is a 400 naming ``cursor``."""
    if not cursor:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, TypeError):
        raise invalid_cursor() from None


def invalid_cursor() -> ValidationError:
    return ValidationError("The cursor is not one this API gave out.", fields={"cursor": "invalid"})
