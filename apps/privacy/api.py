"""REST endpoints of data-subject requests, under /api/v1/privacy. Every call is decided by governance
(``dsr_decide``): stewards by default; a caller who may not read a request is told it does not exist."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router
from ninja.responses import Status

from apps.governance import public as governance
from dictamesh.api.base import json_body
from dictamesh.api.contract import documented
from dictamesh.contracts import parse
from dictamesh.errors import NotFound, PermissionDenied, ValidationError
from dictamesh.saga import engine

from . import contracts as c
from . import selectors, services
from .exports import export_download

router = Router(tags=["privacy"])


def _actor(request) -> str:
    return governance.access(request).actor.label


def _decide(request, action: str, reference: str, assignee: str = "") -> None:
    decision = governance.dsr_decide(action=action, reference=reference, assignee=assignee, request=request)
    if not decision.allowed:
        if action == "read":
            raise NotFound(f"No data-subject request {reference}.")
        raise PermissionDenied(decision.message)


def _request(request, reference: str, action: str):
    req = selectors.request_get(reference=reference)
    _decide(request, "read", req.reference, req.assignee)
    if action != "read":
        _decide(request, action, req.reference, req.assignee)
    return req


def _out(req) -> dict:
    return selectors.request_state(req)


@router.get("/requests", summary="Data-subject requests the caller may read, newest first",
            openapi_extra=documented(responses={200: c.Requests}))  # fmt: skip
def request_list(request, state: str | None = None, kind: str | None = None, limit: int = 100):
    rows = selectors.request_list(state=state, kind=kind, limit=limit)
    shown = [r for r in rows if governance.dsr_decide(action="read", reference=r.reference, assignee=r.assignee,
                                                      request=request).allowed]  # fmt: skip
    return {"items": [selectors.request_state(r, saga=False) for r in shown]}


@router.post("/requests", response={201: dict}, summary="Receive a data-subject request",
             openapi_extra=documented(body=c.RequestIn, responses={201: c.Request}))  # fmt: skip
def request_create(request):
    _decide(request, "manage", "new")
    body = parse(c.RequestIn, json_body(request))
    return Status(201, _out(services.request_create(request=body, actor=_actor(request))))


@router.get("/requests/{reference}", summary="One data-subject request",
            openapi_extra=documented(responses={200: c.Request}))  # fmt: skip
def request_get(request, reference: str):
    return _out(_request(request, reference, "read"))


@router.post("/requests/{reference}/verify", summary="Record the identity check (a failed one rejects it)",
             openapi_extra=documented(body=c.VerifyIn, responses={200: c.Request}))  # fmt: skip
def request_verify(request, reference: str):
    req = _request(request, reference, "manage")
    body = parse(c.VerifyIn, json_body(request))
    return _out(services.request_verify(reference=req.reference, verified=body.verified, method=body.method,
                                        actor=_actor(request)))  # fmt: skip


@router.post("/requests/{reference}/assign", summary="Give the request to a steward",
             openapi_extra=documented(body=c.AssignIn, responses={200: c.Request}))  # fmt: skip
def request_assign(request, reference: str):
    req = _request(request, reference, "manage")
    body = parse(c.AssignIn, json_body(request))
    return _out(
        services.request_assign(reference=req.reference, assignee=body.assignee, actor=_actor(request))
    )


@router.post("/requests/{reference}/extend", summary="Extend the deadline, with the reason",
             openapi_extra=documented(body=c.ExtendIn, responses={200: c.Request}))  # fmt: skip
def request_extend(request, reference: str):
    req = _request(request, reference, "manage")
    body = parse(c.ExtendIn, json_body(request))
    return _out(services.request_extend(reference=req.reference, extension=body, actor=_actor(request)))


@router.post("/requests/{reference}/discover",
             summary="Find the places holding the subject's records (the plan the steward approves)",
             openapi_extra=documented(responses={200: c.Request}))  # fmt: skip
def request_discover(request, reference: str):
    req = _request(request, reference, "manage")
    return _out(services.request_discover(reference=req.reference, actor=_actor(request)))


@router.post("/requests/{reference}/approve", summary="Approve the plan: its saga runs",
             openapi_extra=documented(responses={200: c.Request}))  # fmt: skip
def request_approve(request, reference: str):
    req = _request(request, reference, "manage")
    return _out(services.request_approve(reference=req.reference, actor=_actor(request)))


def _reason(request) -> str:
    return parse(c.ReasonIn, json_body(request)).reason


@router.post("/requests/{reference}/cancel", summary="Cancel (a running saga undoes what can be undone)",
             openapi_extra=documented(body=c.ReasonIn, responses={200: c.Request}))  # fmt: skip
def request_cancel(request, reference: str):
    req = _request(request, reference, "manage")
    return _out(
        services.request_cancel(reference=req.reference, reason=_reason(request), actor=_actor(request))
    )


@router.post("/requests/{reference}/reject", summary="Refuse the request, with the reason",
             openapi_extra=documented(body=c.ReasonIn, responses={200: c.Request}))  # fmt: skip
def request_reject(request, reference: str):
    req = _request(request, reference, "manage")
    return _out(
        services.request_reject(reference=req.reference, reason=_reason(request), actor=_actor(request))
    )


def _saga_of(req):
    if req.saga_id is None:
        from dictamesh.errors import Conflict

        raise Conflict(f"{req.reference} has not run yet.", fields={"state": req.state})
    return req.saga_id


@router.post("/requests/{reference}/retry", summary="Run the failed source's step again now",
             openapi_extra=documented(responses={200: c.Request}))  # fmt: skip
def request_retry(request, reference: str):
    req = _request(request, reference, "manage")
    engine.retry_step(instance_id=_saga_of(req), actor=_actor(request))
    return _out(selectors.request_get(reference=req.reference))


@router.post("/requests/{reference}/skip", summary="Pass over the failed source, with the reason",
             openapi_extra=documented(body=c.ReasonIn, responses={200: c.Request}))  # fmt: skip
def request_skip(request, reference: str):
    req = _request(request, reference, "manage")
    engine.skip_step(instance_id=_saga_of(req), actor=_actor(request), reason=_reason(request))
    return _out(selectors.request_get(reference=req.reference))


@router.post("/requests/{reference}/places/{place}/confirm",
             summary="The place's owner confirms it is done (rectification, restriction, opt-out)",
             openapi_extra=documented(body=c.ConfirmIn, body_required=False,
                                      responses={200: c.Request}))  # fmt: skip
def place_confirm(request, reference: str, place: str):
    req = selectors.request_get(reference=reference)
    owners = next((p["owners"] for p in req.plan if p["id"] == place), None)
    principals = governance.access(request).actor.principals
    owner = owners is not None and not principals.isdisjoint(owners)
    if not owner:  # the place's owners confirm their part; stewards may confirm any
        _decide(request, "read", req.reference, req.assignee)
        if owners is None:
            raise NotFound(f"{req.reference} has no place {place}.")
        _decide(request, "manage", req.reference, req.assignee)
    note = parse(c.ConfirmIn, json_body(request, empty={}) or {}).note
    engine.signal(instance_id=_saga_of(req), name=f"confirmed:{place}", payload={"by": _actor(request), "note": note},
                  actor=_actor(request))  # fmt: skip
    steward = governance.dsr_decide(
        action="read", reference=req.reference, assignee=req.assignee, request=request
    )
    if steward.allowed:
        return _out(selectors.request_get(reference=req.reference))
    return {"reference": req.reference, "place": place, "confirmed": True}  # an owner sees only its part


@router.get(
    "/requests/{reference}/certificate",
    summary="The completion certificate: each source and what was done (format=json|text)",
    openapi_extra=documented(responses={200: c.Certificate}),
)
def request_certificate(request, reference: str, format: str = "json"):  # noqa: A002 - the query parameter
    if format not in ("json", "text"):
        raise ValidationError("format is json or text.", fields={"format": "json or text"})
    req = _request(request, reference, "read")
    cert = selectors.certificate(req)
    if format == "text":
        return HttpResponse(selectors.certificate_text(cert), content_type="text/plain; charset=utf-8")
    return cert


@router.get("/register", summary="The register of requests for a regulator (format=json|csv)",
            openapi_extra=documented(responses={200: c.Register}))  # fmt: skip
def register(request, format: str = "json"):  # noqa: A002
    if format not in ("json", "csv"):
        raise ValidationError("format is json or csv.", fields={"format": "json or csv"})
    decision = governance.dsr_decide(action="read", reference="register", request=request)
    if not decision.allowed:
        raise PermissionDenied(decision.message)
    data = selectors.register()
    if format == "csv":
        response = HttpResponse(selectors.register_csv(data), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="dsr-register.csv"'
        return response
    return data


@router.get(
    "/exports/download", auth=None, summary="Download an export once, through its signed link (a zip)",
    openapi_extra={"responses": {"200": {"description": "the export: a zip of JSON and CSV files and a manifest",
                                         "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                    "format": "binary"}}}}}},
)  # fmt: skip
def export_get(request, token: str):
    who = _actor(request) if request.user.is_authenticated else f"link:{request.META.get('REMOTE_ADDR', '')}"
    data, filename = export_download(token=token, who=who)
    response = HttpResponse(
        data, content_type="application/octet-stream"
    )  # a zip: generated clients take it as a file
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
