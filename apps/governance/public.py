"""What other apps may use of governance (import only this module and contracts.py).

The decision point is ``authorize``; the rest applies it to the shapes other apps return (catalog entity
states, their history and diffs), so every path that lets data out asks the same question the same way.
"""

from __future__ import annotations

import threading

from cachetools import TTLCache
from django.db.models import Q

from .access import Access
from .contracts import Actor, Decision, Resource
from .entities import (  # noqa: F401 - the entity decisions other apps use, through this module
    GOVERNED_ATTRIBUTES,
    entities_out,
    entity_diff_out,
    entity_governed_changes,
    entity_out,
    entity_resource,
    entity_visible_sql,
    entity_write_problem,
    masked_state,
    record_out,
    sensitive_fields,
)
from .expressions import Sql

__all__ = [
    "Access",
    "Actor",
    "Decision",
    "Resource",
    "Sql",
    "access",
    "access_for_user",
    "authorize",
    "entities_out",
    "entity_diff_out",
    "entity_out",
    "entity_resource",
    "entity_visible_sql",
    "entity_write_problem",
    "events_out",
]


def access(request) -> Access:
    """The caller's access for this request (made once; audited when the request ends)."""
    return Access.of(request)


def access_for_user(user, *, context: dict | None = None) -> Access:
    """Access outside a request (commands, tasks): call ``flush()`` when done to write the audit."""
    return Access(user, context=context)


def authorize(*, action: str, resource: Resource, request=None, user=None) -> Decision:
    """Whether the caller (a request's, or a user) may do ``action`` to ``resource``, and why."""
    acc = Access.of(request) if request is not None else Access(user)
    return acc.decide(action, resource)


ENTITY_TOPIC = "dictamesh.catalog.entity.v1"
RELATIONSHIP_TOPIC = "dictamesh.catalog.relationship.v1"
PRIVATE_TOPICS = (  # the audit, policies, tokens, adapter configurations, notification settings: stewards only
    "dictamesh.governance.",
    "dictamesh.auth.",
    "dictamesh.adapters.instance.",
    "dictamesh.notifications.",
    "dictamesh.saga.",  # sagas run data-subject requests: what they are about is the stewards' business
)
SCHEMA_TOPICS = "dictamesh.schemas."
_REFERENCE_PREFIXES = ("dm:", "dataset:", "job:")


def _references(value, found: set[str], budget: list[int]) -> None:
    """Strings in an event's payload that name an entity (``dm:…``) or a lineage node (``dataset:…``)."""
    stack = [value]
    while stack and budget[0] > 0:
        item = stack.pop()
        budget[0] -= 1
        if isinstance(item, str):
            if item.startswith(_REFERENCE_PREFIXES) and len(item) < 2048:
                found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _hidden_references(acc: Access, rows: list) -> dict[int, bool]:
    """{row index: whether the event names an entity (directly, or through a lineage node linked to one)
    that the caller may not read}, for the rows of other apps' topics."""
    from apps.catalog.public import urns_visible
    from apps.lineage.public import node_entity_urns

    named: dict[int, set[str]] = {}
    for i, row in enumerate(rows):
        found: set[str] = set()
        budget = [5_000]
        for value in (row.subject, row.data, row.before, row.after):
            _references(value, found, budget)
        if found:
            named[i] = found
    if not named:
        return {}
    everything = sorted({ref for refs in named.values() for ref in refs})
    linked = node_entity_urns(keys=[r for r in everything if not r.startswith("dm:")])
    urns = sorted({r for r in everything if r.startswith("dm:")} | set(linked.values()))
    sql = entity_visible_sql(acc, "{e}")
    if sql is None:
        return {}
    from apps.catalog.public import entity_ids

    live = set(entity_ids(urns=urns))
    readable = urns_visible(urns=sorted(live), visible=(sql[0], tuple(sql[1])))
    hidden = live - readable
    out = {}
    for i, refs in named.items():
        urns_of = {linked.get(r, r) for r in refs}
        out[i] = bool(urns_of & hidden)
    return out


def event_log_guard(request, rows: list) -> list:
    """The event log rows (EventLog) the caller may see: entity events of entities it may read, their states
    masked as the catalog would show them; relationship events whose two ends it may read; audit, policy,
    token, adapter-configuration and notification-settings events to those who may read governance; schema
    events of subjects it may read; and other events only when nothing they name (an entity, or a lineage
    node linked to one) is hidden from it."""
    return rows_out(Access.of(request), rows)


