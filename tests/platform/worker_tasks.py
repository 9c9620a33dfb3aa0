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


@shared_task(ignore_result=False, name="tests.side_effect_once", autoretry_for=())
def side_effect_once(directory: str) -> str:
    """Counts its deliveries; the first one waits (to be killed mid-task), a later one does the side effect
    (a line in ``done``) and returns."""
    import os
    import time
    from pathlib import Path

    base = Path(directory)
    with (base / "deliveries").open("a") as handle:
        handle.write(f"{os.getpid()}\n")
    deliveries = (base / "deliveries").read_text().split()
    if len(deliveries) == 1:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # killed here by the test
            time.sleep(0.05)
        raise RuntimeError("was not killed")
    with (base / "done").open("a") as handle:
        handle.write("done\n")
    return f"done at delivery {len(deliveries)}"


@shared_task(
    ignore_result=False, name="tests.group_ensure", retry_backoff=0.2, retry_backoff_max=1, max_retries=None
)
def group_ensure(name: str, attempts_file: str) -> str:
    """Makes a group (idempotent: a retry after a commit finds it), counting its attempts in a file: a
    database task the base class retries while PostgreSQL is away."""
    from django.contrib.auth.models import Group

    with open(attempts_file, "a") as handle:
        handle.write("x")
    group, created = Group.objects.get_or_create(name=name)
    return f"{group.name} {'created' if created else 'found'}"
