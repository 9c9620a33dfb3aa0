"""Reads of data-subject requests: one request's state, the list, a certificate, the register."""

from __future__ import annotations

import statistics
from datetime import datetime

from django.utils import timezone

from dictamesh.errors import NotFound
from dictamesh.saga.engine import instance_state
from dictamesh.saga.models import SagaInstance

from .exports import export_state
from .models import CLOSED, ERASING, State, SubjectRequest
from .services import deadline_of, parse_reference


def request_get(*, reference: str) -> SubjectRequest:
    req = SubjectRequest.objects.filter(pk=parse_reference(reference)).first()
    if req is None:
        raise NotFound(f"No data-subject request {reference}.")
    return req


def request_list(
    *, state: str | None = None, kind: str | None = None, limit: int = 100
) -> list[SubjectRequest]:
    rows = SubjectRequest.objects.all()
    if state:
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind)
    return list(rows.order_by("-received_at", "-id")[: max(1, min(limit, 500))])


def request_state(req: SubjectRequest, *, saga: bool = True) -> dict:
    now = timezone.now()
    deadline = deadline_of(req)
    inst = SagaInstance.objects.filter(pk=req.saga_id).first() if saga and req.saga_id else None
    return {
        "reference": req.reference, "kind": req.kind, "jurisdiction": req.jurisdiction, "state": req.state,
        "identifiers": [{"type": i["type"], "hint": i["hint"]} for i in req.identifiers],
        "assignee": req.assignee, "verification": req.verification, "verification_note": req.verification_note,
        "received_at": req.received_at, "due_at": req.due_at, "deadline": deadline,
        "extended_by_days": req.extended_by_days, "extension_reason": req.extension_reason,
        "days_left": round(((req.closed_at or now) - deadline).total_seconds() / -86400, 1),
        "plan": req.plan, "approved_by": req.approved_by,
        "saga": _saga_summary(inst) if inst else None, "outcome": req.outcome,
        "export": export_state(req.exports.order_by("-created_at").first()), "note": req.note,
        "closed_at": req.closed_at,
    }  # fmt: skip


def _saga_summary(inst: SagaInstance) -> dict:
    state = instance_state(inst)
    for step in state["steps"]:
        if isinstance(step["result"], dict):
            step["result"] = {k: v for k, v in step["result"].items() if k != "sealed"}  # never the records
    return state


def certificate(req: SubjectRequest) -> dict:
    """What was done about the request, place by place: the proof for the subject and a regulator."""
    state = request_state(req, saga=False)
    return {
        "certificate": f"{req.reference}/{req.kind}", "reference": req.reference, "kind": req.kind,
        "jurisdiction": req.jurisdiction, "subject": [f"{i['type']} {i['hint']}" for i in req.identifiers],
        "received_at": req.received_at, "deadline": state["deadline"], "closed_at": req.closed_at,
        "on_time": req.closed_at is not None and req.closed_at <= state["deadline"], "state": req.state,
        "verified": {"how": req.verification_note, "by": req.verified_by, "at": req.verified_at},
        "approved_by": req.approved_by, "steward": req.assignee,
        "extension": {"days": req.extended_by_days, "reason": req.extension_reason} if req.extended_by_days else None,
        "places": req.outcome or [{"place": p["id"], "source": p["source"], "entity_type": p["entity_type"],
                                   "done": "not yet"} for p in req.plan],
        "held": [line for line in req.outcome if isinstance(line.get("detail"), dict)
                 and line["detail"].get("held_by")],
    }  # fmt: skip


def certificate_text(cert: dict) -> str:
    lines = [f"Data-subject request {cert['reference']} ({cert['kind']}, {cert['jurisdiction'].upper()})",
             f"Subject: {', '.join(cert['subject'])}", f"Received: {cert['received_at']:%Y-%m-%d %H:%M} UTC",
             f"Deadline: {cert['deadline']:%Y-%m-%d}", f"State: {cert['state']}" +
             (f", closed {cert['closed_at']:%Y-%m-%d %H:%M} UTC ({'on time' if cert['on_time'] else 'late'})"
              if cert["closed_at"] else ""), "", "Per place:"]  # fmt: skip
    for line in cert["places"]:
        detail = line.get("detail") or {}
        what = line.get("done", "")
        if detail.get("records") is not None:
            what += f", {detail['records']} record(s)"
        if detail.get("held_by"):
            what += f" — legal hold {detail['held_by']}"
        if detail.get("kept_until"):
            what += f" — kept until {detail['kept_until']}"
        if line.get("why"):
            what += f" — {line['why']}"
        lines.append(f"  {line.get('source')}/{line.get('entity_type')}: {what}")
    return "\n".join(lines) + "\n"


def register(*, since: datetime | None = None) -> dict:
    """The register a regulator asks for: counts by kind and state, median days to close, on-time share."""
    rows = SubjectRequest.objects.all()
    if since is not None:
        rows = rows.filter(received_at__gte=since)
    rows = list(rows.order_by("received_at"))
    closed = [r for r in rows if r.state in CLOSED and r.closed_at]
    durations = [(r.closed_at - r.received_at).total_seconds() / 86400 for r in closed]
    on_time = [r.closed_at <= deadline_of(r) for r in closed]
    by_kind: dict[str, dict[str, int]] = {}
    for r in rows:
        by_kind.setdefault(r.kind, {}).setdefault(r.state, 0)
        by_kind[r.kind][r.state] += 1
    return {
        "generated_at": timezone.now(), "requests": len(rows), "closed": len(closed),
        "open": len(rows) - len(closed), "by_kind": by_kind,
        "median_days_to_close": round(statistics.median(durations), 2) if durations else None,
        "on_time_share": round(sum(on_time) / len(on_time), 3) if on_time else None,
        "overdue_open": sum(1 for r in rows if r.state not in CLOSED and deadline_of(r) < timezone.now()),
        "erasures_completed": sum(1 for r in closed if r.kind in ERASING and r.state == State.COMPLETED),
        "items": [{"reference": r.reference, "kind": r.kind, "jurisdiction": r.jurisdiction, "state": r.state,
                   "received_at": r.received_at, "deadline": deadline_of(r), "closed_at": r.closed_at,
                   "on_time": (r.closed_at <= deadline_of(r)) if r.closed_at else None} for r in rows],
    }  # fmt: skip


def register_csv(data: dict) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["reference", "kind", "jurisdiction", "state", "received_at", "deadline", "closed_at", "on_time"]
    )
    for item in data["items"]:
        writer.writerow([item["reference"], item["kind"], item["jurisdiction"], item["state"],
                         item["received_at"].isoformat(), item["deadline"].isoformat(),
                         item["closed_at"].isoformat() if item["closed_at"] else "",
                         "" if item["on_time"] is None else str(item["on_time"]).lower()])  # fmt: skip
    return out.getvalue()
