"""Cleaning of entity input (register, update, bulk upsert): every problem reported per field, at once."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.utils.dateparse import parse_datetime

from dictamesh.db import dumps
from dictamesh.errors import UNKNOWN_FIELD, ValidationError, unknown_fields

from .models import CacheStrategy, Classification, OwnerRole
from .urns import build_urn, parse_urn

MAX_DESCRIPTION = 20_000
MAX_TAGS = 64
MAX_OWNERS = 50
MAX_PROPERTIES_BYTES = 64 * 1024
MAX_TTL = 7 * 24 * 3600
TAG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,99}$")
PRINCIPAL = re.compile(r"^(user|group):\S{1,190}$")
ROLES = frozenset(OwnerRole.values)  # the choices' .values is rebuilt on every access
CLASSIFICATIONS = frozenset(Classification.values)
STRATEGIES = frozenset(CacheStrategy.values)

IDENTITY = ("urn", "source", "type", "source_key")
EDITABLE = (
    "name", "display_name", "description", "schema_subject", "domain", "tags", "owners", "owners_add",
    "owners_remove", "properties", "classification", "cache", "cache_strategy", "cache_ttl_seconds",
    "last_synced_at",
)  # fmt: skip
FIELDS = frozenset((*IDENTITY, "entity_type", *EDITABLE))


def _text(value: Any, *, limit: int, required: bool) -> tuple[str | None, str | None]:
    if value is None:
        return (None, "required") if required else ("", None)
    if not isinstance(value, str):
        return None, "must be a string"
    value = value.strip()
    if required and not value:
        return None, "required"
    if len(value) > limit:
        return None, f"at most {limit} characters (got {len(value)})"
    return value, None


def _tags(value: Any) -> tuple[list[str] | None, str | None]:
    if value is None:
        return [], None
    if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
        return None, "a list of strings"
    if len(value) > MAX_TAGS:
        return None, f"at most {MAX_TAGS} tags"
    bad = [t for t in value if not TAG.match(t)]
    if bad:
        return None, f"invalid tag {bad[0]!r}: letters, digits and _ . : / - (at most 100)"
    return sorted(set(value)), None


def _owners(value: Any) -> tuple[list[dict] | None, str | None]:
    if value is None:
        return [], None
    if not isinstance(value, list) or len(value) > MAX_OWNERS:
        return None, f"a list of at most {MAX_OWNERS} owners"
    owners = set()
    for raw in value:
        item = {"principal": raw} if isinstance(raw, str) else raw
        if not isinstance(item, dict):
            return None, "each owner is {principal, role}"
        principal = item.get("principal")
        role = item.get("role") or OwnerRole.TECHNICAL
        if not isinstance(principal, str) or not PRINCIPAL.match(principal):
            return None, f"principal {principal!r} must be user:<name> or group:<name>"
        if not isinstance(role, str) or role not in ROLES:
            return None, f"role {role!r} must be one of {', '.join(OwnerRole.values)}"
        owners.add((principal, role))
    return [{"principal": p, "role": r} for p, r in sorted(owners)], None


def _properties(value: Any) -> tuple[dict | None, str | None]:
    if value is None:
        return {}, None
    if not isinstance(value, dict):
        return None, "a JSON object"
    try:
        size = len(dumps(value).encode())
    except TypeError:
        return None, "a JSON object (its values must be JSON too)"
    if size > MAX_PROPERTIES_BYTES:
        return None, f"at most {MAX_PROPERTIES_BYTES} bytes of JSON (got {size})"
    return value, None


def _clean_one(key: str, value: Any) -> tuple[Any, str | None]:  # noqa: PLR0911
    if key == "name":
        return _text(value, limit=255, required=True)
    if key == "display_name":
        return _text(value, limit=255, required=False)
    if key == "description":
        return _text(value, limit=MAX_DESCRIPTION, required=False)
    if key == "schema_subject":
        return _text(value, limit=255, required=False)
    if key == "domain":
        return _text(value, limit=100, required=True)
    if key == "tags":
        return _tags(value)
    if key in ("owners", "owners_add", "owners_remove"):
        return _owners(value)
    if key == "properties":
        return _properties(value)
    if key == "classification":
        if not isinstance(value, str) or value not in CLASSIFICATIONS:
            return None, f"one of {', '.join(Classification.values)}"
        return value, None
    if key == "cache_strategy":
        if not isinstance(value, str) or value not in STRATEGIES:
            return None, f"one of {', '.join(CacheStrategy.values)}"
        return value, None
    if key == "cache_ttl_seconds":
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_TTL:
            return None, f"an integer from 0 to {MAX_TTL}"
        return value, None
    if key == "last_synced_at":
        if value is None or isinstance(value, datetime):
            return value, None
        parsed = parse_datetime(value) if isinstance(value, str) else None
        return (parsed, None) if parsed else (None, "an ISO 8601 date-time")
    return None, UNKNOWN_FIELD


def clean_changes(raw: dict, *, required: tuple[str, ...] = ()) -> dict:
    """Clean the editable fields present in ``raw``; raise one ValidationError naming every bad field."""
    if not isinstance(raw, dict):
        raise ValidationError("An entity is a JSON object.", fields={"body": "object"})
    cleaned, problems = {}, {}
    for key in required:
        if raw.get(key) in (None, ""):
            problems[key] = "required"
    for key, value in raw.items():
        if key in IDENTITY or key in problems:
            continue
        if key == "cache":  # {"ttl_seconds", "strategy"} as the API shows it
            if not isinstance(value, dict):
                problems["cache"] = "{ttl_seconds, strategy}"
                continue
            nested = {"cache_ttl_seconds": value.get("ttl_seconds"), "cache_strategy": value.get("strategy")}
            for nested_key, nested_value in nested.items():
                if nested_value is None:
                    continue
                clean, problem = _clean_one(nested_key, nested_value)
                if problem:
                    problems[f"cache.{nested_key.removeprefix('cache_')}"] = problem
                else:
                    cleaned[nested_key] = clean
            continue
        if key == "entity_type":
            continue
        clean, problem = _clean_one(key, value)
        if problem:
            problems[key] = problem
        else:
            cleaned[key] = clean
    if problems:
        raise ValidationError("The entity has invalid fields.", fields=problems)
    return cleaned


def identify(raw: dict) -> tuple[str, str, str, str]:
    """(urn, source, type, source_key) of an input: from ``urn`` or from ``source``/``type``/``source_key``."""
    if not isinstance(raw, dict):
        raise ValidationError("An entity is a JSON object.", fields={"body": "object"})
    unknown = unknown_fields(raw, FIELDS)
    if unknown:  # before the identity: a misspelt `source` is reported as what it is
        raise ValidationError(
            f"The entity has unknown field(s): {', '.join(list(unknown)[:5])}.", fields=unknown
        )
    entity_type = raw.get("type") or raw.get("entity_type")
    if raw.get("urn") is not None and not isinstance(raw["urn"], str):
        raise ValidationError("urn must be a string.", fields={"urn": "must be a string"})
    if entity_type is not None and not isinstance(entity_type, str):
        raise ValidationError("type must be a string.", fields={"type": "must be a string"})
    if raw.get("urn"):
        parsed = parse_urn(raw["urn"])
        for key, value in (
            ("source", parsed.source),
            ("type", parsed.type),
            ("source_key", parsed.source_key),
        ):
            given = entity_type if key == "type" else raw.get(key)
            if given not in (None, "") and given != value:
                raise ValidationError(
                    f"{key} {given!r} disagrees with the URN {raw['urn']!r}.",
                    fields={key: "disagrees with urn"},
                )
        return str(parsed), parsed.source, parsed.type, parsed.source_key
    source, key = raw.get("source"), raw.get("source_key")
    if isinstance(key, int):
        key = str(key)
    if not all(isinstance(v, str) for v in (source, entity_type, key)):
        missing = {
            k: "required"
            for k, v in (("source", source), ("type", entity_type), ("source_key", key))
            if not v
        }
        raise ValidationError(
            "An entity needs a urn, or a source, type and source_key.", fields=missing or {"urn": "required"}
        )
    urn = build_urn(source=source, entity_type=entity_type, source_key=key)
    return urn, source, entity_type, key
