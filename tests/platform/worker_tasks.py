"""Tasks the worker tests load into a real Celery worker (`-I tests.platform.worker_tasks`)."""

from celery import shared_task


@shared_task(ignore_result=False, name="tests.add")
def add(x: int, y: int) -> int:
    return x + y


@shared_task(ignore_result=False, name="tests.fail", autoretry_for=())
def fail() -> None:
    raise ValueError("expected failure")


@shared_task(ignore_result=False, name="tests.flaky", retry_backoff=0.1, retry_jitter=False)
def flaky(path: str, failures: int) -> str:
    """Fails ``failures`` times (counted in a file), then succeeds: retried by the base task class."""
    with open(path, "a") as handle:
        handle.write("x")
    with open(path) as handle:
        attempts = len(handle.read())
    if attempts <= failures:
        raise RuntimeError(f"attempt {attempts} fails")
    return f"ok after {attempts}"
