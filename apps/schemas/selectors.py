"""Reads of the registry: subjects, versions, schemas by id, references, effective settings."""

from __future__ import annotations

import difflib
import json
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

from cachetools import LRUCache
from django.db.models import Exists, OuterRef

from dictamesh.cache import TwoLevelCache

from . import errors
from .formats import InvalidSchema, Parsed, ResolvedReference, get_format
from .models import Compatibility, Config, Mode, Reference, Schema, Subject, SubjectVersion

DEFAULT_COMPATIBILITY = Compatibility.BACKWARD
DEFAULT_MODE = Mode.READWRITE
# parsed schemas, per process: (type, text) for schemas without references (a pure function of the text),
# (schema id, fingerprint) for stored ones with references (stored schemas never change)
_PARSED: LRUCache = LRUCache(maxsize=4096)
_PARSED_LOCK = threading.Lock()


# -- subjects and versions ------------------------------------------------------------------------------
def _live(queryset, deleted: bool):
    return queryset if deleted else queryset.filter(deleted_at__isnull=True)


def subjects_list(*, prefix: str = "", deleted: bool = False) -> list[str]:
    versions = _live(SubjectVersion.objects.filter(subject=OuterRef("pk")), deleted)
    qs = Subject.objects.filter(Exists(versions))
    if prefix:
        qs = qs.filter(name__startswith=prefix)
    return list(qs.order_by("name").values_list("name", flat=True))


def subject_get(name: str) -> Subject:
    subject = Subject.objects.filter(name=name).first()
    if subject is None or not subject.versions.exists():
        raise errors.SubjectNotFound(f"Subject '{name}' not found.")
    return subject


def versions_of(name: str, *, deleted: bool = False, deleted_only: bool = False) -> list[int]:
    subject = subject_get(name)
    qs = subject.versions.all()
    if deleted_only:
        qs = qs.filter(deleted_at__isnull=False)
    elif not deleted:
        qs = qs.filter(deleted_at__isnull=True)
        if not qs.exists():
            raise errors.SubjectNotFound(f"Subject '{name}' not found.")
    return list(qs.order_by("version").values_list("version", flat=True))


def parse_version(spec: str | int) -> int | None:
    """A version in a path: a number from 1, or ``latest`` / ``-1`` (None). 42202 otherwise."""
    text = str(spec).strip()
    if text in ("latest", "-1"):
        return None
    if text.isdigit() and 0 < int(text) <= 2**31 - 1:
        return int(text)
    raise errors.InvalidVersion(
        f"The specified version '{spec}' is not a valid version id. Allowed values are between "
        '[1, 2^31-1] and the string "latest"'
    )


def version_get(name: str, spec: str | int, *, deleted: bool = False) -> SubjectVersion:
    number = parse_version(spec)
    subject = subject_get(name)
    qs = subject.versions.select_related("schema", "subject")
    if number is None:
        found = _live(qs, deleted).order_by("-version").first()
        if found is None:
            raise errors.SubjectNotFound(f"Subject '{name}' not found.")
        return found
    found = qs.filter(version=number).first()
    if found is None or (found.deleted_at is not None and not deleted):
        raise errors.VersionNotFound(f"Version {number} not found.")
    return found


# -- schemas --------------------------------------------------------------------------------------------
SCHEMA_CACHE = TwoLevelCache("schemas.schema", l1_size=lambda: 4096, l1_ttl=lambda: 300)


def schema_get(schema_id: int) -> Schema:
    """A schema by global id — cached: Kafka consumers read schemas by id (a permanent delete drops it)."""
    schema = SCHEMA_CACHE.get(str(schema_id), lambda: Schema.objects.filter(pk=schema_id).first(), ttl=3600)
    if schema is None:
        raise errors.SchemaNotFound(f"Schema {schema_id} not found")
    return schema


def max_schema_id() -> int | None:
    """The highest global id in use (``fetchMaxId``)."""
    return Schema.objects.order_by("-pk").values_list("pk", flat=True).first()


def schema_by_guid(guid: str) -> Schema:
    try:
        uuid.UUID(guid)
    except ValueError:
        raise errors.SchemaNotFound(f"Schema {guid} not found") from None
    schema = Schema.objects.filter(guid=guid).first()
    if schema is None:
        raise errors.SchemaNotFound(f"Schema {guid} not found")
    return schema


def schema_versions(schema_id: int, *, deleted: bool = False) -> list[tuple[str, int]]:
    schema_get(schema_id)
    qs = _live(SubjectVersion.objects.filter(schema_id=schema_id), deleted)
    return list(qs.order_by("subject__name", "version").values_list("subject__name", "version"))


SCHEMA_SUBJECTS_CACHE = TwoLevelCache("schemas.schema_subjects", l1_size=lambda: 4096, l1_ttl=lambda: 300)


