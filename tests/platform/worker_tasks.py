"""Tasks the worker tests load into a real Celery worker (`-I tests.platform.worker_tasks`)."""

from celery import shared_task


@shared_task(name="tests.add")
def add(x: int, y: int) -> int:
    return x + y


@shared_task(name="tests.fail")
def fail() -> None:
    raise ValueError("expected failure")
