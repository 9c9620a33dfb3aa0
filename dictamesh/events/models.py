from __future__ import annotations

from django.db import models
from django.utils import timezone

from .rules import validate_rule

SHARDS = 64  # outbox rows are spread over shards by key; one relay publishes a shard at a time (ordering)


class OutboxMessage(models.Model):
    """An event waiting to be published; written in the same transaction as the change it describes."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True)
    topic = models.CharField(max_length=249)
    key = models.CharField(max_length=512)
    shard = models.SmallIntegerField()
    type = models.CharField(max_length=200)
    source = models.CharField(max_length=200)
    subject = models.CharField(max_length=512)
    time = models.DateTimeField()
    data = models.JSONField()
    dataschema = models.CharField(max_length=500, blank=True, default="")
    traceparent = models.CharField(max_length=100, blank=True, default="")
    actor = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")

    class Meta:
        db_table = "dictamesh_events_outbox"
        indexes = [
            models.Index(
                fields=["shard", "id"],
                name="dictamesh_outbox_unsent_idx",
                condition=models.Q(sent_at__isnull=True),
            ),
            models.Index(
                fields=["sent_at"],
                name="dictamesh_outbox_sent_idx",
                condition=models.Q(sent_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.subject} ({'sent' if self.sent_at else 'pending'})"


class EventLog(models.Model):
    """The immutable record of every event: before/after state, actor, trace. UPDATE and DELETE are refused."""

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True)
    type = models.CharField(max_length=200)
    source = models.CharField(max_length=200)
    subject = models.CharField(max_length=512)
    topic = models.CharField(max_length=249)
    time = models.DateTimeField()
    actor = models.CharField(max_length=200, blank=True, default="")
    trace_id = models.CharField(max_length=32, blank=True, default="")
    data = models.JSONField()
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_events_event_log"
        ordering = ["-time", "-id"]
        indexes = [
            models.Index(fields=["subject", "-time"], name="dictamesh_eventlog_subject_idx"),
            models.Index(fields=["type", "-time"], name="dictamesh_eventlog_type_idx"),
            models.Index(fields=["actor", "-time"], name="dictamesh_eventlog_actor_idx"),
            models.Index(fields=["-time", "-id"], name="dictamesh_eventlog_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.subject} at {self.time:%Y-%m-%d %H:%M:%S}"


class ProcessedEvent(models.Model):
    """Which consumer handled which event: written in the handler's transaction, so redelivery is a no-op."""

    id = models.BigAutoField(primary_key=True)
    consumer = models.CharField(max_length=100)
    event_id = models.CharField(max_length=255)  # CloudEvents ids are strings; ours are UUIDs
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "dictamesh_events_processed"
        constraints = [
            models.UniqueConstraint(fields=["consumer", "event_id"], name="dictamesh_processed_once"),
        ]
        indexes = [models.Index(fields=["processed_at"], name="dictamesh_processed_at_idx")]

    def __str__(self) -> str:
        return f"{self.consumer}: {self.event_id}"


class RoutingRule(models.Model):
    """A steward's rule: events that match are forwarded, transformed, or POSTed to a webhook."""

    FORWARD, TRANSFORM, WEBHOOK = "forward", "transform", "webhook"
    ACTIONS = [
        (FORWARD, "forward to a topic"),
        (TRANSFORM, "transform, then forward"),
        (WEBHOOK, "POST to a webhook"),
    ]

    name = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, default="")
    enabled = models.BooleanField(default=True)
    priority = models.IntegerField(default=100, help_text="lower runs first")
    match_types = models.JSONField(
        default=list, blank=True, help_text="event types; a trailing * matches a prefix; empty matches all"
    )
    match_source = models.CharField(max_length=200, blank=True, default="", help_text="exact, or prefix*")
    match_subject = models.CharField(max_length=512, blank=True, default="", help_text="exact, or prefix*")
    condition = models.TextField(
        blank=True,
        default="",
        help_text="JMESPath over the event (id, type, source, subject, time, actor, data); truthy matches. "
        "Example: data.total > `100` && contains(data.tags, 'pii')",
    )
    action = models.CharField(max_length=20, choices=ACTIONS)
    target_topic = models.CharField(max_length=249, blank=True, default="")
    transform = models.TextField(
        blank=True,
        default="",
        help_text="JMESPath projection giving the new data, e.g. {order: subject, total: data.total}",
    )
    webhook_url = models.URLField(max_length=1000, blank=True, default="")
    webhook_secret_env = models.CharField(
        max_length=100,
        blank=True,
        default="",
        help_text="name of the environment variable holding the signing secret",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "dictamesh_events_routing_rule"
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        validate_rule(self)