def schema_subjects(schema_id: int, *, deleted: bool = False) -> list[str]:
    """The subjects that use a schema (one statement). With ``deleted`` (what governance asks on every read
    by id) cached: a schema id gains a subject only when a version is registered with it and loses one only
    when a version is deleted for good, and both drop the entry in every process
    (``services.schema_subjects_changed``)."""
    from django.db import connection

    schema_get(schema_id)

    def load() -> list[str]:
        live = "" if deleted else " AND v.deleted_at IS NULL"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT s.name FROM dictamesh_schemas_version v"  # noqa: S608 - constants only
                " JOIN dictamesh_schemas_subject s ON s.id = v.subject_id"
                f" WHERE v.schema_id = %s{live}",
                [schema_id],
            )
            return sorted(row[0] for row in cursor.fetchall())

    return SCHEMA_SUBJECTS_CACHE.get(str(schema_id), load, ttl=3600) if deleted else load()


def referenced_by(name: str, spec: str | int) -> list[int]:
    """Ids of the schemas that reference this subject version (that a live version still uses)."""
    version = version_get(name, spec, deleted=True)
    used = SubjectVersion.objects.filter(schema=OuterRef("schema_id"), deleted_at__isnull=True)
    return sorted(
        set(
            Reference.objects.filter(subject=name, version=version.version)
            .filter(Exists(used))
            .values_list("schema_id", flat=True)
        )
    )


def schemas_list(
    *, prefix: str = "", deleted: bool = False, latest_only: bool = False
) -> list[SubjectVersion]:
    qs = _live(SubjectVersion.objects.select_related("schema", "subject"), deleted)
    if prefix:
        qs = qs.filter(subject__name__startswith=prefix)
    rows = list(qs.order_by("subject__name", "version"))
    if latest_only:
        latest: dict[str, SubjectVersion] = {}
        for row in rows:
            latest[row.subject.name] = row
        rows = list(latest.values())
    return rows


def _parse_cached(key: tuple, parse) -> Parsed:
    with _PARSED_LOCK:
        hit = _PARSED.get(key)
    if hit is None:
        hit = parse()
        with _PARSED_LOCK:
            _PARSED[key] = hit
    return hit


def parse_text(schema_type: str, text: str) -> Parsed:
    """A schema without references, parsed (cached: clients send the same schemas again and again)."""
    return _parse_cached((schema_type, text), lambda: get_format(schema_type).parse(text, []))


def parsed(schema: Schema, *, _depth: int = 0) -> Parsed:
    """A stored schema parsed with its references."""
    if not schema.references:
        return parse_text(schema.schema_type, schema.text)
    return _parse_cached(
        (schema.pk, schema.fingerprint),
        lambda: get_format(schema.schema_type).parse(
            schema.text, resolve_references(schema.references, _depth)
        ),
    )


def resolve_references(references: list[dict], _depth: int = 0) -> list[ResolvedReference]:
    """Each ``{name, subject, version}`` with its schema parsed; InvalidSchema when one does not resolve."""
    if _depth > 32:
        raise InvalidSchema("Schema references nest deeper than 32 levels (a cycle?).")
    resolved = []
    for ref in references:
        name, subject, version = ref.get("name"), ref.get("subject"), ref.get("version")
        if not isinstance(name, str) or not isinstance(subject, str) or not name or not subject:
            raise InvalidSchema("Each reference needs a name, a subject and a version.")
        try:
            row = version_get(subject, version if version not in (None, "") else "latest")
        except errors.RegistryError:
            raise InvalidSchema(
                f"Invalid schema reference {name!r}: {subject} version {version} not found."
            ) from None
        resolved.append(ResolvedReference(name, subject, row.version, parsed(row.schema, _depth=_depth + 1)))
    return resolved


# -- settings -------------------------------------------------------------------------------------------
def config_of(subject: str = "", *, default_to_global: bool = False) -> dict:
    """``{"compatibilityLevel", ...extra}`` set for ``subject`` (or globally); 40408 when a subject has none."""
    for scope in (subject, "") if default_to_global or not subject else (subject,):
        found = settings_of(scope)
        if found.get("compatibility"):
            return {**found["extra"], "compatibilityLevel": found["compatibility"]}
    if subject and not default_to_global:
        raise errors.CompatibilityNotConfigured(
            f"Subject '{subject}' does not have subject-level compatibility configured"
        )
    return {"compatibilityLevel": DEFAULT_COMPATIBILITY.value}


def effective_compatibility(subject: str) -> str:
    for scope in (subject, ""):
        level = settings_of(scope).get("compatibility")
        if level:
            return level
    return DEFAULT_COMPATIBILITY.value


def mode_of(subject: str = "", *, default_to_global: bool = False) -> str:
    if subject and not default_to_global and not settings_of(subject).get("mode"):
        raise errors.ModeNotConfigured(f"Subject '{subject}' does not have subject-level mode configured")
    return effective_mode(subject)


