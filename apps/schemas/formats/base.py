"""What every schema format provides: parsing to a canonical text, and a reader/writer compatibility check."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol


class InvalidSchema(Exception):
    """The schema text does not parse, or names a reference that does not resolve (Confluent 42201)."""


def load_json(text: str) -> Any:
    """The JSON of a JSON-based schema format (Avro, JSON Schema); InvalidSchema when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidSchema(f"Invalid schema: not JSON ({exc}).") from None


def compact_json(value: Any, *, sort_keys: bool = False) -> str:
    """A schema's stored text (no insignificant whitespace), or with ``sort_keys`` its normalized text."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)


@dataclass(frozen=True)
class ResolvedReference:
    """A reference of a schema (``name`` as the format knows it), with the referenced schema parsed."""

    name: str
    subject: str
    version: int
    parsed: Parsed


@dataclass(frozen=True)
class Parsed:
    schema_type: str
    text: str  # what is stored and served: the schema as given, without insignificant whitespace
    normalized: str  # a canonical text for ``normalize=true``: equal for equivalent schemas
    tree: Any = field(compare=False, repr=False)  # the format's own representation
    references: tuple[ResolvedReference, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Incompatibility:
    """Why a reader cannot read a writer's data: Confluent's ``{errorType, description, additionalInfo}``."""

    error_type: str
    path: str
    description: str
    info: str = ""

    def message(self) -> str:
        return (
            f"{{errorType:'{self.error_type}', description:'{self.description}', "
            f"additionalInfo:'{self.info}'}}"
        )


class Format(Protocol):
    schema_type: str

    def parse(self, text: str, references: list[ResolvedReference]) -> Parsed:
        """Parse ``text``; raise InvalidSchema with the parser's message."""

    def incompatibilities(
        self, *, reader: Parsed, writer: Parsed, new_is_reader: bool
    ) -> list[Incompatibility]:
        """What keeps ``reader`` from reading data written with ``writer`` (empty: compatible).
        ``new_is_reader`` words the messages ("the new schema" / "the old schema")."""
