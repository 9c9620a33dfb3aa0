"""The base class of every DictaMesh Celery task: retries with exponential backoff and jitter.

Tasks take primitive ids and are idempotent (docs/architecture.md), so retrying any exception is safe.
A task that must not retry an error raises ``celery.exceptions.Reject`` or sets ``autoretry_for = ()``.
"""

from __future__ import annotations

from celery import Task


class DictaMeshTask(Task):
    autoretry_for = (Exception,)
    # Nothing reads a DictaMesh task's result: sending one does not subscribe to it in Redis (with Redis away
    # that subscription retried for 19 s, then left the result store broken until a restart).
    ignore_result = True
    retry_backoff = 2  # seconds, doubled each retry
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5


def registered(name: str) -> Task:
    """The task registered under ``name``, for a service that queues it.

    A service does not import the tasks module that runs it (that module imports the service: a module
    cycle). Celery's autodiscovery (config/celery.py) imports every app's tasks module in a worker at
    start; a process that only sends (web, relay, consumers) has it done at its first lookup. Eager mode in
    tests applies to the task as to the imported object."""
    from celery import current_app

    tasks = current_app.tasks
    if name not in tasks:
        current_app.loader.import_default_modules()  # runs the autodiscovery: every app's tasks.py
    return tasks[name]
