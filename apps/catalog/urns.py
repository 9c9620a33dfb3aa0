"""Entity URNs: ``dm:<source>:<type>:<source_key>``.

``source`` is the source system's name and ``type`` the entity type, both lower-case slugs
(``[a-z0-9][a-z0-9_.-]*``); ``source_key`` is the entity's key in its source system, kept verbatim (it may
contain ``:`` and ``/``, never whitespace-only or control characters). A URN never changes: renaming keeps
it, a new source key is a new entity. At most 512 characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dictamesh.errors import ValidationError

SLUG = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_LENGTH = 512


@dataclass(frozen=True)
class Urn:
    source: str
    type: str
    source_key: str

    def __str__(self) -> str:
        return f"dm:{self.source}:{self.type}:{self.source_key}"


def build_urn(*, source: str, entity_type: str, source_key: str) -> str:
    problems = {}
    if not SLUG.match(source or ""):
        problems["source"] = "a lower-case slug: letters, digits, _ . -"
    if not SLUG.match(entity_type or ""):
        problems["type"] = "a lower-case slug: letters, digits, _ . -"
    if not source_key or not source_key.strip() or CONTROL.search(source_key):
        problems["source_key"] = "required, without control characters"
    if problems:
        raise ValidationError("The entity cannot be identified.", fields=problems)
    urn = str(Urn(source, entity_type, source_key))
    if len(urn) > MAX_LENGTH:
        raise ValidationError(
            f"The URN would be {len(urn)} characters; at most {MAX_LENGTH}.",
            fields={"source_key": "too long"},
        )
    return urn


def parse_urn(urn: str) -> Urn:
    parts = (urn or "").split(":", 3)
    if len(parts) != 4 or parts[0] != "dm":
        raise ValidationError(
            f"{urn!r} is not an entity URN (dm:<source>:<type>:<source_key>).", fields={"urn": "format"}
        )
    parsed = Urn(parts[1], parts[2], parts[3])
    build_urn(source=parsed.source, entity_type=parsed.type, source_key=parsed.source_key)
    return parsed
