"""Deletes of the schema registry: soft and permanent, of a subject or one version, as Confluent defines them
(40404 / 40405 / 40407, references refused); orphaned schemas dropped. Registration: services.py."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from dictamesh.events import publish_many
from dictamesh.events.outbox import Change

from . import errors, events, selectors
from .models import Config, Mode, Schema
from .services import registry_lock, schema_subjects_changed, settings_changed, subject_changed


def _refuse_if_referenced(subject: str, versions: list[int]) -> None:
    for version in versions:
        if selectors.referenced_by(subject, version):
            raise errors.ReferenceExists(
                f"One or more references exist to the schema {{subject={subject}, version={version}}}."
            )


def subject_delete(*, subject: str, permanent: bool = False, actor: str | None = None) -> list[int]:
    """Soft delete every live version (40404 if already soft-deleted); ``permanent`` removes a soft-deleted
    subject for good (40405 if it is not soft-deleted first). Returns the versions deleted."""
    with transaction.atomic():
        registry_lock(subject)
        if selectors.effective_mode(subject) == Mode.READONLY:
            raise errors.OperationNotPermitted(f"Subject {subject} is in read-only mode")
        row = selectors.subject_get(subject)
        live = list(row.versions.filter(deleted_at__isnull=True).order_by("version"))
        if permanent:
            if live:
                raise errors.SubjectNotSoftDeleted(
                    f"Subject '{subject}' was not deleted first before being permanently deleted"
                )
            versions = list(row.versions.order_by("version").values_list("version", flat=True))
            _refuse_if_referenced(subject, versions)
            schema_ids = list(row.versions.values_list("schema_id", flat=True))
            row.delete()
            Config.objects.filter(subject=subject).delete()
            settings_changed(subject)
            _drop_orphans(schema_ids)
        else:
            if not live:
                raise errors.SubjectSoftDeleted(
                    f"Subject '{subject}' was soft deleted.Set permanent=true to delete permanently"
                )
            versions = [v.version for v in live]
            _refuse_if_referenced(subject, versions)
            row.versions.filter(deleted_at__isnull=True).update(deleted_at=timezone.now())
        subject_changed(subject)
        publish_many(
            [
                Change(
                    type=events.SUBJECT_DELETED,
                    subject=subject,
                    data={"subject": subject, "versions": versions, "permanent": permanent},
                    actor=actor or None,
                )
            ]
        )
    return versions


def version_delete(
    *, subject: str, version: str | int, permanent: bool = False, actor: str | None = None
) -> int:
    with transaction.atomic():
        registry_lock(subject)
        if selectors.effective_mode(subject) == Mode.READONLY:
            raise errors.OperationNotPermitted(f"Subject {subject} is in read-only mode")
        row = selectors.version_get(subject, version, deleted=True)
        if selectors.parse_version(version) is None and row.deleted_at is not None:
            raise errors.VersionNotFound(f"Version {version} not found.")
        if permanent:
            if row.deleted_at is None:
                raise errors.VersionNotSoftDeleted(
                    f"Subject '{subject}' Version {row.version} was not deleted first before being permanently deleted"
                )
            _refuse_if_referenced(subject, [row.version])
            schema_id = row.schema_id
            row.delete()
            _drop_orphans([schema_id])
        else:
            if row.deleted_at is not None:
                raise errors.VersionSoftDeleted(
                    f"Subject '{subject}' Version {row.version} was soft deleted."
                    "Set permanent=true to delete permanently"
                )
            _refuse_if_referenced(subject, [row.version])
            row.deleted_at = timezone.now()
            row.save(update_fields=["deleted_at"])
        subject_changed(subject)
        publish_many(
            [
                Change(
                    type=events.VERSION_DELETED,
                    subject=subject,
                    data={"subject": subject, "version": row.version, "permanent": permanent},
                    actor=actor or None,
                )
            ]
        )
    return row.version


def _drop_orphans(schema_ids: list[int]) -> None:
    """Schemas no version uses any more are gone for good (their id answers 40403); the others lost a
    subject's version."""
    schema_subjects_changed(schema_ids)
    gone = list(Schema.objects.filter(pk__in=schema_ids, versions__isnull=True).values_list("pk", flat=True))
    if gone:
        Schema.objects.filter(pk__in=gone).delete()
        selectors.SCHEMA_CACHE.drop([str(pk) for pk in gone])
