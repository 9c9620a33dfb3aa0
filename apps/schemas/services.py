"""Writes of the registry: register, delete (soft and permanent), compatibility and mode settings.

Writes to a subject take its transaction-scoped advisory lock (versions are numbered under it; subjects
register in parallel); global ids come from a counter row, and a schema stored by two subjects at once keeps
one id (its fingerprint is unique). A schema the subject already has is answered from the cache, with no
transaction. Every registration and every rejected (incompatible) schema is an event on
``dictamesh.schemas.subject.v1`` (outbox).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from dictamesh.db import execute_prepared
from dictamesh.events import publish_many
from dictamesh.events.context import current_actor
from dictamesh.events.outbox import Change

from . import errors, events, selectors
from .formats import Incompatibility, InvalidSchema, Parsed, get_format
from .models import (
    Compatibility,
    Mode,
    Reference,
    Schema,
    Subject,
)

LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('dictamesh_schemas_registry'))"
MAX_SUBJECT = 255


@dataclass(frozen=True)
class SchemaInput:
    """A schema as a client sends it (the body of register, lookup and compatibility calls)."""

    text: str
    schema_type: str = "AVRO"
    references: tuple = ()
    metadata: Any = None
    rule_set: Any = None
    schema_id: int | None = None  # IMPORT mode only
    version: int | None = None  # IMPORT mode only

    @classmethod
    def from_body(cls, body: Any) -> SchemaInput:
        if not isinstance(body, dict):
            raise errors.InvalidSchemaError("The request body must be a JSON object with a 'schema'.")
        text = body.get("schema")
        if not isinstance(text, str) or not text.strip():
            raise errors.InvalidSchemaError("Empty schema: 'schema' must be a non-empty string.")
        schema_type = body.get("schemaType") or "AVRO"
        if not isinstance(schema_type, str):
            raise errors.InvalidSchemaError("'schemaType' must be a string.")
        references = body.get("references") or []
        if not isinstance(references, list) or not all(isinstance(r, dict) for r in references):
            raise errors.InvalidSchemaError("'references' must be a list of {name, subject, version}.")
        schema_id, version = body.get("id"), body.get("version")
        for key, value in (("id", schema_id), ("version", version)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
                raise errors.InvalidSchemaError(f"'{key}' must be a positive integer.")
        return cls(
            text=text,
            schema_type=schema_type.upper(),
            references=tuple(
                {"name": r.get("name"), "subject": r.get("subject"), "version": r.get("version")}
                for r in references
            ),
            metadata=body.get("metadata"),
            rule_set=body.get("ruleSet"),
            schema_id=schema_id,
            version=version,
        )


@dataclass(frozen=True)
class Candidate:
    """A schema input, parsed, with its stored text and its fingerprint (the key of its global id)."""

    input: SchemaInput
    parsed: Parsed
    text: str
    references: list[dict]
    fingerprint: str


def prepare(data: SchemaInput, *, normalize: bool = False) -> Candidate:
    """Parse and fingerprint ``data``: 42209 over the size limit, 42201 when it does not parse."""
    limit = settings.DICTAMESH_SCHEMAS_MAX_BYTES
    size = len(data.text.encode())
    if size > limit:
        raise errors.SchemaTooLarge(f"Schema too large: {size} bytes, the limit is {limit}.")
    try:
        if data.references:
            references = selectors.resolve_references(list(data.references))
            parsed = get_format(data.schema_type).parse(data.text, references)
        else:
            parsed = selectors.parse_text(data.schema_type, data.text)
    except InvalidSchema as exc:
        raise errors.InvalidSchemaError(str(exc)) from None
    resolved = parsed.references
    references = [{"name": r.name, "subject": r.subject, "version": r.version} for r in resolved]
    text = parsed.normalized if normalize else parsed.text
    key = json.dumps(
        [data.schema_type, text, references, data.metadata, data.rule_set],
        sort_keys=True,
        separators=(",", ":"),
    )
    return Candidate(data, parsed, text, references, hashlib.sha256(key.encode()).hexdigest())


def subject_changed(subject: str) -> None:
    selectors.SUBJECT_CACHE.drop([subject])


def schema_subjects_changed(schema_ids: list[int]) -> None:
    selectors.SCHEMA_SUBJECTS_CACHE.drop([str(pk) for pk in schema_ids])


def settings_changed(subject: str) -> None:
    selectors.CONFIG_CACHE.drop([selectors.settings_key(subject)])


def registry_lock(subject: str | None = None) -> None:
    """The registry's lock (mode switches), or one subject's (its versions are numbered under it)."""
    with connection.cursor() as cursor:
        if subject is None:
            cursor.execute(LOCK_SQL)
        else:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext('dictamesh_schemas_subject:' || %s))", [subject]
            )


def _check_subject_name(name: str) -> None:
    if not name or len(name) > MAX_SUBJECT or any(ord(c) < 32 for c in name):
        raise errors.InvalidSchemaError(f"Invalid subject name: 1 to {MAX_SUBJECT} printable characters.")


# -- compatibility ----------------------------------------------------------------------------------------
def incompatibilities(candidate: Candidate, previous: list, level: str) -> list[str]:
    # previous: versions with .version and .schema (SubjectVersion rows or cached VersionRefs), oldest first
    """Confluent-style messages of what makes ``candidate`` incompatible with ``previous`` under ``level``."""
    if level == Compatibility.NONE or not previous:
        return []
    transitive = level.endswith("_TRANSITIVE")
    backward = level.startswith(("BACKWARD", "FULL"))
    forward = level.startswith(("FORWARD", "FULL"))
    messages: list[str] = []
    for old in reversed(previous if transitive else previous[-1:]):
        found: list[Incompatibility] = []
        if old.schema.schema_type != candidate.input.schema_type:
            messages.append(
                f"Incompatible because of different schema type: {candidate.input.schema_type} vs "
                f"{old.schema.schema_type} (version {old.version})"
            )
            continue
        old_parsed = selectors.parsed(old.schema)
        fmt = get_format(candidate.input.schema_type)
        if backward:
            found += fmt.incompatibilities(reader=candidate.parsed, writer=old_parsed, new_is_reader=True)
        if forward:
            found += fmt.incompatibilities(reader=old_parsed, writer=candidate.parsed, new_is_reader=False)
        if found:
            messages += [issue.message() for issue in found]
            messages += [
                f"{{oldSchemaVersion: {old.version}}}",
                f"{{oldSchema: '{old.schema.text}'}}",
                f"{{compatibility: '{level}'}}",
            ]
    return messages


def compatibility_check(
    *, subject: str, version: str | int | None, data: SchemaInput, normalize: bool = False
) -> list[str]:
    """Messages of what is incompatible (empty: compatible) against ``version`` (None: all versions the
    subject's level names). A subject without versions is compatible with anything."""
    candidate = prepare(data, normalize=normalize)
    level = selectors.effective_compatibility(subject)
    live = [ref for ref in selectors.subject_versions(subject) if not ref.deleted]
    if version is None:
        return incompatibilities(candidate, live, level)
    number = selectors.parse_version(version)
    if number is None:
        return incompatibilities(candidate, live[-1:], level.removesuffix("_TRANSITIVE"))
    if not live:
        raise errors.SubjectNotFound(f"Subject '{subject}' not found.")
    old = next((ref for ref in live if ref.version == number), None)
    if old is None:
        raise errors.VersionNotFound(f"Version {number} not found.")
    return incompatibilities(candidate, [old], level.removesuffix("_TRANSITIVE"))


# -- register -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Registered:
    schema: Schema
    subject: str
    version: int
    created: bool  # False when the subject already had this schema as a live version


def register(
    *, subject: str, data: SchemaInput, normalize: bool = False, actor: str | None = None
) -> Registered:
    """Register ``data`` under ``subject``: an existing live version of the same schema is returned as is;
    else a new version, checked against the subject's compatibility level (409 with messages)."""
    _check_subject_name(subject)
    candidate = prepare(data, normalize=normalize)
    actor = actor or current_actor() or ""
    if data.schema_id is None and data.version is None:  # producers re-register on start: answer from cache
        for ref in reversed(selectors.SUBJECT_CACHE.cached(subject) or []):
            if not ref.deleted and ref.fingerprint == candidate.fingerprint:
                return Registered(ref.schema, subject, ref.version, created=False)
    with transaction.atomic():
        row = _locked_subject_row(subject)
        mode = selectors.effective_mode(subject)
        if mode == Mode.READONLY:
            raise errors.OperationNotPermitted(f"Subject {subject} is in read-only mode")
        importing = mode == Mode.IMPORT
        if (data.schema_id is not None or data.version is not None) and not importing:
            raise errors.OperationNotPermitted(
                "Overwrite new schema with a given id or version is not permitted outside IMPORT mode."
            )
        live, stored_id = _live_versions_and_stored(row, subject, candidate.fingerprint)
        for existing in live:
            if existing.fingerprint == candidate.fingerprint and data.version in (None, existing.version):
                return Registered(existing.schema, subject, existing.version, created=False)
        level = selectors.effective_compatibility(subject)
        messages = [] if importing else incompatibilities(candidate, live, level)
        if not messages:
            return _store(row, candidate, stored_id, importing=importing, actor=actor)
    with transaction.atomic():  # the rejection is an event too, in its own transaction
        publish_many([_rejected_event(subject, candidate, level, messages, actor)])
    raise errors.IncompatibleSchema(
        f'Schema being registered is incompatible with an earlier schema for subject "{subject}", '
        f"details: [{', '.join(messages)}]"
    )


# The statements of a registration, prepared once per connection (planning them cost more than running them).
_SUBJECT_SQL = (  # the subject's lock first (the CTE the insert reads), then its row, created if new
    "WITH l AS MATERIALIZED"
    " (SELECT pg_advisory_xact_lock(hashtext('dictamesh_schemas_subject:' || %(name)s::text)))"
    " INSERT INTO dictamesh_schemas_subject (name, last_version, created_at) SELECT %(name)s::text, 0, now() FROM l"
    " ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id, last_version, created_at"
)
_LIVE_SQL = (  # the subject's live versions, and the id this schema already has under any subject
    "SELECT v.version, v.schema_id, s.fingerprint FROM dictamesh_schemas_version v"
    " JOIN dictamesh_schemas_schema s ON s.id = v.schema_id"
    " WHERE v.subject_id = %(subject)s::bigint AND v.deleted_at IS NULL"
    " UNION ALL SELECT NULL, id, fingerprint FROM dictamesh_schemas_schema"
    " WHERE fingerprint = %(fingerprint)s::text"
    " ORDER BY 1 NULLS LAST"
)
_VERSION_SQL = (  # a version of a stored schema, and the subject's counter
    "WITH s AS (UPDATE dictamesh_schemas_subject SET last_version = GREATEST(last_version, %(version)s::int)"
    " WHERE id = %(subject)s::bigint) INSERT INTO dictamesh_schemas_version"
    " (subject_id, version, schema_id, created_at, actor)"
    " VALUES (%(subject)s::bigint, %(version)s::int, %(schema)s::bigint, now(), %(actor)s::text)"
)
_SCHEMA_AND_VERSION_SQL = (  # a new schema (none when another transaction has just stored it) and its version
    'WITH n AS (INSERT INTO dictamesh_schemas_schema (id, guid, schema_type, text, "references", metadata,'
    " rule_set, fingerprint, created_at) VALUES"
    " (coalesce(%(given_id)s::bigint, nextval('dictamesh_schemas_schema_id_seq')), %(guid)s::uuid,"
    " %(schema_type)s::text, %(text)s::text, %(references)s::jsonb, %(metadata)s::jsonb, %(rule_set)s::jsonb,"
    " %(fingerprint)s::text, %(created_at)s::timestamptz) ON CONFLICT (fingerprint) DO NOTHING RETURNING id),"
    " s AS (UPDATE dictamesh_schemas_subject SET last_version = GREATEST(last_version, %(version)s::int)"
    " WHERE id = %(subject)s::bigint AND EXISTS (SELECT FROM n)),"
    " v AS (INSERT INTO dictamesh_schemas_version (subject_id, version, schema_id, created_at, actor)"
    " SELECT %(subject)s::bigint, %(version)s::int, n.id, now(), %(actor)s::text FROM n)"
    " SELECT id FROM n"
)


def _locked_subject_row(name: str) -> Subject:
    """Take the subject's lock and return its row, created if new: one statement."""
    ((pk, last_version, created_at),) = execute_prepared(_SUBJECT_SQL, {"name": name})
    return Subject(pk=pk, name=name, last_version=last_version, created_at=created_at)


def _insert_schema_and_version(
    candidate: Candidate, given_id: int | None, subject: Subject, version: int, actor: str
) -> Schema | None:
    """Insert a new schema with a new global id (or IMPORT's) and ``subject``'s ``version`` of it, in one
    statement; None (and no version) when another transaction has just stored the same schema."""
    if given_id is not None:
        _move_ids_past(given_id)
    data = candidate.input
    guid, created_at = uuid.uuid4(), timezone.now()
    inserted = execute_prepared(
        _SCHEMA_AND_VERSION_SQL,
        {
            "subject": subject.pk,
            "version": version,
            "actor": actor,
            "given_id": given_id,
            "guid": guid,
            "schema_type": data.schema_type,
            "text": candidate.text,
            "references": json.dumps(candidate.references),
            "metadata": None if data.metadata is None else json.dumps(data.metadata),
            "rule_set": None if data.rule_set is None else json.dumps(data.rule_set),
            "fingerprint": candidate.fingerprint,
            "created_at": created_at,
        },
    )
    if not inserted:
        return None
    schema_id = inserted[0][0]
    schema = Schema(
        id=schema_id,
        guid=guid,
        schema_type=data.schema_type,
        text=candidate.text,
        references=candidate.references,
        metadata=data.metadata,
        rule_set=data.rule_set,
        fingerprint=candidate.fingerprint,
        created_at=created_at,
    )
    schema._state.adding = False
    # the next registration checks against it: cached once committed (the id of a rolled-back schema is
    # given out again, so never before)
    selectors.SCHEMA_CACHE.put_after_commit(str(schema_id), schema, ttl=3600)
    return schema


def _insert_version(subject: Subject, version: int, schema_id: int, actor: str) -> None:
    execute_prepared(
        _VERSION_SQL, {"subject": subject.pk, "version": version, "schema": schema_id, "actor": actor}
    )


def _live_versions_and_stored(
    row: Subject, subject: str, fingerprint: str
) -> tuple[list[selectors.VersionRef], int | None]:
    """The subject's live versions, oldest first, and the id this schema already has (any subject): one
    query."""
    found = execute_prepared(_LIVE_SQL, {"subject": row.pk, "fingerprint": fingerprint})
    live = [selectors.VersionRef(subject, v, sid, fp, False) for v, sid, fp in found if v is not None]
    stored = next((sid for v, sid, _ in found if v is None), None)
    return live, stored


def _store(
    subject: Subject, candidate: Candidate, stored_id: int | None, *, importing: bool, actor: str
) -> Registered:
    data = candidate.input
    schema = selectors.schema_get(stored_id) if stored_id is not None else None
    if importing and data.schema_id is not None:
        if schema is not None and schema.pk != data.schema_id:
            raise errors.OperationNotPermitted(
                f"This schema is already registered with id {schema.pk}, not {data.schema_id}."
            )
        if schema is None and Schema.objects.filter(pk=data.schema_id).exists():
            raise errors.OperationNotPermitted(
                f"Schema id {data.schema_id} is already used by another schema."
            )
    elif importing and schema is None:
        raise errors.OperationNotPermitted("A new schema in IMPORT mode needs its id.")
    if data.version is not None:
        if subject.versions.filter(version=data.version).exists():
            raise errors.OperationNotPermitted(f"Version {data.version} of {subject.name} already exists.")
        version = data.version
    else:
        version = subject.last_version + 1
    created_schema = False
    if schema is None:
        schema = _insert_schema_and_version(candidate, data.schema_id, subject, version, actor)
        if schema is None:  # registered under another subject meanwhile: the same global id
            schema = Schema.objects.get(fingerprint=candidate.fingerprint)
            _insert_version(subject, version, schema.pk, actor)
        else:
            created_schema = True
            Reference.objects.bulk_create(
                Reference(schema=schema, name=r["name"], subject=r["subject"], version=r["version"])
                for r in candidate.references
            )
    else:
        _insert_version(subject, version, schema.pk, actor)
    subject_changed(subject.name)
    schema_subjects_changed([schema.pk])
    publish_many(
        [
            Change(
                type=events.VERSION_REGISTERED,
                subject=subject.name,
                data={
                    "subject": subject.name,
                    "version": version,
                    "id": schema.pk,
                    "schema_type": schema.schema_type,
                    "references": schema.references,
                    "new_schema": created_schema,
                    "fingerprint": schema.fingerprint,
                },
                actor=actor or None,
            )
        ]
    )
    return Registered(schema, subject.name, version, created=True)


def _move_ids_past(given: int) -> None:
    """IMPORT keeps the ids it is given: new ids (a sequence, never reused) continue after them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval('dictamesh_schemas_schema_id_seq',"
            " GREATEST(%s, (SELECT last_value FROM dictamesh_schemas_schema_id_seq)))",
            [given],
        )


def _rejected_event(
    subject: str, candidate: Candidate, level: str, messages: list[str], actor: str
) -> Change:
    return Change(
        type=events.COMPATIBILITY_REJECTED,
        subject=subject,
        data={
            "subject": subject,
            "schema_type": candidate.input.schema_type,
            "compatibility": level,
            "messages": messages,
            "fingerprint": candidate.fingerprint,
        },
        actor=actor or None,
    )


def lookup(
    *, subject: str, data: SchemaInput, normalize: bool = False, deleted: bool = False
) -> selectors.VersionRef:
    """The version of ``subject`` holding this schema: 40401 without the subject, 40403 without the schema."""
    candidate = prepare(data, normalize=normalize)
    versions = [ref for ref in selectors.subject_versions(subject) if deleted or not ref.deleted]
    if not versions:
        raise errors.SubjectNotFound(f"Subject '{subject}' not found.")
    found = [ref for ref in versions if ref.fingerprint == candidate.fingerprint]
    if not found:
        raise errors.SchemaNotFound("Schema not found")
    return found[-1]
