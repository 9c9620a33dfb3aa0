"""From events to notifications: the subscriptions an event matches, their recipients, the words.

The ``notifications`` consumer calls ``event_received`` for every event of the deployment. Each matching
subscription gives one notification per recipient and channel, keyed ``<event id>:<subscription>:<recipient>``:
a redelivered event asks for the same notifications again, and gets the ones it already has.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from dataclasses import dataclass

import jmespath
from django.contrib.auth import get_user_model
from django.template import Context, Engine

from dictamesh import config_version
from dictamesh.events.router import matches_any

from .models import Channel, Subscription, Template
from .services import notify_many

logger = logging.getLogger("dictamesh.notifications")
ENGINE = Engine(autoescape=False, builtins=["django.templatetags.i18n"])  # plain text: e-mail, webhooks
DEFAULT_SUBJECT = "{{ event.type }}: {{ event.subject }}"
DEFAULT_BODY = (
    "{{ event.type }} on {{ event.subject }}{% if event.actor %} by {{ event.actor }}{% endif %}, "
    "at {{ event.time }}.\n\n{% for key, value in fields %}{{ key }}: {{ value }}\n{% endfor %}"
)
MAX_FIELDS, MAX_VALUE = 40, 200  # what the default body lists of an event's data
CACHE_SECONDS = 60.0  # a safety net: a change is seen at once through its config version
SUBSCRIPTIONS = "notifications.subscriptions"  # the config version of subscriptions and their recipients
TEMPLATES = "notifications.templates"


@dataclass(frozen=True)
class _Compiled:
    subscription: Subscription
    filter: object | None
    users: tuple
    group_users: tuple
    send_as: object | None = None  # the user outbound addresses are told as (None: anonymous)


_lock = threading.Lock()
_cache: tuple[int, float, list[_Compiled]] = (-1, 0.0, [])


def _subscriptions() -> list[_Compiled]:
    """Enabled subscriptions, compiled, kept while their config version holds (a consumer reads events by
    the thousand: one cache hit per batch): a subscription made now matches the next event."""
    global _cache
    version = config_version.current(SUBSCRIPTIONS)
    kept, stamp, found = _cache
    if kept == version and time.monotonic() - stamp < CACHE_SECONDS:
        return found
    with _lock:
        compiled = []
        subscriptions = Subscription.objects.filter(enabled=True).select_related("send_as")
        for sub in subscriptions.prefetch_related("users", "groups__user_set"):
            try:
                condition = jmespath.compile(sub.filter) if sub.filter else None
            except jmespath.exceptions.JMESPathError:
                logger.error("subscription %s has a filter that does not compile", sub.name)
                continue
            group_users = tuple(u for g in sub.groups.all() for u in g.user_set.all() if u.is_active)
            send_as = sub.send_as if sub.send_as is not None and sub.send_as.is_active else None
            compiled.append(
                _Compiled(
                    sub, condition, tuple(u for u in sub.users.all() if u.is_active), group_users, send_as
                )
            )
        _cache = (version, time.monotonic(), compiled)
        return compiled


def reset_cache() -> None:
    global _cache, _templates
    _cache = (-1, 0.0, [])
    _templates = (-1, 0.0, [])


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


_templates: tuple[int, float, list] = (-1, 0.0, [])


def _all_templates() -> list:
    """Every template, kept while their config version holds, like the subscriptions."""
    global _templates
    version = config_version.current(TEMPLATES)
    kept, stamp, found = _templates
    if kept != version or time.monotonic() - stamp >= CACHE_SECONDS:
        found = list(Template.objects.all())
        _templates = (version, time.monotonic(), found)
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


def readable(data: dict, prefix: str = "", out: list | None = None) -> list[tuple[str, str]]:
    """An event's data as ``(dotted key, text)`` lines a person reads: nested objects give dotted keys, lists
    their items joined, long values cut; at most MAX_FIELDS lines."""
    out = [] if out is None else out
    for key, value in data.items():
        if len(out) >= MAX_FIELDS:
            break
        label = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict) and value and prefix.count(".") < 3:
            readable(value, label, out)
            continue
        if isinstance(value, dict | list):
            text = (
                ", ".join(_scalar(v) for v in value)
                if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value)
                else json.dumps(value, default=str, ensure_ascii=False)
            )
        else:
            text = _scalar(value)
        out.append((label, text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"))
    return out


def _scalar(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def render(event, channel: str, recipient: str, language: str = "en") -> tuple[str, str]:
    """Subject and body in ``language``: its template, and gettext (``{% translate %}``) in that language."""
    from django.utils import translation

    subject_text, body_text = _template(event.type, channel, language)
    data = event.data if isinstance(event.data, dict) else {}
    context = Context({"event": event.as_dict() | {"data": data}, "fields": readable(data),
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
    statement (how many).

    Each recipient is told only what it may read (governance, as a read would decide it): a user as
    itself, an outbound address (webhook, Slack, SMS, …) as the subscription's ``send_as`` user, or as
    anonymous when it names none. An event the recipient may not see gives it nothing; its entity states
    are masked per recipient; the subscription's filter is asked of what the recipient sees (a filter is
    no oracle for hidden values); sensitive values a recipient is sent unmasked are audited as its reads."""
    compiled = _subscriptions()
    wanted = [(event, [c for c in compiled if matches_any(c.subscription.event_types, event.type)])
              for event in events]  # fmt: skip
    wanted = [(event, subs) for event, subs in wanted if subs]
    owners = _owners([e for e, subs in wanted if any(c.subscription.owners for c in subs)])
    languages: dict[int, str] = {}
    seen_as = _Recipients()
    requests = []
    for event, subs in wanted:
        for c in subs:
            sub = c.subscription
            users = {u.pk: u for u in (*c.users, *c.group_users)}
            if sub.owners:
                users.update((u.pk, u) for u in owners.get(event.id, ()))
            for address, user in _targets(sub, users):
                shown, view = seen_as.event(user or c.send_as, event)
                if shown is None or (c.filter is not None and not c.filter.search(view)):
                    continue
                if user is not None and user.pk not in languages:
                    languages[user.pk] = language_of(user)
                subject, body = render(shown, sub.channel, address, languages[user.pk] if user else "en")
                requests.append(
                    {
                        "type": event.type, "channel": sub.channel, "user": user, "subject": subject, "body": body,
                        "address": "" if sub.channel == Channel.INAPP else address, "payload": {"event": view},
                        "priority": sub.priority, "dedup_key": f"{event.id}:{sub.pk}:{address}"[:200],
                        "event_id": event.id, "fallback_channel": sub.fallback_channel,
                    }
                )  # fmt: skip
    notify_many(requests)
    seen_as.flush()
    return len(requests)


