"""The sagas that run data-subject requests (registered on import; settings.DICTAMESH_SAGAS names this module).

``dsr_access``: one ``collect`` step per place (its records fetched live, kept sealed in the step's result),
``bundle`` (the export), ``close``. ``dsr_erasure``: one ``erase`` step per place (legal holds checked at the
moment it runs), ``withdraw_consent``, ``close``; a source that keeps failing holds the saga for a steward
(retry, skip with a reason, cancel) — an erasure cannot be undone, so nothing is compensated.
``dsr_confirm`` (rectification, restriction, opt-out): one ``confirm`` step per place that waits for its
owner's confirmation; cancelling lifts the restrictions confirmed (the compensation).
"""

from __future__ import annotations

import base64

from apps.adapters import public as adapters
from apps.governance import public as governance
from dictamesh.adapters.errors import AdapterError
from dictamesh.errors import DictaMeshError
from dictamesh.saga import Permanent, Planned, Saga, Step, StepContext, Wait, register

from .sealing import seal_json, unseal_json

ACTOR = "system:dsr"


def _request(ctx: StepContext):
    from .models import SubjectRequest

    return SubjectRequest.objects.get(pk=ctx.context["request"])


def _place(req, place_id: str) -> dict:
    for place in req.plan:
        if place["id"] == place_id:
            return place
    raise Permanent(f"{req.reference} has no place {place_id}")


def _source_call(ctx: StepContext, place: dict, call, *, attempts: int):
    """A call to a source: retryable failures are retried by the saga; the last failure is reported."""
    from .services import source_event

    try:
        return call()
    except (AdapterError, DictaMeshError) as exc:
        message = getattr(exc, "message", str(exc))
        retryable = (
            isinstance(exc, AdapterError)
            and exc.retryable
            or getattr(exc, "code", "") == "source_unavailable"
        )
        if not retryable or ctx.attempt >= attempts:
            source_event(pk=ctx.context["request"], place=place, done=False,
                         detail={"error": message[:500], "attempt": ctx.attempt})  # fmt: skip
        if not retryable:
            raise Permanent(f"{place['source']}: {message}") from exc
        raise RuntimeError(f"{place['source']}: {message}") from exc


# ------------------------------------------------------------------------------------------------- access
def collect(ctx: StepContext) -> dict:
    from .services import keys_of

    req = _request(ctx)
    place = _place(req, ctx.params["place"])
    keys = keys_of(req, place["id"])
    records = _source_call(ctx, place, lambda: adapters.subject_records(
        name=place["source"], entity_type=place["entity_type"], keys=keys), attempts=COLLECT.attempts)  # fmt: skip
    return {
        "place": place["id"],
        "records": len(records),
        "sealed": base64.b64encode(seal_json(records)).decode(),
    }


def bundle(ctx: StepContext) -> dict:
    from .exports import export_build

    req = _request(ctx)
    parts = []
    for result in ctx.results.values():
        if isinstance(result, dict) and "sealed" in result:
            parts.append((_place(req, result["place"]), unseal_json(base64.b64decode(result["sealed"]))))
    export = export_build(req=req, parts=parts)
    return {"export": export.pk, "files": len(export.files), "records": sum(len(r) for _, r in parts)}


# ------------------------------------------------------------------------------------------------ erasure
def erase(ctx: StepContext) -> dict:
    from .services import keys_of, source_event

    req = _request(ctx)
    place = _place(req, ctx.params["place"])
    hold = governance.legal_hold_on(urn=place["urn"], domain=place["domain"])
    if hold:
        detail = {"action": "kept", "records": 0, "held_by": hold,
                  "reason": f"legal hold {hold} covers {place['urn']}: kept, not erased"}  # fmt: skip
        source_event(pk=req.pk, place=place, done=True, detail=detail)
        return detail
    keys = keys_of(req, place["id"])
    held_keys = {}
    if place["kind"] == "rest":  # a hold may name single records
        for key in keys:
            name = governance.legal_hold_on(urn=f"dm:{place['source']}:{place['entity_type']}:{key}",
                                            domain=place["domain"])  # fmt: skip
            if name:
                held_keys[key] = name
    wanted = [k for k in keys if k not in held_keys]
    done = _source_call(ctx, place, lambda: adapters.subject_erase(
        name=place["source"], entity_type=place["entity_type"], keys=wanted), attempts=ERASE.attempts) if wanted \
        else {"action": "kept", "records": 0}  # fmt: skip
    if held_keys:
        done = {**done, "held": len(held_keys), "held_by": ", ".join(sorted(set(held_keys.values())))}
    source_event(pk=req.pk, place=place, done=True, detail=done)
    return done


def withdraw_consent(ctx: StepContext) -> dict:
    from .models import Kind
    from .services import values_of

    req = _request(ctx)
    purpose = "sale-of-personal-information" if req.kind == Kind.OPT_OUT else None
    withdrawn = {}
    for _kind, values in values_of(req).items():
        for value in values:
            _, hint = governance.subject_key(value)
            withdrawn[hint] = governance.consents_withdraw(subject=value, evidence=req.reference, actor=ACTOR,
                                                           purpose=purpose)  # fmt: skip
    return {"withdrawn": withdrawn}


