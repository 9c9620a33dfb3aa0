"""What other apps may use of the schema registry (import only this module)."""

from __future__ import annotations

from . import selectors


def subject_summary(*, subject: str) -> dict | None:
    """A subject's live versions (``[{version, id, schema_type, created_at}]``, oldest first), or None."""
    versions = [ref for ref in selectors.subject_versions(subject) if not ref.deleted]
    if not versions:
        return None
    return {
        "subject": subject,
        "versions": [
            {
                "version": v.version,
                "id": v.schema_id,
                "schema_type": v.schema.schema_type,
                "created_at": v.created_at.isoformat(),
            }
            for v in versions
        ],
        "latest_schema": versions[-1].schema.text,
    }


def fields_of(*, schema_type: str, schema: str) -> dict[str, str]:
    """The fields a schema declares, ``parent.child`` for nested ones, each with its type as text.

    Avro records, JSON Schema object properties, Protobuf messages (the first message of the file, nested
    message fields included); GraphQL SDL: ``Type.field`` for every object type. Lineage compares two of these
    to find the fields a new version removes or changes.
    """
    from .fields import fields_of as extract

    return extract(schema_type, schema)


def columns_of(*, schema_type: str, schema: str) -> dict[str, dict]:
    """The fields a schema declares (as ``fields_of``), each as ``{type, description}``; a schema that cannot be
    read declares none here (the registry refused it when it was registered)."""
    from dictamesh.errors import ValidationError

    from .fields import descriptions_of
    from .fields import fields_of as extract

    try:
        types = extract(schema_type, schema)
    except ValidationError:
        return {}
    docs = descriptions_of(schema_type, schema)
    return {name: {"type": kind, "description": docs.get(name, "")} for name, kind in types.items()}


def latest_schema(*, subject: str) -> tuple[str, str] | None:
    """(schema type, text) of a subject's latest live version, or None."""
    versions = [ref for ref in selectors.subject_versions(subject) if not ref.deleted]
    if not versions:
        return None
    return versions[-1].schema.schema_type, versions[-1].schema.text


def version_schema(*, subject: str, version: int) -> tuple[str, str] | None:
    """(schema type, text) of one version of a subject (deleted ones included), or None."""
    for ref in selectors.subject_versions(subject):
        if ref.version == version:
            return ref.schema.schema_type, ref.schema.text
    return None


def register_schema(*, subject: str, schema_type: str, schema: str, actor: str | None = None) -> bool:
    """Register a schema under ``subject`` (Confluent semantics: compatibility checked; the same schema again
    is its existing version). True when a new version was made; raises the registry's errors (409: not
    compatible, 422: invalid)."""
    from .services import SchemaInput, register

    data = SchemaInput.from_body({"schema": schema, "schemaType": schema_type})
    return register(subject=subject, data=data, actor=actor).created