def effective_mode(subject: str) -> str:
    for scope in (subject, ""):
        mode = settings_of(scope).get("mode")
        if mode:
            return mode
    return DEFAULT_MODE.value


# -- DictaMesh's own API --------------------------------------------------------------------------------
def version_dict(row: SubjectVersion, *, with_schema: bool = True) -> dict:
    body = {
        "subject": row.subject.name,
        "version": row.version,
        "id": row.schema_id,
        "schema_type": row.schema.schema_type,
        "deleted": row.deleted_at is not None,
        "created_at": row.created_at,
        "actor": row.actor,
    }
    if with_schema:
        body |= {
            "schema": row.schema.text,
            "references": row.schema.references,
            "metadata": row.schema.metadata,
            "rule_set": row.schema.rule_set,
            "migrations": [
                {
                    "name": m.name,
                    "direction": m.direction,
                    "language": m.language,
                    "body": m.body,
                    "description": m.description,
                    "actor": m.actor,
                    "created_at": m.created_at,
                }
                for m in row.migrations.all()
            ],
        }
    return body


def versions_with_schemas(name: str) -> list[SubjectVersion]:
    """Every version of a subject with its schema and migration scripts (for version_dict), oldest first."""
    return list(
        subject_get(name)
        .versions.select_related("schema", "subject")
        .prefetch_related("migrations")
        .order_by("version")
    )


def subject_detail(name: str) -> dict:
    from apps.catalog.public import entities_with_schema

    subject = subject_get(name)
    versions = list(subject.versions.select_related("schema", "subject").order_by("version"))
    compatibility = effective_compatibility(name)
    return {
        "subject": name,
        "compatibility": compatibility,
        "mode": effective_mode(name),
        "versions": [version_dict(v, with_schema=False) for v in versions],
        "entities": entities_with_schema(subject=name),
    }


def subjects_overview(*, prefix: str = "") -> list[dict]:
    rows = schemas_list(prefix=prefix, latest_only=True)
    return [version_dict(row, with_schema=False) for row in rows]


def schema_lines(text: str) -> list[str]:
    """A schema's text as lines to compare: JSON formats pretty-printed, the others as written."""
    try:
        return json.dumps(json.loads(text), indent=2).splitlines()
    except ValueError:
        return text.splitlines()


def version_diff(name: str, from_version: str | int, to_version: str | int) -> dict:
    """A unified diff of two versions' schemas."""
    old, new = version_get(name, from_version, deleted=True), version_get(name, to_version, deleted=True)
    old_lines, new_lines = schema_lines(old.schema.text), schema_lines(new.schema.text)
    return {
        "subject": name,
        "from": old.version,
        "to": new.version,
        "diff": list(
            difflib.unified_diff(
                old_lines,
                new_lines,
                f"version {old.version}",
                f"version {new.version}",
                lineterm="",
            )
        ),
        "old": old_lines,
        "new": new_lines,
    }


# -- cached views for the hot read paths (Kafka clients: lookups, checks, latest versions) ----------------
@dataclass(frozen=True)
class VersionRef:
    """A version of a subject, as the caches keep it; ``schema`` comes from the schema cache."""

    subject: str
    version: int
    schema_id: int
    fingerprint: str
    deleted: bool
    created_at: datetime | None = None

    @property
    def schema(self) -> Schema:
        return schema_get(self.schema_id)


SUBJECT_CACHE = TwoLevelCache("schemas.subject", l1_size=lambda: 4096, l1_ttl=lambda: 60)
CONFIG_CACHE = TwoLevelCache("schemas.config", l1_size=lambda: 4096, l1_ttl=lambda: 60)


def settings_key(subject: str) -> str:
    """The settings cache key of a scope: any string can be a subject name, so each key has a prefix."""
    return f"subject:{subject}" if subject else "global"


def subject_versions(name: str) -> list[VersionRef]:
    """Every version of ``name`` (deleted ones flagged), oldest first; [] when there is none. Cached; every
    write to the subject drops it in every process (``services.subject_changed``)."""

    def load() -> list[VersionRef]:
        rows = SubjectVersion.objects.filter(subject__name=name).order_by("version")
        return [
            VersionRef(name, v, sid, fp, deleted is not None, created)
            for v, sid, fp, deleted, created in rows.values_list(
                "version", "schema_id", "schema__fingerprint", "deleted_at", "created_at"
            )
        ]

    return SUBJECT_CACHE.get(name, load, ttl=600)


def settings_of(subject: str) -> dict:
    """``{compatibility, mode, extra}`` set at this scope ("" global), cached; {} when nothing is."""

    def load() -> dict:
        row = Config.objects.filter(subject=subject).first()
        return (
            {} if row is None else {"compatibility": row.compatibility, "mode": row.mode, "extra": row.extra}
        )

    return CONFIG_CACHE.get(settings_key(subject), load, ttl=600)
