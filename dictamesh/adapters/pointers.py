"""JSON Pointers (RFC 6901): where a record's fields are in a source's answers."""

from __future__ import annotations

from typing import Any

_MISSING = object()


def parse(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise ValueError(f"{pointer!r} is not a JSON pointer (it starts with /, or is empty for the whole)")
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def resolve(document: Any, pointer: str, default: Any = None) -> Any:
    """The value at ``pointer``, or ``default`` where the path does not exist."""
    value = document
    for part in parse(pointer):
        if isinstance(value, dict):
            value = value.get(part, _MISSING)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            value = _MISSING
        if value is _MISSING:
            return default
    return value
