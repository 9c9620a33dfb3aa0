"""The saga engine in one process, on the real database: the state machine, retries, compensation in
reverse order each once, waiting for a signal, a steward's retry, skip and cancel, and an outbox event in
the transaction of every transition."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from dictamesh.errors import Conflict, ValidationError
from dictamesh.events.models import OutboxMessage
from dictamesh.saga import engine
from dictamesh.saga.models import SagaInstance, SagaState, SagaStep, StepState
from tests.saga import sagas  # noqa: F401 - registers the test saga

pytestmark = pytest.mark.django_db


def _start(tmp_path: Path, steps: list[tuple[str, str]], **conditions) -> SagaInstance:
    return engine.start(name="test_flow", context={"dir": str(tmp_path), "steps": steps, **conditions},
                        reference="case", actor="user:tester")  # fmt: skip


def _log(tmp_path: Path) -> list[str]:
    path = tmp_path / "log"
    return [":".join(line.split(":")[:3]) for line in path.read_text().splitlines()] if path.exists() else []


def _states(inst) -> list[str]:
    return list(SagaStep.objects.filter(instance=inst).order_by("index").values_list("state", flat=True))


def _transitions(inst) -> list[str]:
    rows = OutboxMessage.objects.filter(subject=f"saga:{inst.pk}").order_by("id")
    return [row.type.rsplit(".", 1)[1] for row in rows]


def test_a_saga_runs_its_steps_in_order_and_each_transition_is_an_outbox_event(tmp_path):
    inst = _start(tmp_path, [("undoable", "one"), ("undoable", "two"), ("final", "three")])
    assert inst.state == SagaState.PENDING
    assert engine.advance(str(inst.pk)) == SagaState.COMPLETED
    assert _log(tmp_path) == ["action:one:1", "action:two:1", "action:three:1"]
    assert _states(inst) == [StepState.DONE] * 3
    three = SagaStep.objects.get(instance=inst, name="three")
    assert three.result == {"step": "three", "attempt": 1, "before": ["one", "two"]}  # earlier results given
    assert _transitions(inst) == ["started", "step_started", "step_completed", "step_started", "step_completed",
                                  "step_started", "step_completed", "completed"]  # fmt: skip
    rows = OutboxMessage.objects.filter(subject=f"saga:{inst.pk}")
    assert {r.topic for r in rows} == {"dictamesh.saga.instance.v1"} and {r.key for r in rows} == {
        str(inst.pk)
    }
    assert rows.first().actor == "user:tester"
    # advancing a finished instance again does nothing (a duplicated message)
    assert engine.advance(str(inst.pk)) == SagaState.COMPLETED
    assert len(_log(tmp_path)) == 3


def test_a_failing_step_is_retried_then_succeeds(tmp_path):
    inst = _start(tmp_path, [("undoable", "one"), ("final", "flaky")], fail={"flaky": 2})
    assert engine.advance(str(inst.pk)) == SagaState.COMPLETED
    assert _log(tmp_path) == ["action:one:1", "action:flaky:1", "action:flaky:2", "action:flaky:3"]
    flaky = SagaStep.objects.get(instance=inst, name="flaky")
    assert flaky.attempts == 3 and [e["outcome"] for e in flaky.log] == ["failed", "failed", "ok"]
    assert "RuntimeError: flaky failed (run 2)" in flaky.log[1]["error"]
    assert _transitions(inst).count("step_retrying") == 2


def test_a_step_that_keeps_failing_undoes_the_done_steps_in_reverse_each_once(tmp_path):
    inst = _start(tmp_path, [("undoable", "a"), ("final", "b"), ("undoable", "c"), ("undoable", "broken")],
                  fail={"broken": -1})  # fmt: skip
    assert engine.advance(str(inst.pk)) == SagaState.COMPENSATED
    assert _log(tmp_path) == [
        "action:a:1", "action:b:1", "action:c:1", "action:broken:1", "action:broken:2", "action:broken:3",
        "undo:c:1", "undo:a:1",
    ]  # fmt: skip
    assert _states(inst) == [StepState.COMPENSATED, StepState.KEPT, StepState.COMPENSATED, StepState.FAILED]
    inst.refresh_from_db()
    assert "broken failed (run 3)" in inst.error and inst.finished_at is not None
    transitions = _transitions(inst)
    assert transitions[-1] == "compensated" and "step_kept" in transitions and "compensating" in transitions
    engine.advance(str(inst.pk))  # again: nothing runs twice
    assert _log(tmp_path).count("undo:a:1") == 1


def test_a_compensation_that_fails_is_recorded_and_the_saga_fails(tmp_path):
    inst = _start(tmp_path, [("undoable", "a"), ("undoable", "b"), ("undoable", "broken")],
                  fail={"broken": -1}, fail_undo={"b": -1})  # fmt: skip
    assert engine.advance(str(inst.pk)) == SagaState.FAILED
    assert _log(tmp_path)[-4:] == ["undo:b:1", "undo:b:2", "undo:b:3", "undo:a:1"]
    b = SagaStep.objects.get(instance=inst, name="b")
    assert b.state == StepState.NOT_COMPENSATED and "undoing b failed" in b.note


def test_a_permanent_failure_is_not_retried(tmp_path):
    inst = _start(tmp_path, [("undoable", "a"), ("undoable", "no")], permanent=["no"])
    assert engine.advance(str(inst.pk)) == SagaState.COMPENSATED
    assert _log(tmp_path) == ["action:a:1", "action:no:1", "undo:a:1"]
    assert SagaStep.objects.get(instance=inst, name="no").error == "no cannot be done"


def test_a_held_failure_waits_for_a_steward_who_retries_or_skips_with_a_reason(tmp_path):
    inst = _start(tmp_path, [("held", "source-1"), ("held", "source-2"), ("final", "certificate")],
                  fail={"source-1": 2, "source-2": -1})  # fmt: skip
    assert engine.advance(str(inst.pk)) == SagaState.FAILED  # source-1 failed twice: held, nothing undone
    assert "undo" not in " ".join(_log(tmp_path))
    engine.retry_step(instance_id=inst.pk, actor="user:steward", reason="the source is back")
    assert engine.advance(str(inst.pk)) == SagaState.FAILED  # source-1 done on its third try; source-2 held
    assert _log(tmp_path)[:3] == ["action:source-1:1", "action:source-1:2", "action:source-1:3"]
    with pytest.raises(ValidationError):
        engine.skip_step(instance_id=inst.pk, actor="user:steward", reason=" ")
    engine.skip_step(instance_id=inst.pk, actor="user:steward", reason="the source was decommissioned")
    assert engine.advance(str(inst.pk)) == SagaState.COMPLETED
    skipped = SagaStep.objects.get(instance=inst, name="source-2")
    assert skipped.state == StepState.SKIPPED and "decommissioned" in skipped.note
    row = OutboxMessage.objects.get(subject=f"saga:{inst.pk}", type="dictamesh.saga.test_flow.step_skipped")
    assert row.actor == "user:steward" and row.data["reason"] == "the source was decommissioned"
    with pytest.raises(Conflict):
        engine.retry_step(instance_id=inst.pk, actor="user:steward")  # nothing failed any more


def test_a_step_waits_for_a_signal_without_a_worker_and_cancel_undoes_in_reverse(tmp_path):
    inst = _start(
        tmp_path, [("undoable", "a"), ("undoable", "approve"), ("undoable", "after")], wait=["approve"]
    )
    assert engine.advance(str(inst.pk)) == SagaState.WAITING
    with pytest.raises(Conflict):
        engine.signal(instance_id=inst.pk, name="something-else")
    engine.signal(instance_id=inst.pk, name="approval", payload={"by": "dpo"}, actor="user:dpo")
    assert engine.advance(str(inst.pk)) == SagaState.COMPLETED
    assert SagaStep.objects.get(instance=inst, name="approve").result == {
        "waited": {"asked": "approve"},
        "signal": {"by": "dpo"},
    }
    with pytest.raises(Conflict):
        engine.cancel(instance_id=inst.pk, actor="user:dpo")  # completed: nothing to cancel

    (tmp_path / "x").mkdir()
    second = _start(tmp_path / "x", [("undoable", "a"), ("undoable", "approve"), ("undoable", "after")],
                    wait=["approve"])  # fmt: skip
    assert engine.advance(str(second.pk)) == SagaState.WAITING
    engine.cancel(instance_id=second.pk, actor="user:dpo", reason="the subject withdrew the request")
    assert engine.advance(str(second.pk)) == SagaState.COMPENSATED
    assert _log(tmp_path / "x") == ["action:a:1", "action:approve:1", "undo:approve:1", "undo:a:1"]
    assert _states(second) == [StepState.COMPENSATED, StepState.COMPENSATED, StepState.PENDING]
    second.refresh_from_db()
    assert second.cancelled_by == "user:dpo" and "withdrew" in second.error


def test_a_wait_that_times_out_fails_the_step(tmp_path):
    inst = _start(tmp_path, [("undoable", "a"), ("undoable", "approve")], wait=["approve"])
    engine.advance(str(inst.pk))
    SagaStep.objects.filter(instance=inst, name="approve").update(
        wait_until=timezone.now() - timedelta(seconds=1)
    )
    assert engine.advance(str(inst.pk)) == SagaState.COMPENSATED
    assert "no approval signal came" in SagaStep.objects.get(instance=inst, name="approve").error


def test_an_expired_lease_is_taken_over_and_the_late_outcome_dropped(tmp_path):
    """A worker that stopped mid-step (its lease ended): the next advance runs the step again (attempt 2),
    and the first attempt's outcome, if it ever comes, is not recorded."""
    inst = _start(tmp_path, [("short", "slow"), ("final", "after")])
    claim = engine._claim(str(inst.pk))  # a worker claims the step, then stops
    assert claim.attempt == 1
    assert engine._claim(str(inst.pk)) is None  # held by the lease: nobody else runs it
    SagaStep.objects.filter(pk=claim.step_id).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert engine.sweep() == 1  # the lease ended: queued again
    assert engine.advance(str(inst.pk)) == SagaState.COMPLETED
    slow = SagaStep.objects.get(pk=claim.step_id)
    assert slow.attempts == 2 and [e.get("outcome") for e in slow.log] == ["lost", "ok"]
    engine._succeeded(claim, {"late": True})  # the first worker's outcome arrives after all
    slow.refresh_from_db()
    assert slow.result == {"step": "slow", "attempt": 2, "before": []}
    assert _log(tmp_path) == ["action:slow:2", "action:after:1"]


def test_the_sweep_finds_what_was_left_behind(tmp_path):
    inst = _start(tmp_path, [("undoable", "a")])
    assert engine.sweep() == 0  # just queued: not stale yet
    SagaInstance.objects.filter(pk=inst.pk).update(updated_at=timezone.now() - timedelta(minutes=5))
    assert engine.sweep() == 1
