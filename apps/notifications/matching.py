"""From events to notifications: the subscriptions an event matches, their recipients, the words.

The ``notifications`` consumer calls ``event_received`` for every event of the deployment. Each matching
subscription gives one notification per recipient and channel, keyed ``<event id>:<subscription>:<recipient>``:
a redelivered event asks for the same notifications again, and gets the ones it already has.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass

import jmespath
from django.contrib.auth import get_user_model
from django.template import Context, Engine

from dictamesh.events.router import matches_any

from .models import Channel, Subscription, Template
from .services import notify_many

logger = logging.getLogger("dictamesh.notifications")
ENGINE = Engine(autoescape=False, builtins=["django.templatetags.i18n"])  # plain text: e-mail, webhooks
DEFAULT_SUBJECT = "{{ event.type }}: {{ event.subject }}"
DEFAULT_BODY = (
    "{{ event.type }} on {{ event.subject }}{% if event.actor %} by {{ event.actor }}{% endif %}, "
    "at {{ event.time }}.\n\n{% for key, value in event.data.items %}{{ key }}: {{ value }}\n{% endfor %}"
)
CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class _Compiled:
    subscription: Subscription
    filter: object | None
    users: tuple
    group_users: tuple


_lock = threading.Lock()
_cache: tuple[float, list[_Compiled]] = (0.0, [])


def _subscriptions() -> list[_Compiled]:
    """Enabled subscriptions, compiled, kept a few seconds (a consumer reads events by the thousand)."""
    global _cache
    stamp, found = _cache
    if time.monotonic() - stamp < CACHE_SECONDS:
        return found
    with _lock:
        compiled = []
        for sub in Subscription.objects.filter(enabled=True).prefetch_related("users", "groups__user_set"):
            try:
                condition = jmespath.compile(sub.filter) if sub.filter else None
            except jmespath.exceptions.JMESPathError:
                logger.error("subscription %s has a filter that does not compile", sub.name)
                continue
            group_users = tuple(u for g in sub.groups.all() for u in g.user_set.all() if u.is_active)
            compiled.append(
                _Compiled(sub, condition, tuple(u for u in sub.users.all() if u.is_active), group_users)
            )
        _cache = (time.monotonic(), compiled)
        return compiled


def reset_cache() -> None:
    global _cache, _templates
    _cache = (0.0, [])
    _templates = (0.0, [])


def _owners(events: list) -> dict[str, list]:
    """The users who own what each event is about, by event id: the owners of the catalog entity its subject
    names, and the principals its data lists as ``owners`` (an adapter's sync failure names its instance's).
    ``user:<name>`` and the members of ``group:<name>``, in three queries however many events."""
    from django.contrib.auth.models import Group

    from apps.catalog.public import entity_owners

    if not events:
        return {}
    catalog = entity_owners(urns=list(dict.fromkeys(e.subject for e in events)))
    principals: dict[str, list[str]] = {}
    for event in events:
        given = event.data.get("owners") if isinstance(event.data, dict) else None
        extra = [p for p in given if isinstance(p, str)] if isinstance(given, list) else []
        principals[event.id] = list(dict.fromkeys([*catalog.get(event.subject, []), *extra]))
    names = {p[5:] for ps in principals.values() for p in ps if p.startswith("user:")}
    groups = {p[6:] for ps in principals.values() for p in ps if p.startswith("group:")}
    User = get_user_model()
    by_name = {
        u.get_username(): u
        for u in User.objects.filter(**{f"{User.USERNAME_FIELD}__in": names}, is_active=True)
    }
    members = {
        g.name: [u for u in g.user_set.all() if u.is_active]
        for g in Group.objects.filter(name__in=groups).prefetch_related("user_set")
    }
    found = {}
    for event_id, ps in principals.items():
        users = [by_name[p[5:]] for p in ps if p.startswith("user:") and p[5:] in by_name]
        users += [u for p in ps if p.startswith("group:") for u in members.get(p[6:], [])]
        found[event_id] = users
    return found


_templates: tuple[float, list] = (0.0, [])


def _all_templates() -> list:
    """Every template, kept a few seconds like the subscriptions (read once per event otherwise)."""
    global _templates
    stamp, found = _templates
    if time.monotonic() - stamp >= CACHE_SECONDS:
        found = list(Template.objects.all())
        _templates = (time.monotonic(), found)
    return found


@functools.lru_cache(maxsize=512)
def _compiled(text: str):
    return ENGINE.from_string(text)


def _template(event_type: str, channel: str, language: str) -> tuple[str, str]:
    """The most specific template for the type and channel in the recipient's language, else in English."""
    templates = _all_templates()
    for lang in dict.fromkeys([language, "en"]):
        found = [
            t
            for t in templates
            if t.language == lang and matches_any([t.type], event_type) and t.channel in ("", channel)
        ]
        if found:
            best = max(found, key=lambda t: (not t.type.endswith("*"), len(t.type), t.channel == channel))
            return best.subject, best.body
    return DEFAULT_SUBJECT, DEFAULT_BODY


