"""The base class of every DictaMesh Celery task: retries with exponential backoff and jitter.

Tasks take primitive ids and are idempotent (docs/architecture.md), so retrying any exception is safe.
A task that must not retry an error raises ``celery.exceptions.Reject`` or sets ``autoretry_for = ()``.
"""

from __future__ import annotations

from celery import Task


class DictaMeshTask(Task):
    autoretry_for = (Exception,)
    retry_backoff = 2  # seconds, doubled each retry
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5