def rows_out(acc: Access, rows: list) -> list:
    """``event_log_guard`` for an access (a request's, or a recipient's): rows with ``topic``, ``subject``,
    ``data``, ``before`` and ``after``, filtered and masked in place."""
    from apps.catalog.public import urns_visible

    shown = []
    governance_ok: bool | None = None
    states = [
        r.after or r.before for r in rows if r.topic == ENTITY_TOPIC and isinstance(r.after or r.before, dict)
    ]
    infos = sensitive_fields(acc, sorted({s["urn"] for s in states if "urn" in s}))
    ends: set[str] = set()
    for row in rows:
        if row.topic == RELATIONSHIP_TOPIC and isinstance(row.data, dict):
            ends.update(u for u in (row.data.get("source"), row.data.get("target")) if isinstance(u, str))
    sql = entity_visible_sql(acc, "{e}")
    readable = urns_visible(urns=sorted(ends), visible=None if sql is None else (sql[0], tuple(sql[1])))
    others = [
        row for row in rows if row.topic not in (ENTITY_TOPIC, RELATIONSHIP_TOPIC)
        and not row.topic.startswith(PRIVATE_TOPICS)
    ]  # fmt: skip
    hidden_other = _hidden_references(acc, others)
    hidden_rows = {id(others[i]) for i, hidden in hidden_other.items() if hidden}
    subjects = sorted({r.subject for r in others if r.topic.startswith(SCHEMA_TOPICS) and r.subject})
    subjects_ok = schemas_readable(acc, subjects) if subjects else set()
    for row in rows:
        if row.topic.startswith(PRIVATE_TOPICS):
            if governance_ok is None:
                governance_ok = acc.can("read", Resource(kind="governance", urn="governance"))
            if governance_ok or _named_on_request(acc, row):
                shown.append(row)
        elif row.topic == ENTITY_TOPIC:
            state = row.after or row.before
            if not isinstance(state, dict) or "urn" not in state:
                continue
            fields = infos.get(state["urn"], {})
            resource = entity_resource(state, fields)
            if not acc.can("read", resource):
                continue
            for name in ("before", "after"):
                value = getattr(row, name)
                if isinstance(value, dict) and "urn" in value:
                    setattr(row, name, masked_state(acc, value, fields, entity_resource(value, fields)))
            if isinstance(row.data, dict) and isinstance(row.data.get("entity"), dict):
                row.data = {**row.data, "entity": row.after}
            shown.append(row)
        elif row.topic == RELATIONSHIP_TOPIC:
            data = row.data if isinstance(row.data, dict) else {}
            if data.get("source") in readable and data.get("target") in readable:
                shown.append(row)
        elif (
            id(row) in hidden_rows
            or row.topic.startswith(SCHEMA_TOPICS)
            and row.subject
            and row.subject not in subjects_ok
        ):
            continue
        else:
            shown.append(row)
    return shown


DSR_TOPIC = "dictamesh.governance.dsr.v1"


def _named_on_request(acc: Access, row) -> bool:
    """A data-subject request's event is also shown to those it names (its steward, the owners of the
    sources it involves): its reminders reach them. It never carries the subject's identifiers."""
    if (
        row.topic != DSR_TOPIC
        or not isinstance(row.data, dict)
        or not isinstance(row.data.get("owners"), list)
    ):
        return False
    return not acc.actor.principals.isdisjoint(p for p in row.data["owners"] if isinstance(p, str))


def topic_of(event_type: str) -> str:
    """The topic an event type is published on: ``dictamesh.<app>.<entity>.v1``."""
    return ".".join(event_type.split(".")[:3]) + ".v1"


def events_out(acc: Access, events: list) -> list:
    """Envelope events (``dictamesh.events.envelope.Event``) as this access may see them, in order: None
    where it may see nothing of the event, else the event with its entity state masked as a read would
    mask it (notifications render these, per recipient). Unmasked sensitive values are noted for the
    access's audit (``flush``)."""
    from types import SimpleNamespace

    rows = []
    for event in events:
        data = event.data
        if isinstance(data, dict):
            data = dict(data)
        entity = data.get("entity") if isinstance(data, dict) else None
        rows.append(SimpleNamespace(topic=topic_of(event.type), subject=event.subject, data=data,
                                    before=None, after=entity if isinstance(entity, dict) else None))  # fmt: skip
    shown = {id(row) for row in rows_out(acc, rows)}
    return [
        event.with_data(row.data) if id(row) in shown else None
        for event, row in zip(events, rows, strict=True)
    ]


