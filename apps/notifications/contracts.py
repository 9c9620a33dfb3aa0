"""The shapes of notifications' operations: the inputs REST and GraphQL parse alike (dictamesh.contracts),
and the answers documented in the OpenAPI (docs/api.md)."""

from __future__ import annotations

from datetime import datetime, time
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from dictamesh.contracts import Contract, Slug, hinted

ChannelName = Literal["email", "webhook", "inapp", "slack", "pagerduty", "sms", "push"]


class InboxItem(BaseModel):
    """One of your in-app notifications"""

    id: int
    title: str
    body: str
    type: str
    priority: Literal["normal", "critical"]
    created_at: datetime
    read_at: datetime | None


class Inbox(BaseModel):
    """Your in-app notifications, newest first, and how many are unread"""

    items: list[InboxItem]
    unread: int


class UnreadCount(BaseModel):
    """How many of your in-app notifications are unread"""

    unread: int


class MarkRead(BaseModel):
    """Inbox items to mark read; without ids, all of them"""

    model_config = ConfigDict(extra="forbid")
    ids: list[int] | None = None


class Marked(BaseModel):
    """How many items were marked read"""

    marked: int


CHANNELS: tuple[str, ...] = ChannelName.__args__
PRIORITIES = ("normal", "critical")
Named = Annotated[str, StringConstraints(min_length=1)]


def _existing(model: str, names: list[str]) -> list[str]:
    """``names`` when each is a user (or group) that exists; the first unknown one named otherwise."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    if model == "user":
        User = get_user_model()
        found = set(
            User.objects.filter(**{f"{User.USERNAME_FIELD}__in": names}).values_list(
                User.USERNAME_FIELD, flat=True
            )
        )
    else:
        found = set(Group.objects.filter(name__in=names).values_list("name", flat=True))
    if missing := sorted(set(names) - found):
        raise ValueError(f"unknown {model} {missing[0]!r}")
    return names


class SubscriptionIn(Contract):
    """A subscription: which events notify whom, on which channel (PATCH: only the fields sent change)"""

    what: ClassVar[str] = "subscription"
    required: ClassVar[tuple[str, ...]] = ("name", "event_types", "channel")
    name: Slug = hinted("a slug")
    description: str = hinted("a string of at most 5,000 characters", max_length=5000)
    event_types: list[Named] = hinted('a list of event types, e.g. ["dictamesh.schemas.subject.*"]', min_length=1,
                                      examples=[["dictamesh.schemas.subject.*"]])  # fmt: skip
    filter: str | None = hinted(
        "a JMESPath condition on the event", description="a JMESPath condition on the event"
    )
    channel: ChannelName = hinted(f"one of {', '.join(CHANNELS)}")
    users: list[str] = hinted("a list of user names")
    groups: list[str] = hinted("a list of group names")
    owners: bool = hinted("true or false", description="the owners of the entity the event is about")
    addresses: list[Named] = hinted("a list of addresses")
    send_as: str | None = hinted(
        "a user name, or null", description="whose rights outbound addresses are told with"
    )
    priority: Literal["normal", "critical"] = hinted(f"one of {', '.join(PRIORITIES)}")
    fallback_channel: ChannelName | Literal[""] | None = hinted(f"one of {', '.join(CHANNELS)}")
    enabled: bool = hinted("true or false")

    @field_validator("filter")
    @classmethod
    def _filter(cls, value: str | None) -> str:
        import jmespath

        try:
            jmespath.compile(value) if value else None
        except jmespath.exceptions.JMESPathError as exc:
            raise ValueError(f"not a JMESPath expression: {exc}") from None
        return value or ""

    @field_validator("users")
    @classmethod
    def _users(cls, value: list[str]) -> list[str]:
        return _existing("user", value)

    @field_validator("groups")
    @classmethod
    def _groups(cls, value: list[str]) -> list[str]:
        return _existing("group", value)

    @field_validator("send_as")
    @classmethod
    def _send_as(cls, value: str | None) -> str | None:
        return _existing("user", [value])[0] if value else None

    @field_validator("fallback_channel")
    @classmethod
    def _fallback(cls, value: str | None) -> str:
        return value or ""


class Subscription(BaseModel):
    """A subscription"""

    name: str
    description: str
    event_types: list[str]
    filter: str
    channel: ChannelName
    users: list[str]
    groups: list[str]
    owners: bool
    addresses: list[str]
    send_as: str | None
    priority: Literal["normal", "critical"]
    fallback_channel: ChannelName | None
    enabled: bool


class Subscriptions(BaseModel):
    """Every subscription"""

    items: list[Subscription]


class PreferenceIn(Contract):
    """One of your preferences: for a type (or prefix*) and a channel (or any)"""

    what: ClassVar[str] = "preference"
    type: str = hinted("a notification type, or a prefix ending in *", "*", min_length=1, max_length=200)
    channel: ChannelName | Literal[""] | None = hinted(f"one of {', '.join(CHANNELS)}, or empty for any", "")
    enabled: bool = hinted("true or false", True)
    quiet_from: time | None = hinted("HH:MM", strict=False, examples=["22:00"])
    quiet_until: time | None = hinted("HH:MM", strict=False, examples=["07:00"])
    timezone: str = hinted("an IANA time zone, e.g. Europe/Paris", "UTC", examples=["Europe/Paris"])
    digest: Literal["", "hourly", "daily"] | None = hinted("hourly, daily, or empty for at once", "")

    @field_validator("quiet_from", "quiet_until", mode="before")
    @classmethod
    def _clock(cls, value: Any) -> Any:
        if value == "":
            return None
        if not isinstance(value, str | None):
            raise ValueError("HH:MM")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("an IANA time zone, e.g. Europe/Paris") from None
        return value

    @field_validator("channel", "digest")
    @classmethod
    def _empty(cls, value: str | None) -> str:
        return value or ""

    def invalid_fields(self) -> dict[str, str]:
        if (self.quiet_from is None) != (self.quiet_until is None):
            return {
                "quiet_until"
                if self.quiet_until is None
                else "quiet_from": "quiet hours need a start and an end"
            }
        return {}


class Preference(BaseModel):
    """One of your preferences"""

    id: int
    type: str
    channel: ChannelName | None
    enabled: bool
    digest: Literal["hourly", "daily"] | None
    quiet_from: str | None
    quiet_until: str | None
    timezone: str


class Preferences(BaseModel):
    """Your preferences"""

    items: list[Preference]


class Deleted(BaseModel):
    """What was deleted"""

    deleted: bool
    name: str | None = None
    id: int | None = None
