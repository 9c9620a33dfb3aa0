"""The identity of an entity input: its URN, from ``urn`` or from ``source``, ``type`` and ``source_key``
(the input's fields are checked by its contract, ``contracts.EntityIn``)."""

from __future__ import annotations

from dictamesh.contracts import parse
from dictamesh.errors import ValidationError

from .contracts import EntityIn
from .urns import build_urn, parse_urn


def entity_input(raw) -> EntityIn:
    """An item of a write as the entity contract (a ValidationError naming every bad field)."""
    return parse(EntityIn, raw, partial=True)  # what a new entity needs is checked once it is known new


def identify(entity: EntityIn) -> tuple[str, str, str, str]:
    """(urn, source, type, source_key) of an input: from ``urn`` or from ``source``/``type``/``source_key``."""
    entity_type = entity.type or entity.entity_type
    raw = {"source": entity.source, "source_key": entity.source_key}
    if entity.urn:
        parsed = parse_urn(entity.urn)
        for key, value in (
            ("source", parsed.source),
            ("type", parsed.type),
            ("source_key", parsed.source_key),
        ):
            given = entity_type if key == "type" else raw.get(key)
            if given not in (None, "") and given != value:
                raise ValidationError(
                    f"{key} {given!r} disagrees with the URN {entity.urn!r}.",
                    fields={key: "disagrees with urn"},
                )
        return str(parsed), parsed.source, parsed.type, parsed.source_key
    source, key = entity.source, entity.source_key
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