class _Recipients:
    """Each recipient's view of a batch's events (governance), worked out once per recipient and event."""

    def __init__(self):
        self.accesses: dict = {}
        self.views: dict = {}

    def event(self, user, event):
        from apps.governance import public as governance

        key = user.pk if user is not None else None
        acc = self.accesses.get(key)
        if acc is None:
            acc = self.accesses[key] = governance.access_for_user(user, context={"path": "notifications"})
        found = self.views.get((key, event.id))
        if found is None:
            (shown,) = governance.events_out(acc, [event])
            found = self.views[(key, event.id)] = (shown, shown.as_dict() if shown is not None else None)
        return found

    def flush(self) -> None:
        """Write what the recipients were sent unmasked (and denied) to the audit log, in this transaction."""
        for acc in self.accesses.values():
            acc.flush()


def _targets(sub: Subscription, users: dict) -> list[tuple[str, object]]:
    """(address, user) of each recipient: users in-app and by e-mail, explicit addresses elsewhere."""
    if sub.channel == Channel.INAPP:
        return [(f"user:{u.pk}", u) for u in users.values()]
    if sub.channel == Channel.EMAIL:
        return [(u.email, u) for u in users.values() if u.email] + [(a, None) for a in sub.addresses]
    return [(a, None) for a in sub.addresses]
