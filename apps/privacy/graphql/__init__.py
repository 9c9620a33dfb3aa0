"""GraphQL of data-subject requests: the requests the caller may read, and the workflow's steps (stewards),
decided by governance as the REST endpoints are."""

from __future__ import annotations

import graphene
from graphene.types.generic import GenericScalar

from apps.governance import public as governance
from dictamesh.contracts import parse
from dictamesh.errors import NotFound, PermissionDenied

from .. import selectors, services
from ..contracts import RequestIn


class DataSubjectRequestType(graphene.ObjectType):
    reference = graphene.String(required=True)
    kind = graphene.String(required=True)
    jurisdiction = graphene.String(required=True)
    state = graphene.String(required=True)
    assignee = graphene.String(required=True)
    verification = graphene.String(required=True)
    received_at = graphene.DateTime(required=True)
    deadline = graphene.DateTime(required=True)
    days_left = graphene.Float(required=True)
    identifiers = GenericScalar(required=True, description="[{type, hint}]: masked, never the values")
    plan = GenericScalar(required=True, description="the places holding the subject's records")
    saga = GenericScalar(description="its saga: state, steps, attempts, errors")
    outcome = GenericScalar(required=True, description="what was done in each place")
    export = GenericScalar(description="the export: files, expiry, its one-time download link")


def _allowed(info, action: str, req=None, reference: str = "new") -> bool:
    return governance.dsr_decide(action=action, reference=req.reference if req else reference,
                                 assignee=req.assignee if req else "", request=info.context).allowed  # fmt: skip


def _get(info, reference: str, action: str = "read"):
    req = selectors.request_get(reference=reference)
    if not _allowed(info, "read", req):
        raise NotFound(f"No data-subject request {reference}.")
    if action != "read" and not _allowed(info, action, req):
        raise PermissionDenied("Only stewards work data-subject requests.")
    return req


class PrivacyQuery:
    data_subject_requests = graphene.List(
        graphene.NonNull(DataSubjectRequestType), required=True, state=graphene.String(), kind=graphene.String(),
        first=graphene.Int(default_value=50),
    )  # fmt: skip
    data_subject_request = graphene.Field(DataSubjectRequestType, reference=graphene.String(required=True))

    @staticmethod
    def resolve_data_subject_requests(root, info, state=None, kind=None, first=50):
        rows = selectors.request_list(state=state, kind=kind, limit=max(1, min(first, 200)))
        return [selectors.request_state(r, saga=False) for r in rows if _allowed(info, "read", r)]

    @staticmethod
    def resolve_data_subject_request(root, info, reference):
        return selectors.request_state(_get(info, reference))


def _actor(info) -> str:
    return governance.access(info.context).actor.label


class CreateDataSubjectRequest(graphene.Mutation):
    class Arguments:
        input = GenericScalar(required=True, description="kind, identifiers, jurisdiction, assignee, note")

    request = graphene.Field(DataSubjectRequestType, required=True)

    @staticmethod
    def mutate(root, info, input):  # noqa: A002 - GraphQL's argument name
        if not _allowed(info, "manage"):
            raise PermissionDenied("Only stewards receive data-subject requests.")
        req = services.request_create(request=parse(RequestIn, input), actor=_actor(info))
        return CreateDataSubjectRequest(request=selectors.request_state(req))


def _step(name: str, call, doc: str):
    class Step(graphene.Mutation):
        class Arguments:
            reference = graphene.String(required=True)
            method = graphene.String(description="verify: how the identity was checked")

        request = graphene.Field(DataSubjectRequestType, required=True)

        @staticmethod
        def mutate(root, info, reference, method=None):
            req = _get(info, reference, "manage")
            done = call(req=req, actor=_actor(info), method=method)
            return Step(request=selectors.request_state(done))

    Step.__name__ = name
    Step.__doc__ = doc
    return Step


VerifyDataSubjectRequest = _step(
    "VerifyDataSubjectRequest",
    lambda req, actor, method: services.request_verify(reference=req.reference, verified=True,
                                                       method=method or "checked by the steward", actor=actor),
    "The requester's identity was verified.",
)  # fmt: skip
DiscoverDataSubjectRequest = _step(
    "DiscoverDataSubjectRequest",
    lambda req, actor, method: services.request_discover(reference=req.reference, actor=actor),
    "Find the places holding the subject's records.",
)
ApproveDataSubjectRequest = _step(
    "ApproveDataSubjectRequest",
    lambda req, actor, method: services.request_approve(reference=req.reference, actor=actor),
    "Approve the plan: its saga runs.",
)


class PrivacyMutation:
    create_data_subject_request = CreateDataSubjectRequest.Field()
    verify_data_subject_request = VerifyDataSubjectRequest.Field()
    discover_data_subject_request = DiscoverDataSubjectRequest.Field()
    approve_data_subject_request = ApproveDataSubjectRequest.Field()
