"""How a saga is defined: a name and its ordered steps, each an action with an optional compensation.

Actions and compensations take a ``StepContext`` and return a JSON-ready result (kept on the step, given to
the later steps and to the compensation) or ``Wait``: the step then waits for a signal (a human approval, a
source's callback) without holding a worker. An action may run more than once for one step (a worker killed
mid-step runs it again, attempt + 1): ``ctx.key`` (instance, step, attempt) names one attempt, and an action
must be safe to repeat. ``Permanent`` says retrying cannot help.

Definitions are registered by the apps that own them (``register``), at import of their module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal


class Permanent(Exception):  # noqa: N818 - an outcome, not a programming error
    """A step failed and retrying will not help (its error message is kept and shown)."""


@dataclass(frozen=True)
class Wait:
    """Wait for ``signal`` (``engine.signal``); after ``timeout`` seconds without it, the step fails."""

    signal: str
    timeout: float | None = None
    result: Any = None  # kept on the step while it waits


@dataclass(frozen=True)
class StepContext:
    instance_id: str
    saga: str
    reference: str
    context: dict
    step: str
    params: dict
    attempt: int
    results: dict[str, Any]  # the results of the steps done before, by step name
    result: Any = None  # a compensation: the result of the step it undoes
    deadline: datetime | None = None

    @property
    def key(self) -> str:
        """One attempt of one step of one instance: what an action makes its side effects idempotent by."""
        return f"{self.instance_id}:{self.step}:{self.attempt}"


Action = Callable[[StepContext], Any]


@dataclass(frozen=True)
class Step:
    name: str
    action: Action
    compensate: Action | None = None
    attempts: int = 3  # tries before the step has failed (a manual retry allows one more)
    backoff: float = 5.0  # seconds before the second try, doubled after each (at most 600)
    # seconds an attempt may run: after it, the attempt is presumed dead and run again. Keep it above
    # Celery's hard time limit (CELERY_TASK_TIME_LIMIT), which kills an overrunning attempt first
    timeout: float = 660.0
    on_failure: Literal["compensate", "hold"] = (
        "compensate"  # hold: the instance fails and waits for a steward
    )


@dataclass(frozen=True)
class Planned:
    """One step of an instance: the definition's ``step``, under its own name, with parameters."""

    step: str
    name: str
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Saga:
    """``steps``: the ordered steps; ``plan``: when an instance's steps depend on its context (one per source),
    the steps it runs (``Planned`` of ``steps``' names), made once when it starts."""

    name: str
    steps: tuple[Step, ...]
    plan: Callable[[dict], list[Planned]] | None = None
    description: str = ""

    def step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"saga {self.name} has no step {name!r}")

    def planned(self, context: dict) -> list[Planned]:
        if self.plan is None:
            return [Planned(s.name, s.name) for s in self.steps]
        planned = self.plan(context)
        for item in planned:
            self.step(item.step)
        return planned


_registry: dict[str, Saga] = {}


def register(saga: Saga) -> Saga:
    if (
        not saga.name.replace("_", "").isalnum()
        or not saga.name[:1].isalpha()
        or saga.name != saga.name.lower()
    ):
        raise ValueError(f"saga name {saga.name!r}: lower-case letters, digits and underscores")
    names = [s.name for s in saga.steps]
    if len(set(names)) != len(names):
        raise ValueError(f"saga {saga.name}: step names repeat")
    _registry[saga.name] = saga
    return saga


def definition(name: str) -> Saga:
    if name not in _registry:
        from django.conf import settings
        from django.utils.module_loading import import_module

        for module in settings.DICTAMESH_SAGAS:  # the modules that register the deployment's sagas
            import_module(module)
    if name not in _registry:
        raise KeyError(f"no saga {name!r} is registered")
    return _registry[name]
