"""Writes of subscriptions and preferences (REST, GraphQL; the admin edits the same rows)."""

from __future__ import annotations

import re
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jmespath
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from dictamesh.errors import Conflict, NotFound, ValidationError, unknown_fields

from . import matching
from .models import Channel, Preference, Priority, Subscription

SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
FIELDS = ("name", "description", "event_types", "filter", "channel", "users", "groups", "owners", "addresses",
          "send_as", "priority", "fallback_channel", "enabled")  # fmt: skip


def subscription_state(sub: Subscription) -> dict[str, Any]:
    return {
        "name": sub.name, "description": sub.description, "event_types": sub.event_types, "filter": sub.filter,
        "channel": sub.channel, "users": sorted(u.get_username() for u in sub.users.all()),
        "groups": sorted(g.name for g in sub.groups.all()), "owners": sub.owners, "addresses": sub.addresses,
        "send_as": sub.send_as.get_username() if sub.send_as_id else None,
        "priority": sub.priority, "fallback_channel": sub.fallback_channel or None, "enabled": sub.enabled,
    }  # fmt: skip


URL_CHANNELS = ("webhook", "slack")  # their addresses are URLs (a Slack address may also be #channel)


def _url_problem(channel, addresses: list[str]) -> str | None:
    """An address of a URL channel that the outbound policy refuses by its form (http or https only)."""
    from dictamesh.outbound import OutboundRefused, check_url

    if channel not in URL_CHANNELS:
        return None
    for address in addresses:
        if channel == "slack" and address.startswith("#"):
            continue
        try:
            check_url(address)
        except OutboundRefused as exc:
            return f"{address[:100]!r}: {exc}"
    return None


def _clean(data: Any, *, partial: bool) -> tuple[dict, list | None, list | None]:
    if not isinstance(data, dict):
        raise ValidationError("A subscription is a JSON object.", fields={"body": "object"})
    errors = unknown_fields(data, FIELDS)
    out: dict[str, Any] = {}
    for key in () if partial else ("name", "event_types", "channel"):
        if key not in data:
            errors[key] = "required"
    if "name" in data:
        if isinstance(data["name"], str) and SLUG.match(data["name"]):
            out["name"] = data["name"]
        else:
            errors["name"] = "a slug"
    if "event_types" in data:
        types = data["event_types"]
        if isinstance(types, list) and types and all(isinstance(t, str) and t for t in types):
            out["event_types"] = types
        else:
            errors["event_types"] = 'a list of event types, e.g. ["dictamesh.schemas.subject.*"]'
    if "filter" in data:
        try:
            jmespath.compile(data["filter"]) if data["filter"] else None
            out["filter"] = data["filter"] or ""
        except (jmespath.exceptions.JMESPathError, TypeError) as exc:
            errors["filter"] = f"not a JMESPath expression: {exc}"
    for key, choices in (("channel", Channel.values), ("priority", Priority.values)):
        if key in data:
            if data[key] in choices:
                out[key] = data[key]
            else:
                errors[key] = f"one of {', '.join(choices)}"
    if "fallback_channel" in data:
        if data["fallback_channel"] in ("", None, *Channel.values):
            out["fallback_channel"] = data["fallback_channel"] or ""
        else:
            errors["fallback_channel"] = f"one of {', '.join(Channel.values)}"
    for key in ("owners", "enabled"):
        if key in data:
            if isinstance(data[key], bool):
                out[key] = data[key]
            else:
                errors[key] = "true or false"
    if "addresses" in data:
        if isinstance(data["addresses"], list) and all(isinstance(a, str) and a for a in data["addresses"]):
            out["addresses"] = data["addresses"]
            problem = _url_problem(data.get("channel"), data["addresses"])
            if problem:
                errors["addresses"] = problem
        else:
            errors["addresses"] = "a list of addresses"
    if "description" in data:
        out["description"] = str(data["description"])
    users = groups = None
    User = get_user_model()
    if "users" in data:
        names = data["users"] if _names(data["users"]) else None
        users = list(User.objects.filter(**{f"{User.USERNAME_FIELD}__in": names or []}))
        missing = sorted(set(names or []) - {u.get_username() for u in users}) if names is not None else ["?"]
        if missing:
            errors["users"] = f"unknown user {missing[0]!r}" if names is not None else "a list of user names"
    if "groups" in data:
        names = data["groups"] if _names(data["groups"]) else None
        groups = list(Group.objects.filter(name__in=names or []))
        missing = sorted(set(names or []) - {g.name for g in groups}) if names is not None else ["?"]
        if missing:
            errors["groups"] = (
                f"unknown group {missing[0]!r}" if names is not None else "a list of group names"
            )
    if "send_as" in data:  # whose rights outbound addresses are told with; none: anonymous
        name = data["send_as"]
        if name in (None, ""):
            out["send_as"] = None
        elif isinstance(name, str) and (found := User.objects.filter(**{User.USERNAME_FIELD: name}).first()):
            out["send_as"] = found
        else:
            errors["send_as"] = f"unknown user {name!r}" if isinstance(name, str) else "a user name, or null"
    if errors:
        raise ValidationError("The subscription is invalid.", fields=errors)
    return out, users, groups


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(name, str) for name in value)


