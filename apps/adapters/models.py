"""Adapter instances (a configured source system) and their sync runs."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class AdapterInstance(models.Model):
    """One source system DictaMesh reads through an adapter. Its name is the catalog source system its entities
    are filed under; its configuration holds references to secrets, never secrets."""

    name = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(
        max_length=50, help_text="the adapter: rest, postgresql, or an installed plugin's"
    )
    config = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    domain = models.CharField(max_length=100, help_text="the catalog domain its entities go in")
    owners = models.JSONField(default=list, blank=True, help_text='principals: ["user:alice", "group:data"]')
    sync_interval_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="a scheduled sync this often (empty: on demand only)"
    )
    checkpoint = models.JSONField(null=True, blank=True, help_text="where the next incremental sync resumes")
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_adapters_instance"
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class RunStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


ACTIVE = (RunStatus.QUEUED, RunStatus.RUNNING)


class SyncRun(models.Model):
    """One sync of an instance: what it saw, changed and failed on, and where it got to."""

    instance = models.ForeignKey(AdapterInstance, on_delete=models.CASCADE, related_name="runs")
    full = models.BooleanField(default=False, help_text="everything (else: from the checkpoint)")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(max_length=20, default="manual", help_text="schedule, manual, api, cli, admin")
    requested_by = models.CharField(max_length=200, blank=True, default="")
    counts = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(
        null=True, blank=True, help_text="changes expected, when the source says"
    )
    error = models.TextField(blank=True, default="")
    retryable = models.BooleanField(null=True, blank=True, help_text="whether a later run may succeed")
    checkpoint_from = models.JSONField(null=True, blank=True)
    checkpoint_to = models.JSONField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dictamesh_adapters_sync_run"
        ordering = ["-queued_at", "-id"]
        constraints = [  # one queued or running sync per instance
            models.UniqueConstraint(
                fields=["instance"],
                condition=models.Q(status__in=["queued", "running"]),
                name="dictamesh_adapters_one_active",
            )
        ]
        indexes = [models.Index(fields=["instance", "-queued_at"], name="dictamesh_adapters_run_idx")]

    def __str__(self) -> str:
        return f"{self.instance.name} sync {self.pk} ({self.status})"

    @property
    def duration_ms(self) -> int | None:
        if self.started_at is None:
            return None
        return int(((self.ended_at or timezone.now()) - self.started_at).total_seconds() * 1000)