# ------------------------------------------------------------------------------------------- schemas
def schema_resources(subjects: list[str]) -> dict[str, Resource]:
    """Each schema subject as a resource: it carries the attributes of the entities whose data contract it
    is (the most sensitive one's classification and domain, every tag and owner), so a restricted
    entity's contract is as restricted as the entity."""
    from apps.catalog.public import schema_owners

    from .contracts import most_sensitive

    links = schema_owners(subjects=sorted(set(subjects)))
    out = {}
    for subject in subjects:
        entities = links.get(subject, [])
        if not entities:
            out[subject] = Resource(kind="schema", subject=subject)
            continue
        level = "public"
        for ref in entities:
            level = most_sensitive(level, ref.classification)
        first = next(ref for ref in entities if ref.classification == level)
        out[subject] = Resource(
            kind="schema",
            subject=subject,
            urn=first.urn,
            type=first.type,
            domain=first.domain,
            source=first.source,
            classification=level,
            tags=tuple(sorted({t for ref in entities for t in ref.tags})),
            owners=tuple(sorted({o for ref in entities for o in ref.owners})),
        )
    return out


# (policy version, actor, schema owners' generation, subject) -> True: subjects decided readable, for as
# long as the owners they were decided on stay in the process cache (its L1 time to live), so that should
# its invalidations stop arriving (Redis down), an answer is as stale as that cache and no more
_READABLE: TTLCache | None = None
_READABLE_LOCK = threading.Lock()


def _readable_memo() -> TTLCache:
    global _READABLE
    if _READABLE is None:
        from django.conf import settings

        _READABLE = TTLCache(maxsize=20_000, ttl=settings.DICTAMESH_CATALOG_L1_TTL_SECONDS)
    return _READABLE


def schemas_readable(acc: Access, subjects: list[str]) -> set[str]:
    """The subjects among ``subjects`` the caller may read (one catalog query for them all).

    The registry asks at every read, so a subject decided readable is remembered in this process for the
    caller at this policy version while the subjects' owners cached here have not moved: the answer can
    change only with a policy or the caller's groups and roles (the version moves) or with the entities
    whose contract the subject is (their cache's generation moves, here, when any is dropped). Never in a
    transaction (it may see writes that are then rolled back); a denial is decided every time, and audited.
    """
    from django.db import connection

    from apps.catalog.public import schema_owners_generation

    wanted = list(dict.fromkeys(subjects))
    stamp = None
    known: set[str] = set()
    if not connection.in_atomic_block:
        # the generation before the owners are read: a drop while they are read is not stamped as seen
        stamp = (acc.policies.version, acc.actor, schema_owners_generation())
        with _READABLE_LOCK:
            memo = _readable_memo()
            known = {s for s in wanted if memo.get((stamp, s))}
        if len(known) == len(wanted):
            return known
        wanted = [s for s in wanted if s not in known]
    resources = schema_resources(wanted)
    readable = {s for s, r in resources.items() if acc.can("read", r)}
    if stamp is not None and readable:
        with _READABLE_LOCK:
            memo = _readable_memo()
            for subject in readable:
                memo[(stamp, subject)] = True
    return readable | known


def schema_decide(acc: Access, action: str, subject: str) -> Decision:
    return acc.decide(action, schema_resources([subject])[subject])


def structure_decide(acc: Access, action: str, *, domain: str = "", source: str = "") -> Decision:
    """The catalog's structure: creating a domain is ``manage`` on the domain; registering a source system
    (which adapters and entities then name) is ``manage`` on governance's ``catalog:sources``. Both are
    stewards' (staff) by default; a policy may allow others."""
    if domain:
        return acc.decide(action, Resource(kind="domain", urn=f"domain:{domain}", domain=domain))
    return acc.decide(action, Resource(kind="governance", urn="catalog:sources", source=source))


def _ref_resource(ref, kind: str) -> Resource:
    from dataclasses import replace

    resource = entity_resource(
        {"urn": ref.urn, "type": ref.type, "domain": ref.domain, "source": ref.source,
         "classification": ref.classification, "tags": ref.tags, "owners": [{"principal": o} for o in ref.owners]}
    )  # fmt: skip
    return replace(resource, kind=kind)


def linked_decide(acc: Access, action: str, urn: str, *, kind: str = "lineage") -> Decision:
    """A decision on something linked to the catalog entity ``urn`` (a lineage node): the entity's
    attributes, as a resource of ``kind``. Without such an entity, a resource with only its URN."""
    from apps.catalog.public import entity_ref

    ref = entity_ref(urn=urn) if urn else None
    if ref is None:
        return acc.decide(action, Resource(kind=kind, urn=urn))
    return acc.decide(action, _ref_resource(ref, kind))


