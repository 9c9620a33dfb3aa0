"""Saga definitions the saga tests run (registered on import; workers load them via DICTAMESH_SAGAS).

Every action and compensation appends ``<what>:<step>:<attempt>:<pid>`` to ``<context dir>/log`` (O_APPEND),
so a test reads what ran, in which order, how often and where. The context says what goes wrong:
``fail``: {step: failures before it succeeds (-1: always)}; ``permanent``: steps that fail for good;
``block``: {step: a file}: the first attempt announces itself in ``<dir>/started`` and waits for that file
(a test kills the worker meanwhile); ``wait``: steps that wait for the ``approval`` signal.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from dictamesh.saga import Permanent, Planned, Saga, Step, StepContext, Wait, register


def _note(ctx: StepContext, what: str) -> int:
    line = f"{what}:{ctx.step}:{ctx.attempt}:{os.getpid()}\n"
    path = Path(ctx.context["dir"]) / "log"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)
    return sum(1 for row in path.read_text().splitlines() if row.startswith(f"{what}:{ctx.step}:"))


def act(ctx: StepContext):
    runs = _note(ctx, "action")
    conditions = ctx.context
    block = conditions.get("block", {}).get(ctx.step)
    if block and ctx.attempt == 1:
        (Path(conditions["dir"]) / "started").write_text(str(os.getpid()))
        deadline = time.monotonic() + 300
        while not Path(block).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    if ctx.step in conditions.get("permanent", []):
        raise Permanent(f"{ctx.step} cannot be done")
    failures = conditions.get("fail", {}).get(ctx.step, 0)
    if failures == -1 or runs <= failures:
        raise RuntimeError(f"{ctx.step} failed (run {runs})")
    if ctx.step in conditions.get("wait", []):
        return Wait("approval", result={"asked": ctx.step})
    return {"step": ctx.step, "attempt": ctx.attempt, "before": sorted(ctx.results)}


def undo(ctx: StepContext):
    runs = _note(ctx, "undo")
    failures = ctx.context.get("fail_undo", {}).get(ctx.step, 0)
    if failures == -1 or runs <= failures:
        raise RuntimeError(f"undoing {ctx.step} failed")
    return None


def _plan(context: dict) -> list[Planned]:
    return [Planned(kind, name) for kind, name in context.get("steps", [])]


TEST = register(
    Saga(
        name="test_flow",
        steps=(
            Step("undoable", act, undo, attempts=3, backoff=0.0, timeout=60),
            Step("final", act, None, attempts=3, backoff=0.0, timeout=60),
            Step("held", act, undo, attempts=2, backoff=0.0, timeout=60, on_failure="hold"),
            Step("short", act, undo, attempts=3, backoff=0.0, timeout=2),
        ),
        plan=_plan,
        description="the saga tests' steps, composed by each test",
    )
)
