"""Count Celery task outcomes and durations (dictamesh_celery_tasks_total, _duration_seconds)."""

from __future__ import annotations

import time

from celery import signals

from .metrics import CELERY_TASK_DURATION, CELERY_TASKS

_started: dict[str, float] = {}
_connected = False


def _name(sender=None, task=None, request=None) -> str:
    for candidate in (task, sender):
        name = getattr(candidate, "name", None)
        if name:
            return name
    return getattr(request, "task", None) or "unknown"


def _prerun(task_id=None, task=None, **_):
    if task_id:
        _started[task_id] = time.perf_counter()


def _postrun(task_id=None, task=None, **_):
    started = _started.pop(task_id, None) if task_id else None
    if started is not None:
        CELERY_TASK_DURATION.labels(task=_name(task=task)).observe(time.perf_counter() - started)


def _success(sender=None, **_):
    CELERY_TASKS.labels(task=_name(sender=sender), outcome="success").inc()


def _failure(sender=None, **_):
    CELERY_TASKS.labels(task=_name(sender=sender), outcome="failure").inc()


def _retry(sender=None, request=None, **_):
    CELERY_TASKS.labels(task=_name(sender=sender, request=request), outcome="retry").inc()


def _revoked(sender=None, request=None, **_):
    CELERY_TASKS.labels(task=_name(sender=sender, request=request), outcome="revoked").inc()


def connect() -> None:
    global _connected
    if _connected:
        return
    signals.task_prerun.connect(_prerun, weak=False)
    signals.task_postrun.connect(_postrun, weak=False)
    signals.task_success.connect(_success, weak=False)
    signals.task_failure.connect(_failure, weak=False)
    signals.task_retry.connect(_retry, weak=False)
    signals.task_revoked.connect(_revoked, weak=False)
    _connected = True