def linked_refused(acc: Access, action: str, urns: list[str], *, kind: str = "lineage") -> list[str]:
    """The URNs among ``urns`` of live catalog entities on whose linked ``kind`` resources the caller may not
    ``action`` (one catalog read for them all, or none: see ``entity_refs``; none for a superuser). URNs
    with no entity are not refused."""
    from apps.catalog.public import entity_refs

    if not urns or acc.actor.superuser:
        return []
    refs = entity_refs(urns=sorted(set(urns)))
    return sorted(urn for urn, ref in refs.items() if not acc.can(action, _ref_resource(ref, kind)))


def attention() -> list[dict]:
    """What waits for a steward in governance: the home page's "needs attention" (``{what, count, href}``)."""
    from .selectors import suggestions_waiting

    return [
        {
            "what": "PII suggestions to confirm",
            "count": suggestions_waiting(),
            "href": "/admin/governance/fieldclassification/?status__exact=suggested",
        }
    ]


def sensitive_readers(request, *, urn: str, limit: int = 20) -> list[dict] | None:
    """Who read ``urn``'s sensitive fields (per user: how many reads, first and last), for a caller who may read
    governance's audit; None for one who may not (the page then says nothing of it)."""
    from .explain import GOVERNANCE
    from .reports import ReportQuery, access_report

    if not Access.of(request).can("read", GOVERNANCE):
        return None
    return access_report(ReportQuery(kind="sensitive_read", group="user", urn=urn, limit=limit))["groups"]


def fields_detect(*, urn: str, rows: list[dict]) -> list[dict]:
    """Run the PII detectors over sample rows of an entity; the suggestions kept (a decided field keeps its
    decision)."""
    from .classification import fields_detect as detect

    return detect(urn=urn, rows=rows, properties=False)


def field_confirm(*, pk: int, actor: str) -> dict:
    from .classification import field_decide

    return field_decide(pk=pk, confirm=True, actor=actor)


# ------------------------------------------------------------------------------ data-subject requests
def dsr_decide(*, action: str, reference: str, assignee: str = "", request=None, user=None) -> Decision:
    """May the caller ``read`` or ``manage`` the data-subject request ``reference``? A request is governance's:
    stewards (staff) by default, and any policy on ``governance`` resources (its steward is its owner,
    ``user:<assignee>``, for policies that allow owners)."""
    owners = (f"user:{assignee}",) if assignee else ()
    resource = Resource(kind="governance", urn=f"dsr:{reference}", owners=owners, classification="restricted")
    return authorize(action=action, resource=resource, request=request, user=user)


def pii_fields(*, categories: list[str]) -> list[dict]:
    """The fields classified as one of these PII categories, confirmed by a steward or copied along lineage
    from a confirmed one: ``{urn, path, category, via, origin}`` (``via``: the detector, or lineage)."""
    from .models import FieldClassification, Status

    rows = (
        FieldClassification.objects.filter(pii_category__in=categories)
        .exclude(status=Status.REJECTED)
        .filter(Q(status=Status.CONFIRMED) | Q(origin__isnull=False))
        .select_related("origin")
        .order_by("urn", "path")
    )
    return [
        {"urn": r.urn, "path": r.path, "category": r.pii_category, "via": "lineage" if r.origin_id else r.detector,
         "origin": f"{r.origin.urn}#{r.origin.path}" if r.origin_id else ""}
        for r in rows
    ]  # fmt: skip


def legal_hold_on(*, urn: str, domain: str = "") -> str | None:
    """The active legal hold that covers this entity (its name), or None."""
    from .models import LegalHold
    from .retention import _held

    return _held({"urn": urn, "domain": domain}, list(LegalHold.objects.filter(active=True).order_by("name")))


def consents_withdraw(*, subject: str, evidence: str, actor: str, purpose: str | None = None) -> list[str]:
    """Withdraw every consent of ``subject`` in force (a data-subject request), or only ``purpose`` (recorded
    as withdrawn even if it was never given: an opt-out): the purposes withdrawn."""
    from .consent import consent_record, consents_of
    from .contracts import ConsentIn

    def withdraw(name: str, version: str) -> None:
        consent_record(record=ConsentIn(subject=subject, purpose=name, status="withdrawn", version=version,
                                        source="data-subject request", evidence={"request": evidence}),
                       actor=actor)  # fmt: skip

    in_force = {state["purpose"]: state for state in consents_of(subject=subject) if state["in_force"]}
    if purpose is not None:
        withdraw(purpose, in_force[purpose]["version"] if purpose in in_force else "opt-out")
        return [purpose]
    for name, state in in_force.items():
        withdraw(name, state["version"])
    return sorted(in_force)


def subject_key(value: str) -> tuple[str, str]:
    """A data subject's identifier as governance keeps it: its keyed hash (how consents are looked up) and a
    masked hint for people (``c*****@example.com``)."""
    from .consent import _hint, subject_hash

    return subject_hash(value), _hint(value)
