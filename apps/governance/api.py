"""REST endpoints of governance, under /api/v1/governance: policies, roles, explain, field classifications."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpResponse
from ninja import Router
from ninja.responses import Status

from dictamesh.api.base import json_body
from dictamesh.api.contract import documented
from dictamesh.contracts import C, parse
from dictamesh.errors import ValidationError

from . import classification, consent, explain, reports, retention, selectors, services
from . import contracts as c
from .access import Access
from .explain import GOVERNANCE

router = Router(tags=["governance"])


_body = json_body


def _in(request, model: type[C], *, partial: bool = False) -> C:
    """The request's body as the operation's contract (400 naming every bad field)."""
    return parse(model, _body(request), partial=partial)


def _manage(request) -> Access:
    access = Access.of(request)
    access.require("manage", GOVERNANCE)
    return access


def _read(request) -> Access:
    access = Access.of(request)
    access.require("read", GOVERNANCE)
    return access


# ---------------------------------------------------------------------------------------------- policies
@router.get("/policies", summary="All access policies", openapi_extra=documented(responses={200: c.Policies}))
def policy_list(request):
    _read(request)
    return {"items": [services.policy_state(p) for p in selectors.policy_list()]}


@router.post(
    "/policies",
    response={201: dict},
    summary="Create an access policy",
    openapi_extra=documented(body=c.PolicyIn, responses={201: c.Policy}),
)
def policy_create(request):
    _manage(request)
    return Status(201, services.policy_state(services.policy_create(policy=_in(request, c.PolicyIn))))


@router.get(
    "/policies/{name}", summary="One access policy", openapi_extra=documented(responses={200: c.Policy})
)
def policy_get(request, name: str):
    _read(request)
    return services.policy_state(selectors.policy_get(name=name))


@router.patch(
    "/policies/{name}",
    summary="Change an access policy (in force at the next request)",
    openapi_extra=documented(body=c.PolicyIn, responses={200: c.Policy}),
)
def policy_update(request, name: str):
    _manage(request)
    return services.policy_state(
        services.policy_update(name=name, changes=_in(request, c.PolicyIn, partial=True))
    )


@router.delete(
    "/policies/{name}",
    summary="Delete an access policy",
    openapi_extra=documented(responses={200: c.Deleted}),
)
def policy_delete(request, name: str):
    _manage(request)
    services.policy_delete(name=name)
    return {"name": name, "deleted": True}


# ---------------------------------------------------------------------------------------------- roles
@router.get("/roles", summary="Roles and their members", openapi_extra=documented(responses={200: c.Roles}))
def role_list(request):
    _read(request)
    return {"items": [services.role_state(r) for r in selectors.role_list()]}


@router.post(
    "/roles",
    response={201: dict},
    summary="Create a role",
    openapi_extra=documented(body=c.RoleIn, responses={201: c.RoleOut}),
)
def role_create(request):
    _manage(request)
    role = _in(request, c.RoleIn)
    if role.name is None:
        raise ValidationError("A role needs a name.", fields={"name": "required"})
    return Status(201, services.role_state(services.role_save(name=role.name, role=role, create=True)))


@router.put(
    "/roles/{name}",
    summary="Replace a role's description and members",
    openapi_extra=documented(body=c.RoleIn, responses={200: c.RoleOut}),
)
def role_replace(request, name: str):
    _manage(request)
    role = _in(request, c.RoleIn)
    if role.name not in (None, name):
        raise ValidationError(
            "A role is renamed by creating another.", fields={"name": "differs from the path"}
        )
    return services.role_state(services.role_save(name=name, role=role, create=False))


@router.delete("/roles/{name}", summary="Delete a role", openapi_extra=documented(responses={200: c.Deleted}))
def role_delete(request, name: str):
    _manage(request)
    services.role_delete(name=name)
    return {"name": name, "deleted": True}


# ---------------------------------------------------------------------------------------------- explain
@router.get(
    "/explain",
    summary="Which policies decide whether an actor may do an action to a resource, and why",
    openapi_extra=documented(responses={200: c.Explanation}),
)
def explain_decision(request, action: str, resource: str, actor: str | None = None):
    return explain.explain_for(Access.of(request), action=action, resource=resource, actor=actor)


# ---------------------------------------------------------------------------------------------- fields
@router.get(
    "/fields",
    summary="Field classifications of an entity (or all suggestions waiting for a steward)",
    openapi_extra=documented(responses={200: c.FieldClassifications}),
)
def field_list(request, urn: str | None = None, status: str | None = None, limit: int = 200):
    _read(request)
    return {"items": classification.field_list(urn=urn, status=status, limit=limit)}


@router.post(
    "/fields",
    response={201: dict},
    summary="Classify a field (a steward's decision: confirmed)",
    openapi_extra=documented(body=c.FieldClassificationIn, responses={201: c.FieldClassification}),
)
def field_classify(request):
    _manage(request)
    return Status(201, classification.field_classify(field=_in(request, c.FieldClassificationIn)))


@router.post(
    "/detect",
    summary="Detect PII in an entity's properties and sample rows: suggestions to confirm",
    openapi_extra=documented(body=c.DetectIn, responses={200: c.Suggestions}),
)
def fields_detect(request):
    _manage(request)
    ask = _in(request, c.DetectIn)
    found = classification.fields_detect(urn=ask.urn, rows=ask.samples, properties=ask.properties)
    return {"urn": ask.urn, "suggestions": found}


@router.post(
    "/fields/{pk}/confirm",
    summary="Confirm a suggested classification",
    openapi_extra=documented(responses={200: c.FieldClassification}),
)
def field_confirm(request, pk: int):
    _manage(request)
    return classification.field_decide(pk=pk, confirm=True)


@router.post(
    "/fields/{pk}/reject",
    summary="Reject a classification (it stops masking; lineage copies go)",
    openapi_extra=documented(responses={200: c.FieldClassification}),
)
def field_reject(request, pk: int):
    _manage(request)
    return classification.field_decide(pk=pk, confirm=False)


# ---------------------------------------------------------------------------------------------- reports
@router.get(
    "/audit/access",
    summary="Who read which sensitive fields, or was denied: rows, per user or per entity (format=csv: a file)",
    openapi_extra=documented(responses={200: c.AccessReport}),
)
def access_report(
    request,
    kind: str = "sensitive_read",
    group: str = "none",
    actor: str | None = None,
    urn: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
    format: str = "json",  # noqa: A002 - the query parameter's name
):
    _read(request)
    if format not in ("json", "csv"):
        raise ValidationError("format is json or csv.", fields={"format": "json or csv"})
    report = reports.access_report(
        reports.ReportQuery(
            kind=kind, group=group, actor=actor, urn=urn, since=since, until=until, limit=limit
        )
    )
    if format == "csv":
        response = HttpResponse(reports.as_csv(report), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="dictamesh-access-{kind}-{group}.csv"'
        return response
    return report


# ---------------------------------------------------------------------------------------------- consent
# subjects travel in bodies, never in URLs (which proxies and access logs keep)
@router.post(
    "/consents",
    response={201: dict},
    summary="Record a data subject's consent (granted or withdrawn)",
    openapi_extra=documented(body=c.ConsentIn, responses={201: c.Consent}),
)
def consent_record(request):
    _manage(request)
    return Status(201, consent.consent_state(consent.consent_record(record=_in(request, c.ConsentIn))))


@router.post(
    "/consents/lookup",
    summary="A subject's consents in force (or every record), by purpose",
    openapi_extra=documented(body=c.ConsentLookupIn, responses={200: c.Consents}),
)
def consent_lookup(request):
    _read(request)
    ask = _in(request, c.ConsentLookupIn)
    return {"consents": consent.consents_of(subject=ask.subject, purpose=ask.purpose, history=ask.history)}


@router.post(
    "/consents/check",
    summary="Which of these subjects consent to a purpose now",
    openapi_extra=documented(body=c.ConsentCheckIn, responses={200: c.ConsentCheck}),
)
def consent_check(request):
    _read(request)
    ask = _in(request, c.ConsentCheckIn)
    found = consent.subjects_with_consent(purpose=ask.purpose, subjects=ask.subjects)
    return {"purpose": ask.purpose, "consents": found}


# ---------------------------------------------------------------------------------------------- retention
@router.get(
    "/retention/policies",
    summary="Retention policies",
    openapi_extra=documented(responses={200: c.RetentionPolicies}),
)
def retention_list(request):
    _read(request)
    return {"items": [retention.policy_state(p) for p in selectors.retention_policies()]}


@router.post(
    "/retention/policies",
    response={201: dict},
    summary="Create a retention policy (a dry run until enforced)",
    openapi_extra=documented(body=c.RetentionPolicyIn, responses={201: c.RetentionPolicy}),
)
def retention_create(request):
    _manage(request)
    return Status(
        201, retention.policy_state(retention.policy_save(policy=_in(request, c.RetentionPolicyIn)))
    )


@router.patch(
    "/retention/policies/{name}",
    summary="Change a retention policy (enforce: true to apply)",
    openapi_extra=documented(body=c.RetentionPolicyIn, responses={200: c.RetentionPolicy}),
)
def retention_update(request, name: str):
    _manage(request)
    return retention.policy_state(
        retention.policy_save(policy=_in(request, c.RetentionPolicyIn, partial=True), name=name)
    )


@router.post(
    "/retention/policies/{name}/run",
    summary="Run a retention policy now (dry_run=true to only report)",
    openapi_extra=documented(responses={200: c.RetentionRun}),
)
def retention_run(request, name: str, dry_run: bool = True):
    access = _manage(request)
    policy = selectors.retention_policy(name=name)
    return retention.run_state(retention.run(policy, dry_run=dry_run, actor=access.actor.label))


@router.get(
    "/retention/runs",
    summary="Runs of retention policies, newest first",
    openapi_extra=documented(responses={200: c.RetentionRuns}),
)
def retention_runs(request, policy: str | None = None, limit: int = 50):
    _read(request)
    return {"items": [retention.run_state(r) for r in selectors.retention_runs(policy=policy, limit=limit)]}


@router.get("/legal-holds", summary="Legal holds", openapi_extra=documented(responses={200: c.LegalHolds}))
def hold_list(request):
    _read(request)
    return {"items": [retention.hold_state(h) for h in selectors.legal_holds()]}


@router.post(
    "/legal-holds",
    response={201: dict},
    summary="Place a legal hold (retention never removes what it covers)",
    openapi_extra=documented(body=c.LegalHoldIn, responses={201: c.LegalHold}),
)
def hold_create(request):
    _manage(request)
    return Status(201, retention.hold_state(retention.hold_save(hold=_in(request, c.LegalHoldIn))))


@router.post(
    "/legal-holds/{name}/release",
    summary="Release a legal hold",
    openapi_extra=documented(responses={200: c.LegalHold}),
)
def hold_release(request, name: str):
    _manage(request)
    return retention.hold_state(retention.hold_release(name=name))
