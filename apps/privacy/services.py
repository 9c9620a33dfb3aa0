"""Data-subject requests: receive, verify, assign, extend, discover, approve (the saga runs it), cancel,
reject, close; reminders before the deadline. Every change is one transaction with its event
(``dictamesh.governance.dsr.*``, naming the steward and the sources' owners, never the identifiers)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.governance import public as governance
from dictamesh.errors import Conflict, NotFound, ValidationError
from dictamesh.events import publish
from dictamesh.saga import engine

from . import events
from .contracts import ExtendIn, RequestIn
from .models import CLOSED, ERASING, EXPORTING, Jurisdiction, Kind, State, SubjectRequest
from .sealing import seal_json, unseal_json

CCPA_KINDS = (Kind.KNOW, Kind.DELETE, Kind.OPT_OUT)
CONFIRMING = (Kind.RECTIFICATION, Kind.RESTRICTION, Kind.OPT_OUT)
SAGA_OF = {**dict.fromkeys(EXPORTING, "dsr_access"), **dict.fromkeys(ERASING, "dsr_erasure"),
           **dict.fromkeys(CONFIRMING, "dsr_confirm")}  # fmt: skip


def deadline_of(req: SubjectRequest) -> datetime:
    return req.due_at + timedelta(days=req.extended_by_days)


def _first_due(jurisdiction: str, received: datetime) -> datetime:
    return received + (
        relativedelta(months=1) if jurisdiction == Jurisdiction.GDPR else relativedelta(days=45)
    )


def _latest_allowed(jurisdiction: str, received: datetime) -> datetime:
    return received + (
        relativedelta(months=3) if jurisdiction == Jurisdiction.GDPR else relativedelta(days=90)
    )


def owners_of(req: SubjectRequest) -> list[str]:
    """Who a request's events are for: its steward and the owners of the sources its plan involves."""
    found = [f"user:{req.assignee}"] if req.assignee else []
    for place in req.plan:
        found += place.get("owners", [])
    return list(dict.fromkeys(found))


def _event(req: SubjectRequest, type_: str, *, actor: str, **extra) -> None:
    deadline = deadline_of(req)
    data = {"reference": req.reference, "kind": req.kind, "jurisdiction": req.jurisdiction, "state": req.state,
            "assignee": req.assignee, "deadline": deadline.isoformat(),
            "sources": sorted({p["source"] for p in req.plan}), "owners": owners_of(req), **extra}  # fmt: skip
    publish(type=type_, subject=f"dsr:{req.reference}", key=req.reference, data=data,
            topic=events.DSR_TOPIC.name, actor=actor)  # fmt: skip


def _save(req: SubjectRequest, *fields: str) -> None:
    req.updated_at = timezone.now()
    req.save(update_fields=[*fields, "updated_at"])


def _locked(reference: str) -> SubjectRequest:
    pk = parse_reference(reference)
    req = SubjectRequest.objects.select_for_update().filter(pk=pk).first()
    if req is None:
        raise NotFound(f"No data-subject request {reference}.")
    return req


def parse_reference(reference: str | int) -> int:
    text = str(reference).strip().upper()
    digits = text[4:] if text.startswith("DSR-") else text
    if not digits.isdigit():
        raise NotFound(f"No data-subject request {reference}.")
    return int(digits)


def values_of(req: SubjectRequest) -> dict[str, list[str]]:
    """The clear identifiers (only while the request is open)."""
    sealed = unseal_json(req.sealed) or {}
    return sealed.get("identifiers", {})


def keys_of(req: SubjectRequest, place_id: str) -> list[str]:
    sealed = unseal_json(req.sealed) or {}
    return sealed.get("keys", {}).get(place_id, [])


def _check_assignee(username: str) -> None:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if username and not User.objects.filter(**{User.USERNAME_FIELD: username}, is_active=True).exists():
        raise ValidationError(f"No active user {username}.", fields={"assignee": "an active user name"})


@transaction.atomic
def request_create(*, request: RequestIn, actor: str) -> SubjectRequest:
    _check_assignee(request.assignee)
    jurisdiction = request.jurisdiction or (
        Jurisdiction.CCPA if request.kind in CCPA_KINDS else Jurisdiction.GDPR
    )
    received = request.received_at or timezone.now()
    identifiers = []
    for kind, values in request.identifiers.items():
        for value in values:
            digest, hint = governance.subject_key(value)
            identifiers.append({"type": kind, "hash": digest, "hint": hint})
    req = SubjectRequest.objects.create(
        kind=request.kind, jurisdiction=jurisdiction, identifiers=identifiers,
        sealed=seal_json({"identifiers": request.identifiers, "keys": {}}), assignee=request.assignee,
        received_at=received, due_at=_first_due(jurisdiction, received), note=request.note, created_by=actor,
    )  # fmt: skip
    _event(req, events.RECEIVED, actor=actor)
    return req


