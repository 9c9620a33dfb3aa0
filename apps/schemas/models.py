"""The schema registry's tables: schemas (global ids), subjects, their versions, references, settings.

A schema is stored once per canonical content (type, text, references, metadata, rule set): the same
schema registered under two subjects has one global id. A subject's versions point at schemas.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class SchemaType(models.TextChoices):
    AVRO = "AVRO"
    JSON = "JSON"
    PROTOBUF = "PROTOBUF"
    GRAPHQL = "GRAPHQL"


class Compatibility(models.TextChoices):
    BACKWARD = "BACKWARD"
    BACKWARD_TRANSITIVE = "BACKWARD_TRANSITIVE"
    FORWARD = "FORWARD"
    FORWARD_TRANSITIVE = "FORWARD_TRANSITIVE"
    FULL = "FULL"
    FULL_TRANSITIVE = "FULL_TRANSITIVE"
    NONE = "NONE"


class Mode(models.TextChoices):
    READWRITE = "READWRITE"
    READONLY = "READONLY"
    IMPORT = "IMPORT"


class Schema(models.Model):
    """One distinct schema. ``id`` is the global id Kafka messages carry (Confluent wire format)."""

    id = models.IntegerField(primary_key=True)
    guid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    schema_type = models.CharField(max_length=10, choices=SchemaType.choices, default=SchemaType.AVRO)
    text = models.TextField()  # as registered, whitespace removed for JSON formats
    references = models.JSONField(default=list, blank=True)  # [{"name", "subject", "version"}]
    metadata = models.JSONField(null=True, blank=True)  # stored and returned as given
    rule_set = models.JSONField(null=True, blank=True)
    fingerprint = models.CharField(max_length=64, unique=True)  # sha256 of type, text, references, ...
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_schemas_schema"

    def __str__(self) -> str:
        return f"{self.schema_type} schema {self.id}"


class Subject(models.Model):
    """A name under which versions of a schema evolve (``<topic>-value``, ``<topic>-key``, ...)."""

    name = models.CharField(max_length=255, unique=True)
    last_version = models.PositiveIntegerField(default=0)  # version numbers are never reused
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_schemas_subject"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SubjectVersion(models.Model):
    subject = models.ForeignKey(Subject, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    schema = models.ForeignKey(Schema, on_delete=models.PROTECT, related_name="versions")
    deleted_at = models.DateTimeField(null=True, blank=True)  # soft delete
    created_at = models.DateTimeField(default=timezone.now)
    actor = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        db_table = "dictamesh_schemas_version"
        ordering = ["subject", "version"]
        constraints = [
            models.UniqueConstraint(fields=["subject", "version"], name="dictamesh_schemas_version_unique")
        ]
        indexes = [models.Index(fields=["schema"], name="dictamesh_schemas_ver_sch_idx")]

    def __str__(self) -> str:
        return f"{self.subject_id} v{self.version}"


class Reference(models.Model):
    """A schema naming a version of another subject (``references``), for ``referencedby`` and deletes."""

    schema = models.ForeignKey(Schema, on_delete=models.CASCADE, related_name="reference_rows")
    name = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    version = models.PositiveIntegerField()

    class Meta:
        db_table = "dictamesh_schemas_reference"
        constraints = [
            models.UniqueConstraint(fields=["schema", "name"], name="dictamesh_schemas_reference_unique")
        ]
        indexes = [models.Index(fields=["subject", "version"], name="dictamesh_schemas_ref_to_idx")]

    def __str__(self) -> str:
        return f"{self.name} -> {self.subject} v{self.version}"


class Config(models.Model):
    """Compatibility level and mode, globally (``subject`` empty) or for one subject (which may not exist
    yet). ``extra`` keeps the other Confluent config keys (normalize, defaultMetadata, ...) as given."""

    subject = models.CharField(max_length=255, unique=True, blank=True)  # "" = global
    # None: not set at this scope (the next scope's applies)
    compatibility = models.CharField(max_length=30, choices=Compatibility.choices, null=True, blank=True)  # noqa: DJ001
    mode = models.CharField(max_length=10, choices=Mode.choices, null=True, blank=True)  # noqa: DJ001
    extra = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dictamesh_schemas_config"

    def __str__(self) -> str:
        return self.subject or "(global)"


class MigrationDirection(models.TextChoices):
    UP = "up"
    DOWN = "down"


class MigrationScript(models.Model):
    """A script that moves data to (``up``) or back from (``down``) a schema version: SQL or code, as text."""

    version = models.ForeignKey(SubjectVersion, on_delete=models.CASCADE, related_name="migrations")
    name = models.CharField(max_length=200)
    direction = models.CharField(max_length=4, choices=MigrationDirection.choices)
    language = models.CharField(max_length=30, default="sql")  # sql, python, spark, dbt, ...
    body = models.TextField()
    description = models.TextField(blank=True, default="")
    actor = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_schemas_migration"
        ordering = ["version", "direction", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "direction", "name"], name="dictamesh_schemas_migration_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.direction})"