# ------------------------------------------------------------------------------------------ confirmations
def confirm(ctx: StepContext):
    from .services import source_event

    req = _request(ctx)
    place = _place(req, ctx.params["place"])
    source_event(pk=req.pk, place=place, done=False, detail={"awaiting": "the owner's confirmation",
                                                             "action": req.kind})  # fmt: skip
    return Wait(f"confirmed:{place['id']}", result={"asked": place["owners"]})


def lift(ctx: StepContext) -> dict:
    from .services import source_event

    req = _request(ctx)
    place = _place(req, ctx.params["place"])
    source_event(pk=req.pk, place=place, done=True, detail={"action": f"{req.kind} lifted"})
    return {"lifted": True}


# ---------------------------------------------------------------------------------------------------- close
def close(ctx: StepContext) -> dict:
    """What was done in each place (the certificate's lines); the sealed records dropped from the steps."""
    from dictamesh.saga.models import SagaStep

    from .services import request_complete

    req = _request(ctx)
    steps = {s.params.get("place"): s for s in SagaStep.objects.filter(instance_id=ctx.instance_id)
             if s.params.get("place")}  # fmt: skip
    outcome = []
    for place in req.plan:
        line = {"place": place["id"], "source": place["source"], "entity_type": place["entity_type"],
                "urn": place["urn"], "found": place["records"]}  # fmt: skip
        step = steps.get(place["id"])
        if step is None:
            line |= {"done": "not done by DictaMesh", "why": place["problem"] or "no adapter can act on it"}
        elif step.state == "skipped":
            line |= {"done": "skipped", "why": step.note}
        else:
            result = step.result if isinstance(step.result, dict) else {}
            result = {k: v for k, v in result.items() if k != "sealed"}
            done = "exported" if step.kind == "collect" else result.get("action") or step.kind
            line |= {"done": done, "detail": result, "attempts": step.attempts}
        outcome.append(line)
    if isinstance(ctx.results.get("bundle"), dict):
        bundled = ctx.results["bundle"]
        done = f"bundled: {bundled['files']} files, downloadable once"
        outcome.append({"place": "-", "source": "dictamesh", "entity_type": "export", "urn": "", "found": 0,
                        "done": done, "detail": bundled})  # fmt: skip
    if isinstance(ctx.results.get("withdraw consent"), dict):
        withdrawn = ctx.results["withdraw consent"]["withdrawn"]
        purposes = sorted({p for ps in withdrawn.values() for p in ps})
        done = f"withdrawn: {', '.join(purposes) or 'none was in force'}"
        outcome.append({"place": "-", "source": "dictamesh", "entity_type": "consent", "urn": "", "found": 0,
                        "done": done, "detail": withdrawn})  # fmt: skip
    for step in SagaStep.objects.filter(instance_id=ctx.instance_id, kind="collect"):
        if isinstance(step.result, dict) and "sealed" in step.result:
            step.result = {k: v for k, v in step.result.items() if k != "sealed"}
            step.save(update_fields=["result"])
    request_complete(pk=req.pk, outcome=outcome)
    return {"places": len(outcome)}


# a step's lease outlasts Celery's hard time limit (CELERY_TASK_TIME_LIMIT, 600 s): an attempt that overruns
# is killed by it before the lease ends and another attempt may start — never two at once
LONG = 660.0
COLLECT = Step("collect", collect, None, attempts=3, backoff=30.0, timeout=LONG, on_failure="hold")
ERASE = Step("erase", erase, None, attempts=3, backoff=30.0, timeout=LONG, on_failure="hold")
CLOSE = Step("close", close, None, attempts=5, backoff=5.0, on_failure="hold")


def _places(context: dict, action: str, step: str) -> list[Planned]:
    from .models import SubjectRequest

    req = SubjectRequest.objects.get(pk=context["request"])
    return [Planned(step, f"{step} {p['source']}/{p['entity_type']}", {"place": p["id"]})
            for p in req.plan if p["action"] == action]  # fmt: skip


register(Saga(
    name="dsr_access",
    steps=(COLLECT, Step("bundle", bundle, None, attempts=3, backoff=5.0, timeout=LONG, on_failure="hold"), CLOSE),
    plan=lambda c: [*_places(c, "export", "collect"), Planned("bundle", "bundle"), Planned("close", "close")],
    description="access, portability, right to know: every place's records in one export",
))  # fmt: skip
register(Saga(
    name="dsr_erasure",
    steps=(ERASE, Step("withdraw_consent", withdraw_consent, None, attempts=3, backoff=5.0,
                       on_failure="hold"), CLOSE),
    plan=lambda c: [*_places(c, "erase", "erase"), Planned("withdraw_consent", "withdraw consent"),
                    Planned("close", "close")],
    description="erasure, right to delete: each place erased (legal holds respected), consents withdrawn",
))  # fmt: skip


def _confirm_plan(context: dict) -> list[Planned]:
    from .models import Kind, SubjectRequest

    steps = _places(context, "confirm", "confirm")
    if SubjectRequest.objects.get(pk=context["request"]).kind == Kind.OPT_OUT:
        steps.append(Planned("withdraw_consent", "withdraw consent"))
    return [*steps, Planned("close", "close")]


register(Saga(
    name="dsr_confirm",
    steps=(Step("confirm", confirm, lift, attempts=3, backoff=5.0),
           Step("withdraw_consent", withdraw_consent, None, attempts=3, backoff=5.0), CLOSE),
    plan=_confirm_plan,
    description="rectification, restriction, opt-out: each place's owner confirms it is done",
))  # fmt: skip