@transaction.atomic
def request_verify(*, reference: str, verified: bool, method: str, actor: str) -> SubjectRequest:
    req = _locked(reference)
    if req.state != State.RECEIVED:
        raise Conflict(
            f"{req.reference} is {req.state}: its identity was decided.", fields={"state": req.state}
        )
    req.verification, req.verification_note = ("verified" if verified else "failed"), method
    req.verified_by, req.verified_at = actor, timezone.now()
    if verified:
        req.state = State.VERIFIED
        _save(req, "verification", "verification_note", "verified_by", "verified_at", "state")
        _event(req, events.VERIFIED, actor=actor, method=method)
    else:
        _close(req, State.REJECTED, actor=actor, reason=f"identity not verified: {method}")
    return req


@transaction.atomic
def request_assign(*, reference: str, assignee: str, actor: str) -> SubjectRequest:
    req = _locked(reference)
    _open(req)
    _check_assignee(assignee)
    req.assignee = assignee
    _save(req, "assignee")
    _event(req, events.ASSIGNED, actor=actor)
    return req


@transaction.atomic
def request_extend(*, reference: str, extension: ExtendIn, actor: str) -> SubjectRequest:
    req = _locked(reference)
    _open(req)
    latest = _latest_allowed(req.jurisdiction, req.received_at)
    if deadline_of(req) + timedelta(days=extension.days) > latest:
        left = max(0, (latest - deadline_of(req)).days)
        limit = "two months" if req.jurisdiction == Jurisdiction.GDPR else "45 days"
        raise ValidationError(f"{req.jurisdiction.upper()} allows extending by {limit} in all: {left} days left.",
                              fields={"days": f"at most {left}"})  # fmt: skip
    req.extended_by_days += extension.days
    req.extension_reason = "\n".join(filter(None, [req.extension_reason, extension.reason]))
    req.reminders = [r for r in req.reminders if r == "received"]  # the new deadline is reminded again
    _save(req, "extended_by_days", "extension_reason", "reminders")
    _event(req, events.EXTENDED, actor=actor, days=extension.days, reason=extension.reason)
    return req


def _open(req: SubjectRequest) -> None:
    if req.state in CLOSED:
        raise Conflict(f"{req.reference} is {req.state}.", fields={"state": req.state})


def request_discover(*, reference: str, actor: str) -> SubjectRequest:
    """Find the places (sources are asked outside the transaction), then record the plan."""
    from .discovery import discover

    req = SubjectRequest.objects.filter(pk=parse_reference(reference)).first()
    if req is None:
        raise NotFound(f"No data-subject request {reference}.")
    if req.state not in (State.VERIFIED, State.PLANNED):
        raise Conflict(f"{req.reference} is {req.state}: discovery needs a verified identity and no run yet.",
                       fields={"state": req.state})  # fmt: skip
    places, keys = discover(values=values_of(req), exporting=req.kind in EXPORTING,
                            confirming=req.kind in CONFIRMING)  # fmt: skip
    with transaction.atomic():
        req = _locked(reference)
        if req.state not in (State.VERIFIED, State.PLANNED):
            raise Conflict(f"{req.reference} is {req.state}.", fields={"state": req.state})
        req.plan, req.planned_at, req.state = places, timezone.now(), State.PLANNED
        req.sealed = seal_json({"identifiers": values_of(req), "keys": keys})
        _save(req, "plan", "planned_at", "state", "sealed")
        _event(req, events.PLANNED, actor=actor, places=len(places),
               records=sum(p["records"] for p in places))  # fmt: skip
    return req


@transaction.atomic
def request_approve(*, reference: str, actor: str) -> SubjectRequest:
    """The steward approves the plan: its saga starts."""
    req = _locked(reference)
    if req.state != State.PLANNED:
        raise Conflict(f"{req.reference} is {req.state}: only a planned request is approved.",
                       fields={"state": req.state})  # fmt: skip
    inst = engine.start(name=SAGA_OF[req.kind], context={"request": req.pk}, reference=req.reference,
                        deadline=deadline_of(req), actor=actor)  # fmt: skip
    req.state, req.approved_by, req.saga_id = State.RUNNING, actor, inst.pk
    _save(req, "state", "approved_by", "saga_id")
    _event(req, events.APPROVED, actor=actor)
    return req


