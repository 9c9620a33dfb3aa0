"""Notifications: each message to one recipient on one channel, its delivery attempts, the in-app inbox."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Channel(models.TextChoices):
    EMAIL = "email"
    WEBHOOK = "webhook"
    INAPP = "inapp"
    SLACK = "slack"
    PAGERDUTY = "pagerduty"
    SMS = "sms"
    PUSH = "push"


class Priority(models.TextChoices):
    NORMAL = "normal"
    CRITICAL = "critical"


class Status(models.TextChoices):
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"


class Notification(models.Model):
    """One message to one recipient on one channel. ``dedup_key`` is unique: the same notification asked
    for twice (an event redelivered, a task retried) is one row, sent once."""

    dedup_key = models.CharField(max_length=200, unique=True)
    type = models.CharField(max_length=100, help_text="schema.version_rejected, pii.detected, …")
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    address = models.CharField(
        max_length=500,
        help_text="e-mail address, webhook or Slack URL, phone number, device token, PagerDuty routing key",
    )
    subject = models.CharField(max_length=300, blank=True, default="")
    body = models.TextField(blank=True, default="")
    payload = models.JSONField(default=dict, blank=True, help_text="what a webhook receives as data")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # it waited for a rate-limit slot reserved for it at next_attempt_at: then it goes without asking again
    rate_slot = models.BooleanField(default=False, db_default=False)  # raw inserts (notify_many) leave it out
    last_error = models.TextField(blank=True, default="")
    event_id = models.CharField(max_length=100, blank=True, default="")
    fallback_channel = models.CharField(max_length=10, choices=Channel.choices, blank=True, default="")
    digest = models.CharField(
        max_length=10, blank=True, default="", help_text="hourly or daily: waits to be grouped into a digest"
    )
    digested_in = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="digested"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dictamesh_notifications_notification"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="dictamesh_notif_status_idx"),
            models.Index(fields=["user", "-created_at"], name="dictamesh_notif_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} → {self.channel}:{self.address} ({self.status})"


class DeliveryAttempt(models.Model):
    """One try at delivering a notification: what the channel answered."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="deliveries")
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField(default=timezone.now)
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=10, help_text="sent, retry or failed")
    status_code = models.IntegerField(null=True, blank=True)
    detail = models.TextField(blank=True, default="")

    class Meta:
        db_table = "dictamesh_notifications_delivery"
        ordering = ["notification", "number"]
        constraints = [
            models.UniqueConstraint(fields=["notification", "number"], name="dictamesh_notif_attempt_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.notification_id}#{self.number}: {self.outcome}"


class InboxItem(models.Model):
    """The in-app channel: a user's inbox."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dictamesh_inbox"
    )
    notification = models.OneToOneField(Notification, on_delete=models.CASCADE, related_name="inbox_item")
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "dictamesh_notifications_inbox"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "-created_at"],
                name="dictamesh_inbox_unread_idx",
                condition=models.Q(read_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.title}"


class Subscription(models.Model):
    """Who hears about which events, on which channel: event types (a trailing * matches a prefix) and an
    optional JMESPath filter over the event (id, type, source, subject, time, actor, data)."""

    name = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True, default="")
    event_types = models.JSONField(default=list, help_text='["dictamesh.schemas.subject.*", …]')
    filter = models.TextField(
        blank=True, default="", help_text="JMESPath; truthy matches. data.domain == 'sales'"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    users = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", db_table="dictamesh_notifications_sub_user"
    )
    groups = models.ManyToManyField(
        "auth.Group", blank=True, related_name="+", db_table="dictamesh_notifications_sub_group"
    )
    owners = models.BooleanField(default=False, help_text="the owners of the entity the event is about")
    addresses = models.JSONField(default=list, blank=True, help_text="e-mail addresses or webhook URLs")
    send_as = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text="whose rights outbound addresses are told with (what it may read, masked as it would see "
        "it); empty: anonymous",
    )  # fmt: skip
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    fallback_channel = models.CharField(
        max_length=10, choices=Channel.choices, blank=True, default="",
        help_text="after the last failed attempt, the users are notified again on this channel",
    )  # fmt: skip
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        db_table = "dictamesh_notifications_subscription"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Template(models.Model):
    """The words of a notification type on a channel, in a language: Django templates over the event
    (``event.type``, ``event.subject``, ``event.data``, ``event.actor``) and the recipient."""

    type = models.CharField(max_length=200, help_text="an event type, or a prefix ending in *")
    channel = models.CharField(
        max_length=10, choices=Channel.choices, blank=True, default="", help_text="empty: any"
    )
    language = models.CharField(max_length=10, default="en")
    subject = models.CharField(max_length=300)
    body = models.TextField()

    class Meta:
        db_table = "dictamesh_notifications_template"
        ordering = ["type", "channel", "language"]
        constraints = [
            models.UniqueConstraint(fields=["type", "channel", "language"], name="dictamesh_notif_tpl_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.type} [{self.channel or 'any'}/{self.language}]"


class Preference(models.Model):
    """A user's choice for a notification type (a prefix ending in * matches many) on a channel (empty: any):
    on or off, and quiet hours in the user's time zone. Critical notifications and mandatory types
    (DICTAMESH_NOTIFY_MANDATORY_TYPES) ignore both."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(max_length=200, default="*")
    channel = models.CharField(max_length=10, choices=Channel.choices, blank=True, default="")
    enabled = models.BooleanField(default=True)
    digest = models.CharField(
        max_length=10, blank=True, default="", choices=[("hourly", "hourly"), ("daily", "daily")],
        help_text="empty: at once; hourly or daily: grouped into one message",
    )  # fmt: skip
    quiet_from = models.TimeField(null=True, blank=True)
    quiet_until = models.TimeField(null=True, blank=True)
    timezone = models.CharField(max_length=64, default="UTC")

    class Meta:
        db_table = "dictamesh_notifications_preference"
        ordering = ["user", "type", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["user", "type", "channel"], name="dictamesh_notif_pref_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.type} {self.channel or 'any'}: {'on' if self.enabled else 'off'}"


class Profile(models.Model):
    """A recipient's language (templates in that language, gettext in them) and time zone."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    language = models.CharField(
        max_length=10, default="en", help_text="en, fr, de, … (a template's language)"
    )
    timezone = models.CharField(max_length=64, default="UTC")

    class Meta:
        db_table = "dictamesh_notifications_profile"

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"
