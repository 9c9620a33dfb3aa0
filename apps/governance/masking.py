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
    compact = "".join(filter(str.isalnum, text))
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


def contains(container: Any, path: list[str] | tuple[str, ...]) -> bool:
    if not path:
        return True
    if isinstance(container, list):
        return any(contains(item, path) for item in container)
    return isinstance(container, dict) and path[0] in container and contains(container[path[0]], path[1:])


def masked_copy(container: Any, path: list[str], masker) -> Any:
    """``container`` with the value at ``path`` masked: the dicts and lists on the path are copied, all else
    is shared (the cached state a copy comes from is never changed)."""
    if not path:
        return container
    if isinstance(container, list):
        return [masked_copy(item, path, masker) for item in container]
    if not isinstance(container, dict) or path[0] not in container:
        return container
    out = dict(container)
    head = path[0]
    out[head] = masker(container[head]) if len(path) == 1 else masked_copy(container[head], path[1:], masker)
    return out


def masked_copy_many(container: Any, masks: list[tuple[tuple[str, ...], Any]]) -> Any:
    """``container`` with each ``(path, masker)`` of ``masks`` applied, as ``masked_copy`` one after the
    other would (a path ending where another goes on masks the whole value), copying each dict and list on
    the paths once."""
    if isinstance(container, list):
        return [masked_copy_many(item, masks) for item in container]
    if not isinstance(container, dict):
        return container
    heads: dict[str, list[tuple[tuple[str, ...], Any]]] = {}
    for path, masker in masks:
        if path and path[0] in container:
            heads.setdefault(path[0], []).append((path[1:], masker))
    if not heads:
        return container
    out = dict(container)
    for head, rest in heads.items():
        whole = next((masker for sub, masker in rest if not sub), None)
        out[head] = whole(container[head]) if whole is not None else masked_copy_many(container[head], rest)
    return out