@transaction.atomic
def request_cancel(*, reference: str, reason: str, actor: str) -> SubjectRequest:
    """Stop a request: a running saga undoes what can be undone (restrictions lifted)."""
    req = _locked(reference)
    _open(req)
    if req.saga_id is not None:
        from dictamesh.saga.models import SagaInstance

        state = SagaInstance.objects.filter(pk=req.saga_id).values_list("state", flat=True).first()
        if state not in ("completed", "compensated", "compensating"):
            engine.cancel(instance_id=req.saga_id, actor=actor, reason=reason)
    _close(req, State.CANCELLED, actor=actor, reason=reason)
    return req


@transaction.atomic
def request_reject(*, reference: str, reason: str, actor: str) -> SubjectRequest:
    req = _locked(reference)
    if req.state not in (State.RECEIVED, State.VERIFIED, State.PLANNED):
        raise Conflict(f"{req.reference} is {req.state}: cancel it instead.", fields={"state": req.state})
    _close(req, State.REJECTED, actor=actor, reason=reason)
    return req


def _close(
    req: SubjectRequest, state: str, *, actor: str, reason: str = "", outcome: list | None = None
) -> None:
    """A closed request keeps its hashes, hints, plan and outcome; its clear identifiers and keys are dropped."""
    req.state, req.closed_at, req.sealed = state, timezone.now(), None
    if outcome is not None:
        req.outcome = outcome
    _save(req, "state", "closed_at", "sealed", "outcome")
    kind = {State.COMPLETED: events.COMPLETED, State.CANCELLED: events.CANCELLED}.get(state, events.REJECTED)
    on_time = req.closed_at <= deadline_of(req)
    _event(req, kind, actor=actor, reason=reason or None, on_time=on_time)


@transaction.atomic
def request_complete(*, pk: int, outcome: list[dict[str, Any]], actor: str = "system:dsr") -> SubjectRequest:
    """Its saga's last step: the request is done, with what was done in each place."""
    req = _locked(str(pk))
    if req.state != State.COMPLETED:
        _close(req, State.COMPLETED, actor=actor, outcome=outcome)
    return req


def source_event(*, pk: int, place: dict, done: bool, detail: dict) -> None:
    req = SubjectRequest.objects.get(pk=pk)
    data = {"place": place["id"], "source": place["source"], "entity_type": place["entity_type"], **detail}
    _event(req, events.SOURCE_DONE if done else events.SOURCE_FAILED, actor="system:dsr", **data)


# --------------------------------------------------------------------------------------------- deadlines
def reminder_days() -> list[int]:
    return sorted({int(d) for d in settings.DICTAMESH_DSR_REMINDER_DAYS if str(d).strip().isdigit()},
                  reverse=True)  # fmt: skip


def deadlines_check(*, now: datetime | None = None) -> int:
    """Remind open requests' stewards and sources' owners N days before the deadline, and at its breach:
    each reminder once per deadline (an extension reminds again). How many events were sent."""
    now = now or timezone.now()
    sent = 0
    days = reminder_days()
    horizon = now + timedelta(days=max(days, default=0) + 1)
    candidates = SubjectRequest.objects.exclude(state__in=CLOSED).filter(
        due_at__lte=horizon + timedelta(days=93)
    )
    for pk in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            req = SubjectRequest.objects.select_for_update().get(pk=pk)
            if req.state in CLOSED:
                continue
            deadline = deadline_of(req)
            left = (deadline - now).total_seconds() / 86400
            due = "breach" if left < 0 else next((f"{d}d" for d in sorted(days) if left <= d), None)
            if due is None or due in req.reminders:
                continue
            req.reminders = [*req.reminders, due]
            if due != "breach":  # the nearer reminder makes the farther ones moot
                req.reminders += [f"{d}d" for d in days if d > int(due[:-1]) and f"{d}d" not in req.reminders]
            _save(req, "reminders")
            if due == "breach":
                _event(req, events.DEADLINE_BREACHED, actor="system:dsr", days_late=round(-left, 1))
            else:
                _event(req, events.DEADLINE_NEAR, actor="system:dsr", days_left=round(left, 1), reminder=due)
            sent += 1
    return sent
