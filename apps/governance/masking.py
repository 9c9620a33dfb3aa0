"""Masks for sensitive values: redact, partial, hash (HMAC-SHA256 with the deployment's salt), null.

A masked value keeps no more than the mask shows: ``partial`` keeps an e-mail's first letter and domain, or
the last 4 characters of a value of at least 8 (card, IBAN, phone, national id), else it redacts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from django.conf import settings

REDACTED = "[REDACTED]"
PARTIAL_CATEGORIES = frozenset(
    {"email", "phone", "credit_card", "iban", "bank_account", "national_id", "tax_id", "passport"}
)
NULL_CATEGORIES = frozenset({"password"})


def default_mask(categories: tuple[str, ...] | list[str] | set[str]) -> str:
    """The mask of a field when no deny policy names one: the strictest its categories ask for."""
    cats = set(categories)
    if cats & NULL_CATEGORIES:
        return "null"
    if cats and cats <= PARTIAL_CATEGORIES:
        return "partial"
    return "redact"


def _salt() -> bytes:
    salt = settings.DICTAMESH_MASKING_SALT or ("dictamesh-masking:" + settings.SECRET_KEY)
    return salt.encode()


def _partial(value: Any, categories) -> Any:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return REDACTED
    text = str(value)
    if "email" in categories and "@" in text:
        local, _, domain = text.rpartition("@")
        return (local[:1] + "***@" + domain) if local else REDACTED
    compact = "".join(ch for ch in text if ch.isalnum())
    if len(compact) >= 8:
        return "*" * (len(compact) - 4) + compact[-4:]
    return REDACTED


def mask_value(value: Any, mask: str, categories=()) -> Any:
    if value is None:
        return None
    if mask == "null":
        return None
    if mask == "hash":
        canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
        return "hash:" + hmac.new(_salt(), canonical.encode(), hashlib.sha256).hexdigest()[:32]
    if mask == "partial":
        return _partial(value, set(categories))
    return REDACTED


def apply(container: Any, path: list[str], masker) -> bool:
    """Mask the value at ``path`` (dotted segments; a list applies to each item) in place: was one found?"""
    if not path:
        return False
    head, rest = path[0], path[1:]
    if isinstance(container, list):
        found = False
        for item in container:
            found = apply(item, path, masker) or found
        return found
    if not isinstance(container, dict) or head not in container:
        return False
    if not rest:
        container[head] = masker(container[head])
        return True
    return apply(container[head], rest, masker)


def contains(container: Any, path: list[str]) -> bool:
    if not path:
        return True
    if isinstance(container, list):
        return any(contains(item, path) for item in container)
    return isinstance(container, dict) and path[0] in container and contains(container[path[0]], path[1:])
