"""A data-subject request and its export. A subject's identifiers are kept as keyed hashes (with a masked
hint) for lookups, and in clear only inside ``sealed`` (encrypted with DICTAMESH_DSR_KEY) while the request is
open: the sources need the values to find the records; closing a request drops them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Kind(models.TextChoices):
    ACCESS = "access", "access (GDPR art. 15)"
    ERASURE = "erasure", "erasure (GDPR art. 17)"
    RECTIFICATION = "rectification", "rectification (GDPR art. 16)"
    RESTRICTION = "restriction", "restriction of processing (GDPR art. 18)"
    PORTABILITY = "portability", "portability (GDPR art. 20)"
    KNOW = "know", "right to know (CCPA)"
    DELETE = "delete", "right to delete (CCPA)"
    OPT_OUT = "opt_out_of_sale", "opt-out of sale (CCPA)"


EXPORTING = (Kind.ACCESS, Kind.PORTABILITY, Kind.KNOW)
ERASING = (Kind.ERASURE, Kind.DELETE)


class Jurisdiction(models.TextChoices):
    GDPR = "gdpr", "GDPR"
    CCPA = "ccpa", "CCPA"


class State(models.TextChoices):
    RECEIVED = "received"  # identity to verify
    VERIFIED = "verified"  # identity verified: discovery may run
    PLANNED = "planned"  # the places found are shown to the steward, who approves the plan
    RUNNING = "running"  # its saga runs
    COMPLETED = "completed"
    FAILED = "failed"  # its saga stopped on a source (retry or skip it, or cancel)
    REJECTED = "rejected"  # identity not verified, or the request refused (with a reason)
    CANCELLED = "cancelled"


CLOSED = (State.COMPLETED, State.REJECTED, State.CANCELLED)


class SubjectRequest(models.Model):
    kind = models.CharField(max_length=20, choices=Kind.choices)
    jurisdiction = models.CharField(max_length=10, choices=Jurisdiction.choices)
    state = models.CharField(max_length=20, choices=State.choices, default=State.RECEIVED)
    identifiers = models.JSONField(default=list, help_text="[{type, hash, hint}]: never the values")
    sealed = models.BinaryField(null=True, blank=True, editable=False, help_text="the values, encrypted")
    assignee = models.CharField(max_length=150, blank=True, default="", help_text="the steward's user name")
    verification = models.CharField(max_length=20, default="unverified")  # unverified | verified | failed
    verification_note = models.TextField(blank=True, default="")
    verified_by = models.CharField(max_length=200, blank=True, default="")
    verified_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    extended_by_days = models.PositiveSmallIntegerField(default=0)
    extension_reason = models.TextField(blank=True, default="")
    plan = models.JSONField(default=list, blank=True, help_text="the places holding the subject's records")
    planned_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.CharField(max_length=200, blank=True, default="")
    saga_id = models.UUIDField(null=True, blank=True)
    outcome = models.JSONField(default=list, blank=True, help_text="per source: what was done")
    reminders = models.JSONField(default=list, blank=True, help_text="the reminders sent: 7d, 2d, breach")
    note = models.TextField(blank=True, default="")
    created_by = models.CharField(max_length=200, blank=True, default="")
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_privacy_request"
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["state", "due_at"], name="dictamesh_privacy_due_idx"),
        ]
        permissions = [("manage_requests", "Work data-subject requests")]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"DSR-{self.pk or 0:05d}"


class SubjectExport(models.Model):
    """A request's export (a zip of JSON and CSV, encrypted), downloadable once through a signed link."""

    request = models.ForeignKey(SubjectRequest, on_delete=models.CASCADE, related_name="exports")
    sealed = models.BinaryField(editable=False)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    files = models.JSONField(default=list)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    downloaded_at = models.DateTimeField(null=True, blank=True)
    downloaded_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        db_table = "dictamesh_privacy_export"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"export of {self.request.reference}"
