"""The saga engine: every transition of an instance or a step is one transaction that locks the instance's row,
changes its state and writes the transition's outbox event. A worker claims a step (running, with a lease
as long as the step's timeout) before it runs it outside any transaction, and records the outcome only if its
claim still holds: two workers never run one step, and a worker killed mid-step leaves a lease that ends,
after which the step runs again (attempt + 1). ``advance`` drives an instance as far as it can go; the beat
``sweep`` restarts what a lost message or a dead worker left behind.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dictamesh.errors import Conflict, NotFound, ValidationError
from dictamesh.events import publish

from .definitions import Permanent, Saga, StepContext, Wait, definition
from .events import SAGA_TOPIC
from .models import SagaInstance, SagaState, SagaStep, StepState

logger = logging.getLogger("dictamesh.saga")
MAX_BACKOFF = 600.0
STALE_SECONDS = 30
OPEN = (SagaState.PENDING, SagaState.RUNNING, SagaState.WAITING, SagaState.COMPENSATING)


@dataclass(frozen=True)
class _Work:
    kind: str  # action | compensate | again (a transition was made: look again)
    step_id: int = 0
    attempt: int = 0


AGAIN = _Work("again")


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _publish(inst: SagaInstance, transition: str, *, step: SagaStep | None = None, actor: str | None = None,
             **extra) -> None:  # fmt: skip
    data = {"id": str(inst.pk), "saga": inst.name, "reference": inst.reference, "state": inst.state}
    if step is not None:
        data |= {"step": step.name, "index": step.index, "step_state": step.state, "attempt": step.attempts}
        if step.error and transition in ("step_failed", "step_retrying", "step_not_compensated"):
            data["error"] = step.error
    data |= {k: v for k, v in extra.items() if v is not None}
    publish(type=f"dictamesh.saga.{inst.name}.{transition}", subject=f"saga:{inst.pk}", key=str(inst.pk),
            data=_json(data), topic=SAGA_TOPIC.name, actor=actor)  # fmt: skip


def _save(inst: SagaInstance, *fields: str) -> None:
    inst.updated_at = timezone.now()
    inst.save(update_fields=[*fields, "updated_at"])


_local = threading.local()  # which instance this thread's ``advance`` drives (inline: it goes on by itself)


def _dispatch(instance_id, *, countdown: float = 0.0) -> None:
    """Run ``advance`` for the instance once this transaction commits: in a worker, or here (inline)."""
    instance_id = str(instance_id)
    if settings.DICTAMESH_SAGA_INLINE:
        if countdown <= 0 and getattr(_local, "advancing", None) != instance_id:
            transaction.on_commit(lambda: advance(instance_id))
        return  # a delayed retry waits for the sweep

    def send() -> None:
        from dictamesh.tasks import registered

        try:
            task = registered("dictamesh.saga.advance")
            queue = {"queue": settings.DICTAMESH_SAGA_QUEUE} if settings.DICTAMESH_SAGA_QUEUE else {}
            task.apply_async((instance_id,), countdown=max(0.0, countdown), **queue)
        except Exception:  # noqa: BLE001 - the broker is away: the sweep sends it again
            logger.warning(
                "saga %s: could not queue its next step; the sweep will", instance_id, exc_info=True
            )

    transaction.on_commit(send)


# --------------------------------------------------------------------------------------------------- start
def start(*, name: str, context: dict, reference: str = "", deadline=None, actor: str = "") -> SagaInstance:
    """A new instance of the saga ``name`` (its steps planned from ``context``), queued to run."""
    saga = definition(name)
    context = _json(context)
    planned = saga.planned(context)
    if not planned:
        raise ValidationError(f"saga {name}: nothing to do.", fields={"steps": "none planned"})
    with transaction.atomic():
        inst = SagaInstance.objects.create(name=name, reference=reference, context=context, deadline=deadline,
                                           created_by=actor)  # fmt: skip
        SagaStep.objects.bulk_create(
            SagaStep(
                instance=inst,
                index=i,
                kind=p.step,
                name=p.name,
                params=_json(p.params),
                allowed_attempts=saga.step(p.step).attempts,
            )  # fmt: skip
            for i, p in enumerate(planned)
        )
        _publish(inst, "started", actor=actor or None, steps=[p.name for p in planned])
        _dispatch(inst.pk)
    return inst


# ----------------------------------------------------------------------------------------------- advancing
def advance(instance_id: str, *, budget: int = 10_000) -> str | None:
    """Run the instance's steps (or compensations) until it ends, waits, or another worker holds a step;
    its state then (None: no such instance)."""
    instance_id = str(instance_id)
    outer, _local.advancing = getattr(_local, "advancing", None), instance_id
    try:
        for _ in range(budget):
            work = _claim(instance_id)
            if work is None:
                break
            if work is not AGAIN:
                _execute(work)
    finally:
        _local.advancing = outer
    return SagaInstance.objects.filter(pk=instance_id).values_list("state", flat=True).first()


def _locked(instance_id) -> SagaInstance | None:
    return SagaInstance.objects.select_for_update().filter(pk=instance_id).first()


def _claim(instance_id) -> _Work | None:
    with transaction.atomic():
        inst = _locked(instance_id)
        if inst is None or inst.state not in OPEN:
            return None
        saga = definition(inst.name)
        steps = list(SagaStep.objects.filter(instance=inst).order_by("index"))
        now = timezone.now()
        if inst.state == SagaState.COMPENSATING:
            return _claim_compensation(inst, saga, steps, now)
        for step in steps:
            if step.state in (StepState.DONE, StepState.SKIPPED):
                continue
            spec = saga.step(step.kind)
            if step.state == StepState.WAITING:
                if step.wait_until is not None and step.wait_until <= now:
                    step.error = f"no {step.waiting_for} signal came before {step.wait_until.isoformat()}"
                    _fail_step(inst, step, saga, now)
                    return AGAIN
                if inst.state != SagaState.WAITING:
                    inst.state = SagaState.WAITING
                    _save(inst, "state")
                return None
            if step.state == StepState.FAILED:
                return None
            if step.state == StepState.RUNNING:
                if step.lease_until is not None and step.lease_until > now:
                    return None  # another worker runs it
                _log(step, outcome="lost", error="its worker stopped before it ended")
                if step.attempts >= step.allowed_attempts:
                    step.error = f"attempt {step.attempts}: its worker stopped before it ended"
                    _fail_step(inst, step, saga, now)
                    return AGAIN
            elif step.next_attempt_at is not None and step.next_attempt_at > now:
                return None  # a retry waits for its time (queued with a countdown, and swept)
            step.state, step.attempts = StepState.RUNNING, step.attempts + 1
            step.lease_until, step.next_attempt_at = now + timedelta(seconds=spec.timeout), None
            step.started_at = step.started_at or now
            step.log = [*step.log, {"attempt": step.attempts, "started_at": now.isoformat()}]
            step.save()
            inst.state = SagaState.RUNNING
            _save(inst, "state")
            _publish(inst, "step_started", step=step)
            return _Work("action", step.pk, step.attempts)
        inst.state, inst.finished_at, inst.error = SagaState.COMPLETED, now, ""
        _save(inst, "state", "finished_at", "error")
        _publish(inst, "completed")
        return None


def _claim_compensation(inst: SagaInstance, saga: Saga, steps: list[SagaStep], now) -> _Work | None:
    for step in steps:
        if step.state == StepState.RUNNING:
            if step.lease_until is not None and step.lease_until > now:
                return None  # cancelled while it runs: its outcome comes first
            step.state, step.error = StepState.FAILED, "its worker stopped while the saga was cancelled"
            _log(step, outcome="lost", error=step.error)
            step.save()
    for step in reversed(steps):
        if step.state == StepState.COMPENSATING:
            if step.lease_until is not None and step.lease_until > now:
                return None
            _log(step, outcome="lost", error="its worker stopped before the compensation ended")
            if step.compensation_attempts >= saga.step(step.kind).attempts:
                step.state, step.note = StepState.NOT_COMPENSATED, "its compensation's worker stopped"
                step.save()
                _publish(inst, "step_not_compensated", step=step)
                return AGAIN
            return _claim_undo(inst, saga, step, now)
        if step.state not in (StepState.DONE, StepState.WAITING):
            continue
        spec = saga.step(step.kind)
        if spec.compensate is None:
            step.state, step.note = StepState.KEPT, step.note or "nothing undoes it: kept as done"
            step.next_attempt_at = None
            step.save()
            _publish(inst, "step_kept", step=step)
            continue
        if step.next_attempt_at is not None and step.next_attempt_at > now:
            return None
        return _claim_undo(inst, saga, step, now)
    failed = any(s.state == StepState.NOT_COMPENSATED for s in steps)
    inst.state = SagaState.FAILED if failed else SagaState.COMPENSATED
    inst.finished_at = now
    _save(inst, "state", "finished_at")
    _publish(inst, "failed" if failed else "compensated")
    return None


def _claim_undo(inst: SagaInstance, saga: Saga, step: SagaStep, now) -> _Work:
    spec = saga.step(step.kind)
    step.state, step.compensation_attempts = StepState.COMPENSATING, step.compensation_attempts + 1
    step.lease_until, step.next_attempt_at = now + timedelta(seconds=spec.timeout), None
    step.log = [*step.log, {"compensation": step.compensation_attempts, "started_at": now.isoformat()}]
    step.save()
    _save(inst, "state")
    _publish(inst, "step_compensating", step=step)
    return _Work("compensate", step.pk, step.compensation_attempts)


def _log(step: SagaStep, **outcome) -> None:
    entry = dict(step.log[-1]) if step.log else {}
    entry |= {
        "finished_at": timezone.now().isoformat(),
        **{k: v for k, v in outcome.items() if v is not None},
    }
    step.log = [*step.log[:-1], entry] if step.log else [entry]


def _fail_step(inst: SagaInstance, step: SagaStep, saga: Saga, now) -> None:
    spec = saga.step(step.kind)
    step.state, step.finished_at, step.lease_until = StepState.FAILED, now, None
    step.save()
    _publish(inst, "step_failed", step=step)
    inst.error = f"{step.name}: {step.error}"[:2000]
    if spec.on_failure == "hold":
        inst.state = SagaState.FAILED
        _save(inst, "state", "error")
        _publish(inst, "failed", step=step, held=True)
    else:
        inst.state = SagaState.COMPENSATING
        _save(inst, "state", "error")
        _publish(inst, "compensating", step=step)


def _execute(work: _Work) -> None:
    step = SagaStep.objects.select_related("instance").get(pk=work.step_id)
    inst = step.instance
    saga = definition(inst.name)
    spec = saga.step(step.kind)
    results = {
        s.name: s.result
        for s in SagaStep.objects.filter(instance=inst, index__lt=step.index, state=StepState.DONE)
    }
    ctx = StepContext(instance_id=str(inst.pk), saga=inst.name, reference=inst.reference, context=inst.context,
                      step=step.name, params=step.params, attempt=work.attempt, results=results,
                      result=step.result, deadline=inst.deadline)  # fmt: skip
    call = spec.action if work.kind == "action" else spec.compensate
    try:
        outcome = call(ctx)
    except Exception as exc:  # noqa: BLE001 - every failure of a step is recorded, none escapes
        logger.warning("saga %s step %s attempt %s failed: %s", inst.pk, step.name, work.attempt, exc)
        _failed(work, exc)
    else:
        _succeeded(work, outcome)


def _current(work: _Work, expected: str) -> tuple[SagaInstance, SagaStep] | None:
    step = SagaStep.objects.filter(pk=work.step_id).first()
    if step is None:
        return None
    inst = _locked(step.instance_id)
    step.refresh_from_db()
    counter = step.attempts if work.kind == "action" else step.compensation_attempts
    if step.state != expected or counter != work.attempt:
        logger.warning("saga %s step %s: attempt %s ended after its claim was taken over; its outcome is dropped",
                       step.instance_id, step.name, work.attempt)  # fmt: skip
        return None
    return inst, step


def _succeeded(work: _Work, outcome: Any) -> None:
    with transaction.atomic():
        expected = StepState.RUNNING if work.kind == "action" else StepState.COMPENSATING
        found = _current(work, expected)
        if found is None:
            return
        inst, step = found
        now = timezone.now()
        _log(step, outcome="ok")
        step.lease_until, step.error = None, ""
        if work.kind == "compensate":
            step.state = StepState.COMPENSATED
            step.save()
            _publish(inst, "step_compensated", step=step)
        elif isinstance(outcome, Wait):
            step.state, step.waiting_for, step.result = (
                StepState.WAITING,
                outcome.signal,
                _json(outcome.result),
            )
            step.wait_until = now + timedelta(seconds=outcome.timeout) if outcome.timeout else None
            step.save()
            if inst.state == SagaState.RUNNING:
                inst.state = SagaState.WAITING
                _save(inst, "state")
            _publish(inst, "step_waiting", step=step, signal=outcome.signal)
        else:
            step.state, step.result, step.finished_at = StepState.DONE, _json(outcome), now
            step.save()
            _save(inst, "state")
            _publish(inst, "step_completed", step=step)


def _failed(work: _Work, exc: Exception) -> None:
    with transaction.atomic():
        expected = StepState.RUNNING if work.kind == "action" else StepState.COMPENSATING
        found = _current(work, expected)
        if found is None:
            return
        inst, step = found
        saga = definition(inst.name)
        spec = saga.step(step.kind)
        now = timezone.now()
        message = (str(exc) if isinstance(exc, Permanent) else f"{type(exc).__name__}: {exc}")[:2000]
        _log(step, outcome="failed", error=message)
        step.error, step.lease_until = message, None
        counter = step.attempts if work.kind == "action" else step.compensation_attempts
        allowed = step.allowed_attempts if work.kind == "action" else spec.attempts
        if not isinstance(exc, Permanent) and counter < allowed:
            delay = min(MAX_BACKOFF, spec.backoff * 2 ** (counter - 1))
            step.state = StepState.PENDING if work.kind == "action" else StepState.DONE
            step.next_attempt_at = now + timedelta(seconds=delay)
            step.save()
            _save(inst, "state")
            _publish(inst, "step_retrying", step=step, retry_in_seconds=delay)
            _dispatch(inst.pk, countdown=delay)
            if delay <= 0:
                step.next_attempt_at = None
                step.save(update_fields=["next_attempt_at"])
            return
        if work.kind == "compensate":
            step.state, step.note = StepState.NOT_COMPENSATED, f"its compensation failed: {message}"[:2000]
            step.save()
            _publish(inst, "step_not_compensated", step=step)
            _save(inst, "state")
            return
        _fail_step(inst, step, saga, now)


# ------------------------------------------------------------------------------------ a steward's actions
def _open(instance_id) -> SagaInstance:
    inst = _locked(instance_id)
    if inst is None:
        raise NotFound(f"No saga instance {instance_id}.")
    return inst


def _current_step(inst: SagaInstance) -> SagaStep | None:
    return (
        SagaStep.objects.filter(instance=inst).exclude(state__in=[StepState.DONE, StepState.SKIPPED])
        .order_by("index").first()
    )  # fmt: skip


def retry_step(*, instance_id, actor: str, reason: str = "") -> SagaInstance:
    """Run the failed (or waiting to retry) step again now, one more attempt allowed."""
    with transaction.atomic():
        inst = _open(instance_id)
        step = _current_step(inst)
        held = inst.state == SagaState.FAILED and step is not None and step.state == StepState.FAILED
        backing_off = inst.state == SagaState.RUNNING and step is not None and step.state == StepState.PENDING
        if not (held or backing_off):
            raise Conflict(f"Saga {inst.pk} has no failed step to retry (it is {inst.state}).",
                           fields={"state": inst.state})  # fmt: skip
        step.state, step.next_attempt_at = StepState.PENDING, None
        step.allowed_attempts = max(step.allowed_attempts, step.attempts + 1)
        step.note = f"retried by {actor}" + (f": {reason}" if reason else "")
        step.save()
        inst.state, inst.error = SagaState.RUNNING, ""
        _save(inst, "state", "error")
        _publish(inst, "step_retry_requested", step=step, actor=actor, reason=reason or None)
        _dispatch(inst.pk)
    return inst


def skip_step(*, instance_id, actor: str, reason: str) -> SagaInstance:
    """Pass over the current step (failed, waiting, or not run yet), with the reason recorded."""
    if not reason or not reason.strip():
        raise ValidationError("Skipping a step needs a reason.", fields={"reason": "required"})
    with transaction.atomic():
        inst = _open(instance_id)
        step = _current_step(inst)
        if inst.state not in (SagaState.RUNNING, SagaState.WAITING, SagaState.FAILED, SagaState.PENDING) or (
            step is None or step.state not in (StepState.PENDING, StepState.FAILED, StepState.WAITING)
        ):
            raise Conflict(f"Saga {inst.pk} has no step that can be skipped now (it is {inst.state}).",
                           fields={"state": inst.state})  # fmt: skip
        step.state, step.note, step.finished_at = (
            StepState.SKIPPED,
            f"skipped by {actor}: {reason}"[:2000],
            None,
        )
        step.save()
        inst.state, inst.error = SagaState.RUNNING, ""
        _save(inst, "state", "error")
        _publish(inst, "step_skipped", step=step, actor=actor, reason=reason)
        _dispatch(inst.pk)
    return inst


def cancel(*, instance_id, actor: str, reason: str = "") -> SagaInstance:
    """Stop the instance and undo what it did: the compensations of its done steps, in reverse order."""
    with transaction.atomic():
        inst = _open(instance_id)
        if inst.state not in OPEN + (SagaState.FAILED,) or inst.state == SagaState.COMPENSATING:
            raise Conflict(
                f"Saga {inst.pk} is {inst.state}: it cannot be cancelled.", fields={"state": inst.state}
            )
        inst.state, inst.cancelled_by = SagaState.COMPENSATING, actor
        inst.error = ("cancelled" + (f": {reason}" if reason else ""))[:2000]
        _save(inst, "state", "cancelled_by", "error")
        _publish(inst, "cancelled", actor=actor, reason=reason or None)
        _dispatch(inst.pk)
    return inst


def signal(*, instance_id, name: str, payload: Any = None, actor: str = "") -> SagaInstance:
    """The outside signal ``name`` a step waits for: the step is done with ``payload`` as its result."""
    with transaction.atomic():
        inst = _open(instance_id)
        step = SagaStep.objects.filter(instance=inst, state=StepState.WAITING, waiting_for=name).first()
        if step is None or inst.state not in (SagaState.WAITING, SagaState.RUNNING):
            raise Conflict(f"Saga {inst.pk} does not wait for {name}.", fields={"signal": name})
        step.state, step.finished_at, step.wait_until = StepState.DONE, timezone.now(), None
        step.result = _json({"waited": step.result, "signal": payload})
        step.save()
        inst.state = SagaState.RUNNING
        _save(inst, "state")
        _publish(inst, "step_signalled", step=step, actor=actor or None, signal=name)
        _dispatch(inst.pk)
    return inst


# ------------------------------------------------------------------------------------------------- sweep
def sweep(*, limit: int = 500) -> int:
    """Queue ``advance`` for the instances a lost message or a dead worker left: a lease ended, a retry's or
    a wait's time came, or nothing moved for a while. How many were queued."""
    now = timezone.now()
    due = (
        Q(steps__state__in=[StepState.RUNNING, StepState.COMPENSATING], steps__lease_until__lt=now)
        | Q(steps__state__in=[StepState.PENDING, StepState.DONE], steps__next_attempt_at__lte=now)
        | Q(steps__state=StepState.WAITING, steps__wait_until__lte=now)
        | Q(updated_at__lt=now - timedelta(seconds=STALE_SECONDS))
        & Q(state__in=[SagaState.PENDING, SagaState.RUNNING, SagaState.COMPENSATING])
    )
    ids = list(
        SagaInstance.objects.filter(state__in=OPEN)
        .filter(due)
        .values_list("pk", flat=True)
        .distinct()[:limit]
    )
    for pk in ids:
        if settings.DICTAMESH_SAGA_INLINE:
            advance(str(pk))
        else:
            _dispatch(pk)
    return len(ids)


# ------------------------------------------------------------------------------------------------- reads
def instance_state(inst: SagaInstance, *, steps: list[SagaStep] | None = None) -> dict:
    steps = steps if steps is not None else list(inst.steps.order_by("index"))
    return {
        "id": str(inst.pk), "saga": inst.name, "reference": inst.reference, "state": inst.state,
        "error": inst.error, "deadline": inst.deadline, "created_at": inst.created_at,
        "updated_at": inst.updated_at, "finished_at": inst.finished_at, "cancelled_by": inst.cancelled_by,
        "steps": [
            {"name": s.name, "kind": s.kind, "state": s.state, "attempts": s.attempts, "result": s.result,
             "error": s.error, "note": s.note, "waiting_for": s.waiting_for, "log": s.log,
             "compensation_attempts": s.compensation_attempts}
            for s in steps
        ],
    }  # fmt: skip
