"""The shapes of notifications' REST operations, documented in the OpenAPI (docs/api.md).

Bodies are read and cleaned by hand (``subscriptions._clean``, ``preference_set``: every problem reported
per field at once, an unknown field refused); these models state what that cleaning accepts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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


class SubscriptionIn(BaseModel):
    """A subscription: which events notify whom, on which channel (PATCH: only the fields sent change)"""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9_-]{0,99}$")
    description: str | None = None
    event_types: list[str] | None = Field(default=None, examples=[["dictamesh.schemas.subject.*"]])
    filter: str | None = Field(default=None, description="a JMESPath condition on the event")
    channel: ChannelName | None = None
    users: list[str] | None = None
    groups: list[str] | None = None
    owners: bool | None = Field(default=None, description="the owners of the entity the event is about")
    addresses: list[str] | None = None
    send_as: str | None = Field(default=None, description="whose rights outbound addresses are told with")
    priority: Literal["normal", "critical"] | None = None
    fallback_channel: ChannelName | None = None
    enabled: bool | None = None


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


class PreferenceIn(BaseModel):
    """One of your preferences: for a type (or prefix*) and a channel (or any)"""

    model_config = ConfigDict(extra="forbid")
    type: str = "*"
    channel: ChannelName | None = None
    enabled: bool = True
    quiet_from: str | None = Field(default=None, examples=["22:00"])
    quiet_until: str | None = Field(default=None, examples=["07:00"])
    timezone: str | None = Field(default=None, examples=["Europe/Paris"])
    digest: Literal["hourly", "daily"] | None = None


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