def language_of(user) -> str:
    if user is None:
        return "en"
    from .models import Profile

    profile = Profile.objects.filter(user=user).only("language").first()
    return profile.language if profile else "en"


def render(event, channel: str, recipient: str, language: str = "en") -> tuple[str, str]:
    """Subject and body in ``language``: its template, and gettext (``{% translate %}``) in that language."""
    from django.utils import translation

    subject_text, body_text = _template(event.type, channel, language)
    context = Context({"event": event.as_dict() | {"data": event.data if isinstance(event.data, dict) else {}},
                       "recipient": recipient, "language": language})  # fmt: skip
    with translation.override(language):
        subject = " ".join(_compiled(subject_text).render(context).split())
        body = _compiled(body_text).render(context)
    return subject[:300], body


def event_received(event) -> int:
    """The ``notifications`` consumer, one event: the notifications it asks for (how many)."""
    return events_received([event])


def events_received(events: list) -> int:
    """The ``notifications`` consumer, a batch of events: the notifications they ask for, written in one
    statement (how many)."""
    compiled = _subscriptions()
    views = {id(event): event.as_dict() for event in events}
    wanted = [(event, [c for c in compiled if _matches(c, event.type, views[id(event)])]) for event in events]
    owners = _owners([e for e, subs in wanted if any(c.subscription.owners for c in subs)])
    languages: dict[int, str] = {}
    requests = []
    for event, subs in wanted:
        view = views[id(event)]
        for c in subs:
            sub = c.subscription
            users = {u.pk: u for u in (*c.users, *c.group_users)}
            if sub.owners:
                users.update((u.pk, u) for u in owners.get(event.id, ()))
            for address, user in _targets(sub, users):
                if user is not None and user.pk not in languages:
                    languages[user.pk] = language_of(user)
                subject, body = render(event, sub.channel, address, languages[user.pk] if user else "en")
                requests.append(
                    {
                        "type": event.type, "channel": sub.channel, "user": user, "subject": subject, "body": body,
                        "address": "" if sub.channel == Channel.INAPP else address, "payload": {"event": view},
                        "priority": sub.priority, "dedup_key": f"{event.id}:{sub.pk}:{address}"[:200],
                        "event_id": event.id, "fallback_channel": sub.fallback_channel,
                    }
                )  # fmt: skip
    notify_many(requests)
    return len(requests)


def _matches(compiled: _Compiled, event_type: str, view: dict) -> bool:
    if not matches_any(compiled.subscription.event_types, event_type):
        return False
    return compiled.filter is None or bool(compiled.filter.search(view))


def _targets(sub: Subscription, users: dict) -> list[tuple[str, object]]:
    """(address, user) of each recipient: users in-app and by e-mail, explicit addresses elsewhere."""
    if sub.channel == Channel.INAPP:
        return [(f"user:{u.pk}", u) for u in users.values()]
    if sub.channel == Channel.EMAIL:
        return [(u.email, u) for u in users.values() if u.email] + [(a, None) for a in sub.addresses]
    return [(a, None) for a in sub.addresses]
