"""Writes of the notifications' configuration: subscriptions, preferences and templates (REST, GraphQL and
the admin). Each change is an event on ``dictamesh.notifications.config.v1``, in the transaction of the
change; the consumers' compiled subscriptions and templates follow the config version (apps.py)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from dictamesh.errors import Conflict, NotFound, ValidationError
from dictamesh.events import publish
from dictamesh.events.context import user_principal

from . import events, matching
from .contracts import PreferenceIn, SubscriptionIn
from .models import Preference, Subscription, Template


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
def subscription_save(
    *, subscription: SubscriptionIn, name: str | None = None, actor: str | None = None
) -> Subscription:
    """Create (``name`` None) or change a subscription: only the fields sent change."""
    fields = subscription.sent()
    users, groups = fields.pop("users", None), fields.pop("groups", None)
    User = get_user_model()
    if "send_as" in fields:  # whose rights outbound addresses are told with; none: anonymous
        fields["send_as"] = User.objects.filter(**{User.USERNAME_FIELD: fields["send_as"]}).first()
    if name is None:
        if Subscription.objects.filter(name=fields["name"]).exists():
            raise Conflict(f"A subscription named {fields['name']} exists.", fields={"name": "taken"})
        sub, before = Subscription(**fields), None
    else:
        sub = Subscription.objects.select_for_update().filter(name=name).first()
        if sub is None:
            raise NotFound(f"No subscription {name}.")
        before = subscription_state(sub)
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
    subscription_recorded(subscription=sub, before=before, actor=actor)
    return sub


@transaction.atomic
def subscription_recorded(
    *, subscription: Subscription, before: dict | None, actor: str | None = None
) -> None:
    """The event of a subscription saved (by the services, or by the admin with its members)."""
    after = subscription_state(subscription)
    if before == after:
        return
    kind = events.SUBSCRIPTION_CREATED if before is None else events.SUBSCRIPTION_UPDATED
    changed = sorted(k for k in after if before is None or before.get(k) != after[k])
    before, after = _without_secrets(before), _without_secrets(after)
    publish(type=kind, subject=f"subscription:{subscription.name}", data={**after, "changed_fields": changed},
            before=before, after=after, actor=actor, topic=events.CONFIG_TOPIC.name)  # fmt: skip


def _without_secrets(state: dict | None) -> dict | None:
    """A subscription's state as its events carry it: a webhook's or Slack's URL is a bearer secret (whoever
    has it may post), so only its scheme and host are told."""
    if state is None or state["channel"] not in URL_CHANNELS:
        return state
    shown = []
    for address in state["addresses"]:
        parts = urlsplit(address)
        shown.append(address if address.startswith("#") else f"{parts.scheme}://{parts.hostname or ''}/…")
    return {**state, "addresses": shown}
    transaction.on_commit(matching.reset_cache)


@transaction.atomic
def subscription_delete(*, name: str, actor: str | None = None) -> None:
    sub = Subscription.objects.select_for_update().filter(name=name).first()
    if sub is None:
        raise NotFound(f"No subscription {name}.")
    before = _without_secrets(subscription_state(sub))
    sub.delete()
    publish(type=events.SUBSCRIPTION_DELETED, subject=f"subscription:{name}", data={"name": name, "deleted": True},
            before=before, actor=actor, topic=events.CONFIG_TOPIC.name)  # fmt: skip
    transaction.on_commit(matching.reset_cache)


def preference_state(p: Preference) -> dict[str, Any]:
    return {
        "id": p.pk, "type": p.type, "channel": p.channel or None, "enabled": p.enabled, "digest": p.digest or None,
        "quiet_from": p.quiet_from.strftime("%H:%M") if p.quiet_from else None,
        "quiet_until": p.quiet_until.strftime("%H:%M") if p.quiet_until else None, "timezone": p.timezone,
    }  # fmt: skip


@transaction.atomic
def preference_set(*, user, preference: PreferenceIn) -> Preference:
    """Create or replace the user's preference for a type (or prefix*) and channel (or any)."""
    p = preference
    pref, _ = Preference.objects.update_or_create(
        user=user, type=p.type, channel=p.channel,
        defaults={"enabled": p.enabled, "quiet_from": p.quiet_from, "quiet_until": p.quiet_until,
                  "timezone": p.timezone, "digest": p.digest},
    )  # fmt: skip
    _preference_event(events.PREFERENCE_SET, user, preference_state(pref))
    return pref


def _preference_event(kind: str, user, state: dict) -> None:
    """Keyed by the user: their preferences change in order. Only the user and stewards read them."""
    who = user_principal(user)
    publish(type=kind, subject=f"preference:{who}:{state['id']}", key=who, data={**state, "user": who},
            actor=who, topic=events.CONFIG_TOPIC.name)  # fmt: skip


@transaction.atomic
def preference_delete(*, user, pk: int) -> None:
    pref = Preference.objects.filter(user=user, pk=pk).first()
    if pref is None:
        raise NotFound(f"No preference {pk}.")
    state = preference_state(pref)
    pref.delete()
    _preference_event(events.PREFERENCE_DELETED, user, {**state, "deleted": True})


def template_state(template: Template) -> dict[str, Any]:
    return {"type": template.type, "channel": template.channel or None, "language": template.language,
            "subject": template.subject, "body": template.body}  # fmt: skip


@transaction.atomic
def template_recorded(*, template: Template, before: dict | None, actor: str | None = None) -> None:
    """The event of a template the admin saved (templates are edited there, with a preview)."""
    after = template_state(template)
    if before != after:
        publish(type=events.TEMPLATE_CHANGED, subject=f"template:{template}", data=after, before=before,
                after=after, actor=actor, topic=events.CONFIG_TOPIC.name)  # fmt: skip
    transaction.on_commit(matching.reset_cache)


@transaction.atomic
def template_delete(*, template: Template, actor: str | None = None) -> None:
    before = template_state(template)
    label = str(template)
    template.delete()
    publish(type=events.TEMPLATE_DELETED, subject=f"template:{label}", data={**before, "deleted": True},
            before=before, actor=actor, topic=events.CONFIG_TOPIC.name)  # fmt: skip
    transaction.on_commit(matching.reset_cache)