@transaction.atomic
def subscription_save(*, data: Any, name: str | None = None) -> Subscription:
    fields, users, groups = _clean(data, partial=name is not None)
    if name is None:
        if Subscription.objects.filter(name=fields["name"]).exists():
            raise Conflict(f"A subscription named {fields['name']} exists.", fields={"name": "taken"})
        sub = Subscription.objects.create(**fields)
    else:
        sub = Subscription.objects.select_for_update().filter(name=name).first()
        if sub is None:
            raise NotFound(f"No subscription {name}.")
        for key, value in fields.items():
            setattr(sub, key, value)
        sub.save()
    if users is not None:
        sub.users.set(users)
    if groups is not None:
        sub.groups.set(groups)
    transaction.on_commit(matching.reset_cache)
    return sub


def subscription_delete(*, name: str) -> None:
    if not Subscription.objects.filter(name=name).delete()[0]:
        raise NotFound(f"No subscription {name}.")
    matching.reset_cache()


def preference_state(p: Preference) -> dict[str, Any]:
    return {
        "id": p.pk, "type": p.type, "channel": p.channel or None, "enabled": p.enabled, "digest": p.digest or None,
        "quiet_from": p.quiet_from.strftime("%H:%M") if p.quiet_from else None,
        "quiet_until": p.quiet_until.strftime("%H:%M") if p.quiet_until else None, "timezone": p.timezone,
    }  # fmt: skip


def _clock(value: Any, key: str, errors: dict) -> time | None:
    if value in (None, ""):
        return None
    try:
        return time.fromisoformat(value)
    except (TypeError, ValueError):
        errors[key] = "HH:MM"
        return None


def preference_set(*, user, data: Any) -> Preference:
    """Create or replace the user's preference for a type (or prefix*) and channel (or any)."""
    if not isinstance(data, dict):
        raise ValidationError("A preference is a JSON object.", fields={"body": "object"})
    errors = unknown_fields(
        data, ("type", "channel", "enabled", "quiet_from", "quiet_until", "timezone", "digest")
    )
    type_ = data.get("type", "*")
    if not isinstance(type_, str) or not type_ or len(type_) > 200:
        errors["type"] = "a notification type, or a prefix ending in *"
    channel = data.get("channel") or ""
    if channel and channel not in Channel.values:
        errors["channel"] = f"one of {', '.join(Channel.values)}, or empty for any"
    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        errors["enabled"] = "true or false"
    digest = data.get("digest") or ""
    if digest not in ("", "hourly", "daily"):
        errors["digest"] = "hourly, daily, or empty for at once"
    quiet_from = _clock(data.get("quiet_from"), "quiet_from", errors)
    quiet_until = _clock(data.get("quiet_until"), "quiet_until", errors)
    zone = data.get("timezone", "UTC")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        errors["timezone"] = "an IANA time zone, e.g. Europe/Paris"
    if (quiet_from is None) != (quiet_until is None) and "quiet_from" not in errors:
        errors["quiet_until" if quiet_until is None else "quiet_from"] = "quiet hours need a start and an end"
    if errors:
        raise ValidationError("The preference is invalid.", fields=errors)
    pref, _ = Preference.objects.update_or_create(
        user=user, type=type_, channel=channel,
        defaults={"enabled": enabled, "quiet_from": quiet_from, "quiet_until": quiet_until, "timezone": zone,
                  "digest": digest},
    )  # fmt: skip
    return pref


def preference_delete(*, user, pk: int) -> None:
    if not Preference.objects.filter(user=user, pk=pk).delete()[0]:
        raise NotFound(f"No preference {pk}.")
