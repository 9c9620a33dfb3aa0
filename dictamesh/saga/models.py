"""A saga instance and its steps. Every change of either is one transaction that also writes an outbox event
(``dictamesh.saga.<name>.<transition>``): engine.py is the only writer."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone


class SagaState(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"  # a step waits for an outside signal (no worker held)
    COMPLETED = "completed"
    COMPENSATING = "compensating"
    COMPENSATED = "compensated"
    FAILED = "failed"  # a step failed (held for a steward: retry, skip, cancel) or a compensation failed


TERMINAL = (SagaState.COMPLETED, SagaState.COMPENSATED)


class StepState(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    COMPENSATING = "compensating"
    COMPENSATED = "compensated"
    NOT_COMPENSATED = "not_compensated"  # its compensation failed
    KEPT = "kept"  # done, and nothing undoes it (no compensation): the saga was undone around it


class SagaInstance(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.SlugField(max_length=100)
    reference = models.CharField(max_length=200, blank=True, default="", help_text="what it is about")
    state = models.CharField(max_length=20, choices=SagaState.choices, default=SagaState.PENDING)
    context = models.JSONField(default=dict, blank=True)
    deadline = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    cancelled_by = models.CharField(max_length=200, blank=True, default="")
    created_by = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dictamesh_saga_instance"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["state", "updated_at"], name="dictamesh_saga_state_idx"),
            models.Index(fields=["reference"], name="dictamesh_saga_reference_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.reference or self.pk}"


class SagaStep(models.Model):
    instance = models.ForeignKey(SagaInstance, on_delete=models.CASCADE, related_name="steps")
    index = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=100, help_text="the definition's step it runs")
    name = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=20, choices=StepState.choices, default=StepState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    allowed_attempts = models.PositiveIntegerField(default=1, help_text="raised by a manual retry")
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    waiting_for = models.CharField(max_length=100, blank=True, default="")
    wait_until = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, help_text="a running attempt's end")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    compensation_attempts = models.PositiveIntegerField(default=0)
    note = models.TextField(blank=True, default="", help_text="why it was skipped, retried or not undone")
    log = models.JSONField(default=list, blank=True, help_text="each attempt: when, outcome, error")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dictamesh_saga_step"
        ordering = ["instance", "index"]
        constraints = [
            models.UniqueConstraint(fields=["instance", "index"], name="dictamesh_saga_step_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.index + 1}. {self.name}"
