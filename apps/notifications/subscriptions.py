"""Writes of subscriptions and preferences (REST, GraphQL; the admin edits the same rows)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from dictamesh.errors import Conflict, NotFound, ValidationError

from . import matching
from .contracts import PreferenceIn, SubscriptionIn
from .models import Preference, Subscription


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


@transaction.atomic
def subscription_save(*, subscription: SubscriptionIn, name: str | None = None) -> Subscription:
    """Create (``name`` None) or change a subscription: only the fields sent change."""
    fields = subscription.sent()
    users, groups = fields.pop("users", None), fields.pop("groups", None)
    User = get_user_model()
    if "send_as" in fields:  # whose rights outbound addresses are told with; none: anonymous
        fields["send_as"] = User.objects.filter(**{User.USERNAME_FIELD: fields["send_as"]}).first()
    if name is None:
        if Subscription.objects.filter(name=fields["name"]).exists():
            raise Conflict(f"A subscription named {fields['name']} exists.", fields={"name": "taken"})
        sub = Subscription(**fields)
    else:
        sub = Subscription.objects.select_for_update().filter(name=name).first()
        if sub is None:
            raise NotFound(f"No subscription {name}.")
        for key, value in fields.items():
            setattr(sub, key, value)
    sent_to = "addresses" in fields or "channel" in fields  # the addresses as the channel they are sent on
    if sent_to and (problem := _url_problem(sub.channel, sub.addresses)):
        raise ValidationError("The subscription is invalid (addresses).", fields={"addresses": problem})
    sub.save()
    if users is not None:
        sub.users.set(User.objects.filter(**{f"{User.USERNAME_FIELD}__in": users}))
    if groups is not None:
        sub.groups.set(Group.objects.filter(name__in=groups))
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


def preference_set(*, user, preference: PreferenceIn) -> Preference:
    """Create or replace the user's preference for a type (or prefix*) and channel (or any)."""
    p = preference
    pref, _ = Preference.objects.update_or_create(
        user=user, type=p.type, channel=p.channel,
        defaults={"enabled": p.enabled, "quiet_from": p.quiet_from, "quiet_until": p.quiet_until,
                  "timezone": p.timezone, "digest": p.digest},
    )  # fmt: skip
    return pref


def preference_delete(*, user, pk: int) -> None:
    if not Preference.objects.filter(user=user, pk=pk).delete()[0]:
        raise NotFound(f"No preference {pk}.")
