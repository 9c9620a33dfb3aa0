"""The adapter kinds a deployment knows: the built-in ones and those installed packages declare in the
``dictamesh.adapters`` entry-point group (``kind = "package.module:AdapterClass"``)."""

from __future__ import annotations

import functools
import logging
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError as PydanticError

from .base import Adapter, ConfigError, Metrics
from .config import validation_problems

logger = logging.getLogger("dictamesh.adapters")
GROUP = "dictamesh.adapters"
BUILTIN = {
    "rest": "dictamesh.adapters.rest:RestAdapter",
    "postgresql": "dictamesh.adapters.postgres:PostgresAdapter",
    "kafka": "dictamesh.adapters.kafka:KafkaAdapter",
}


def _load(target: str) -> type[Adapter]:
    module, _, name = target.partition(":")
    found = getattr(import_module(module), name)
    if not (isinstance(found, type) and issubclass(found, Adapter)):
        raise TypeError(f"{target} is not an Adapter subclass")
    return found


@functools.cache
def available() -> dict[str, type[Adapter]]:
    """Every adapter kind, by name: built-ins first; an installed plugin cannot replace one."""
    kinds = {kind: _load(target) for kind, target in BUILTIN.items()}
    for point in entry_points(group=GROUP):
        if point.name in kinds:
            logger.warning("adapter plugin %s (%s) ignored: the kind exists", point.name, point.value)
            continue
        try:
            kinds[point.name] = _load(point.value)
        except Exception:  # a broken plugin must not take the deployment down
            logger.exception("adapter plugin %s (%s) could not be loaded", point.name, point.value)
    return kinds


def get(kind: str) -> type[Adapter]:
    kinds = available()
    if kind not in kinds:
        raise ConfigError(f"No adapter kind {kind!r}; known: {', '.join(sorted(kinds))}.")
    return kinds[kind]


class InvalidConfig(ConfigError):
    def __init__(self, message: str, problems: dict[str, str]):
        super().__init__(message)
        self.problems = problems


def validate(kind: str, config: Any):
    """The configuration as the kind's model, or InvalidConfig with a message per field."""
    cls = get(kind)
    if not isinstance(config, dict):
        raise InvalidConfig("The configuration is a JSON object.", {"config": "an object"})
    try:
        return cls.Config.model_validate(config)
    except PydanticError as exc:
        problems = validation_problems(exc)
        raise InvalidConfig(
            f"The {kind} configuration is invalid: {len(problems)} problem(s).", problems
        ) from exc


def create(kind: str, config: Any, *, instance: str = "", metrics: Metrics | None = None) -> Adapter:
    """An adapter of ``kind`` with a validated configuration (not started: use it as a context manager)."""
    return get(kind)(validate(kind, config), instance=instance, metrics=metrics)
