"""Governance tables: roles, access policies (and their version), field classifications."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from dictamesh.events.models import EventLog

from .contracts import ACTIONS, CLASSIFICATIONS, MASKS, RESOURCE_KINDS


class Role(models.Model):
    """A named set of users and groups that policies name as ``role:<name>``."""

    name = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, default="")
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="dictamesh_roles",
        db_table="dictamesh_governance_role_user",
    )
    groups = models.ManyToManyField(
        Group, blank=True, related_name="dictamesh_roles", db_table="dictamesh_governance_role_group"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "dictamesh_governance_role"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Effect(models.TextChoices):
    ALLOW = "allow"
    DENY = "deny"


class Policy(models.Model):
    """Who (actors) may or may not (effect) do what (actions) to which resources, when (condition) holds.

    Actors: ``*`` (anyone), ``authenticated``, ``anonymous``, ``owner`` (owns the resource),
    ``user:<name>``, ``group:<name>``, ``role:<name>``. Actions and resource kinds: see contracts; ``*`` is
    any. A deny that matches wins over every allow.
    """

    name = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, default="")
    effect = models.CharField(max_length=5, choices=Effect.choices)
    actors = ArrayField(models.CharField(max_length=200), default=list)
    actions = ArrayField(models.CharField(max_length=20), default=list)
    resources = ArrayField(models.CharField(max_length=20), default=list)
    condition = models.TextField(blank=True, default="")
    mask = models.CharField(
        max_length=10,
        blank=True,
        default="",
        choices=[(m, m) for m in MASKS],
        help_text="for a deny of read_sensitive: how values are hidden (else the category's default)",
    )
    enabled = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.CharField(max_length=200, blank=True, default="", editable=False)

    class Meta:
        db_table = "dictamesh_governance_policy"
        ordering = ["name"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.name


class PolicyState(models.Model):
    """One row: the version of the policy set, bumped in the transaction of every policy or role change.

    Each request reads it (with the caller's groups and roles, in one query) and reloads its process's
    compiled policies when it moved: a change takes effect in every process at the next request.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    version = models.BigIntegerField(default=1)

    class Meta:
        db_table = "dictamesh_governance_policy_state"

    def __str__(self) -> str:
        return f"policy set version {self.version}"


class Status(models.TextChoices):
    SUGGESTED = "suggested"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class FieldClassification(models.Model):
    """A field of an entity (``urn`` + dotted ``path`` into its properties or data): its classification and
    PII category, suggested by a detector or set by a steward, or propagated along column lineage."""

    urn = models.CharField(max_length=512)
    path = models.CharField(max_length=300)
    classification = models.CharField(
        max_length=20, choices=[(c, c) for c in CLASSIFICATIONS], default="confidential"
    )
    pii_category = models.CharField(max_length=30, blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUGGESTED)
    confidence = models.FloatField(default=1.0)
    detector = models.CharField(max_length=20, help_text="name, value, manual or lineage")
    evidence = models.TextField(blank=True, default="")
    # lineage propagation: the confirmed classification this one came from (its root), the copy one hop
    # nearer that root (``via``: rejecting a copy rejects the copies made through it), and how far it is
    origin = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="propagated"
    )
    via = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="onward")
    hops = models.PositiveSmallIntegerField(default=0)
    decided_by = models.CharField(max_length=200, blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_governance_field_class"
        ordering = ["urn", "path"]
        constraints = [
            models.UniqueConstraint(
                fields=["urn", "path", "pii_category", "detector"],
                condition=models.Q(origin__isnull=True),
                name="dictamesh_gov_field_direct_uniq",
            ),
            models.UniqueConstraint(
                fields=["urn", "path", "origin"],
                condition=models.Q(origin__isnull=False),
                name="dictamesh_gov_field_prop_uniq",
            ),
        ]
        indexes = [
            models.Index(fields=["urn", "status"], name="dictamesh_gov_field_urn_idx"),
            models.Index(fields=["status", "-created_at"], name="dictamesh_gov_field_status_idx"),
        ]

    def __str__(self) -> str:
        what = self.pii_category or self.classification
        return f"{self.urn}#{self.path}: {what} ({self.status})"


__all__ = [
    "ACTIONS",
    "RESOURCE_KINDS",
    "Effect",
    "FieldClassification",
    "Policy",
    "PolicyState",
    "Role",
    "Status",
]


class AccessAudit(EventLog):
    """The access audit as stewards browse it in the admin: the event log's sensitive reads and denials."""

    class Meta:
        proxy = True
        verbose_name = "access audit record"
        ordering = ["-time", "-id"]


class ConsentStatus(models.TextChoices):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class ConsentRecord(models.Model):
    """A data subject's consent for a purpose, as recorded (append-only: a change is a new row; the latest
    per subject and purpose is in force). The subject is stored as a keyed hash (HMAC with the masking salt)
    and a masked hint, never in clear."""

    subject_hash = models.CharField(max_length=64)
    subject_hint = models.CharField(max_length=200, blank=True, default="")
    purpose = models.SlugField(max_length=100)
    status = models.CharField(max_length=10, choices=ConsentStatus.choices)
    version = models.CharField(max_length=50, help_text="the version of the consent text agreed to")
    source = models.CharField(max_length=100, help_text="where it was given: web-form, crm, call-center, …")
    evidence = models.JSONField(default=dict, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.CharField(max_length=200, blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dictamesh_governance_consent"
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(
                fields=["subject_hash", "purpose", "-recorded_at"], name="dictamesh_gov_consent_idx"
            ),
            models.Index(fields=["purpose", "-recorded_at"], name="dictamesh_gov_consent_pur_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_hint or self.subject_hash[:12]} {self.purpose}: {self.status}"


class RetentionAction(models.TextChoices):
    DELETE = "delete"
    ANONYMIZE = "anonymize"


class RetentionPolicy(models.Model):
    """Entities of a domain, type or classification are kept ``keep_days`` after their last change (or
    creation, or sync), then deleted or anonymized. ``enforce`` off: runs only report what they would do."""

    name = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, default="")
    domain = models.CharField(max_length=100, blank=True, default="")
    entity_type = models.CharField(max_length=100, blank=True, default="")
    classification = models.CharField(
        max_length=20, blank=True, default="", choices=[(c, c) for c in CLASSIFICATIONS]
    )
    keep_days = models.PositiveIntegerField()
    basis = models.CharField(
        max_length=20,
        default="updated_at",
        choices=[("updated_at", "last change"), ("created_at", "creation"), ("last_synced_at", "last sync")],
    )
    action = models.CharField(max_length=10, choices=RetentionAction.choices)
    enforce = models.BooleanField(default=False, help_text="off: a dry run, reported and nothing changed")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "dictamesh_governance_retention"
        ordering = ["name"]
        verbose_name_plural = "retention policies"

    def __str__(self) -> str:
        return self.name


class LegalHold(models.Model):
    """Entities under a legal hold are never deleted or anonymized by retention, whatever the policy."""

    name = models.SlugField(max_length=100, unique=True)
    reason = models.TextField()
    domain = models.CharField(max_length=100, blank=True, default="")
    urn_pattern = models.CharField(max_length=512, blank=True, default="", help_text="a URN glob: dm:crm:*")
    active = models.BooleanField(default=True)
    created_by = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dictamesh_governance_legal_hold"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RetentionRun(models.Model):
    """What one run of a retention policy found, held back, did (or, dry, would do)."""

    policy = models.ForeignKey(RetentionPolicy, on_delete=models.CASCADE, related_name="runs")
    dry_run = models.BooleanField()
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    candidates = models.PositiveIntegerField(default=0)
    held = models.PositiveIntegerField(default=0)
    applied = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    items = models.JSONField(default=list, blank=True, help_text="[{urn, outcome}] (the first 1,000)")
    actor = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        db_table = "dictamesh_governance_retention_run"
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["policy", "-started_at"], name="dictamesh_gov_retrun_idx")]

    def __str__(self) -> str:
        return f"{self.policy_id} at {self.started_at:%Y-%m-%d %H:%M}"
