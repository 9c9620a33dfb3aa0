"""Typed input contracts: one pydantic model per operation's input, checked once at the edge and handed to
services as a typed object (ADR 0028).

A contract is strict: an unknown field is refused by name, a string is not a number, ``"true"`` is not a
boolean, ``null`` is refused wherever it is not declared. :func:`parse` turns a client's JSON into the model
or raises :class:`dictamesh.errors.ValidationError` with every problem at once, one message per field, in
the error shape of every other refusal (docs/api.md). REST, GraphQL and the admin call the same
:func:`parse`, so the same input is refused with the same fields whichever door it came through.

Unknown fields are reported with every other problem, or first and alone where the rest of a body cannot
be judged without them (``unknown_first``: a policy whose field names are misspelt).

A field's ``hint`` (:func:`hinted`) replaces pydantic's own message with a sentence a caller can act on,
and names the field itself rather than an item inside it (``users``, not ``users.0``); a validator's
``ValueError`` message is used as written.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticError

from .errors import UNKNOWN_FIELD, ValidationError

C = TypeVar("C", bound="Contract")

HINT = "x-hint"  # an OpenAPI extension: what a valid value is, as a refusal says it
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,99}$"
SLUG = re.compile(SLUG_PATTERN)
SLUG_HINT = "a slug: lower-case letters, digits, - and _, at most 100"
Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]


def text(max_length: int) -> Any:
    """A string with something in it, trimmed, at most ``max_length`` characters."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)]


class Contract(BaseModel):
    """An operation's input. ``what`` names it in the message of a refusal ("The consent record …");
    ``required`` lists the fields a create needs (a change, ``partial``, may send any of them)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    what: ClassVar[str] = "input"
    required: ClassVar[tuple[str, ...]] = ()
    unknown_first: ClassVar[bool] = False

    def invalid_fields(self) -> dict[str, str]:
        """Rules across fields ({field: message}), checked once each field is valid on its own."""
        return {}

    def sent(self) -> dict[str, Any]:
        """The fields the caller sent (a PATCH changes only these), as plain values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


def hinted(hint: str, default: Any = None, **kwargs) -> Any:
    """A field whose every problem is reported as ``hint`` (what a valid value is). The OpenAPI document
    shows it as the field's description (unless it has one) and as the extension ``x-hint``."""
    extra = kwargs.pop("json_schema_extra", {}) or {}
    kwargs.setdefault("description", hint)
    return Field(default, json_schema_extra={**extra, HINT: hint}, **kwargs)


def problems(
    errors: list[dict], model: type[BaseModel] | None = None, *, unknown_first: bool = False
) -> dict[str, str]:
    """{field path: message} from pydantic's errors (unknown fields alone when ``unknown_first``)."""
    unknown: dict[str, str] = {}
    found: dict[str, str] = {}
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        kind = error.get("type", "")
        field, hint = _locate(model, error.get("loc", ()))
        name = field if hint is not None and kind != "extra_forbidden" else ".".join(loc) or "body"
        if kind == "extra_forbidden":
            unknown[name] = UNKNOWN_FIELD
            continue
        if name in found:
            continue  # the first problem of a field is enough (a union reports one per member)
        if kind == "missing":
            found[name] = "required"
        elif kind == "value_error":
            found[name] = str(error.get("ctx", {}).get("error", error.get("msg", "invalid")))
        elif hint is not None:
            found[name] = hint
        elif kind in ("model_type", "dict_type") and not loc:
            found[name] = "object"
        else:
            found[name] = error.get("msg", "invalid")
    if unknown_first and unknown:
        return dict(sorted(unknown.items()))
    return {**found, **dict(sorted(unknown.items()))}


def _locate(model: type[BaseModel] | None, loc) -> tuple[str, str | None]:
    """The field a problem is reported on, and its hint: the path through nested models' fields, stopping
    at a list's item or a dict's key (``owners``, not ``owners.0.principal``; ``cache.ttl_seconds``)."""
    parts: list[str] = []
    hint = None
    current = model
    for part in loc:
        info = _field(current, part) if current is not None and isinstance(part, str) else None
        if info is None:
            break
        parts.append(part)
        extra = info.json_schema_extra
        hint = extra.get(HINT) if isinstance(extra, dict) else None
        current = _model_in(info.annotation)
    return ".".join(parts), hint


def _field(model: type[BaseModel], name: str):
    """A model's field by its name or by one of the names it is read under (``schema`` for ``schema_``)."""
    if name in model.model_fields:
        return model.model_fields[name]
    for info in model.model_fields.values():
        alias = info.validation_alias
        names = getattr(alias, "choices", None) or [alias]
        if name in names or info.alias == name:
            return info
    return None


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model a field holds directly (``Cache`` or ``Cache | None``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def parse(model: type[C], data: Any, *, partial: bool = False) -> C:
    """``data`` (a client's decoded JSON) as ``model``, or a ValidationError naming every bad field."""
    if isinstance(data, model):
        return data
    if not isinstance(data, dict):
        raise ValidationError(f"The {model.what} must be a JSON object.", fields={"body": "object"})
    try:
        found = model.model_validate(data)
    except PydanticError as exc:
        fields = problems(exc.errors(include_url=False), model, unknown_first=model.unknown_first)
        if not partial and not (model.unknown_first and UNKNOWN_FIELD in fields.values()):
            fields = {**{k: "required" for k in model.required if k not in data}, **fields}
        raise ValidationError(_message(model, fields), fields=fields) from None
    missing = [] if partial else [k for k in model.required if k not in found.model_fields_set]
    if fields := {**{k: "required" for k in missing}, **found.invalid_fields()}:
        raise ValidationError(_message(model, fields), fields=fields)
    return found


def _message(model: type[Contract], fields: dict[str, str]) -> str:
    if all(v == UNKNOWN_FIELD for v in fields.values()):
        return f"The {model.what} has unknown fields: {', '.join(fields)}."
    return f"The {model.what} is invalid ({', '.join(fields)})."
