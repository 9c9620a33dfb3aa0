"""The saga engine with real Celery workers on the real broker and database: a worker SIGKILLed mid-step
leaves the step to be run again, once, by another worker; two workers sent the same instances many times
never run one step twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

from dictamesh.devservices.ports import free_port
from tests.conftest import wait_until
from tests.saga import sagas  # noqa: F401 - registers the test saga

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def queue(settings):
    name = f"saga-test-{free_port()}"
    settings.DICTAMESH_SAGA_QUEUE = name
    return name


@contextmanager
def _worker(queue: str, log: Path):
    from django.db import connection

    s = connection.settings_dict
    credentials = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    port = free_port()
    env = {
        **os.environ,
        "DICTAMESH_PROCESS": "worker",
        "DATABASE_URL": f"postgres://{credentials}@{s['HOST']}:{s['PORT']}/{s['NAME']}",
        "DICTAMESH_SAGAS": "apps.privacy.sagas,tests.saga.sagas",
        "DICTAMESH_SAGA_QUEUE": queue,
        "DICTAMESH_METRICS_PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(log.parent / f"metrics-{port}"),
    }
    os.makedirs(env["PROMETHEUS_MULTIPROC_DIR"])
    out = log.open("ab")
    proc = subprocess.Popen(  # noqa: S603 - the project's own worker
        [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "-Q", queue, "--concurrency", "1",
         "-l", "WARNING", "-n", f"{queue}-{port}@%h", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=out, stderr=out, start_new_session=True,
    )  # fmt: skip

    def up() -> bool:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read()
            return True
        except OSError:
            return False

    assert wait_until(up, timeout=90), "the worker did not start"
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        out.close()


def _lines(path: Path) -> list[list[str]]:
    return [line.split(":") for line in path.read_text().splitlines()] if path.exists() else []


def test_a_worker_killed_mid_step_is_resumed_once_by_another(tmp_path, queue):
    from dictamesh.saga import engine
    from dictamesh.saga.models import SagaInstance, SagaState, SagaStep

    work = tmp_path / "work"
    work.mkdir()
    with _worker(queue, tmp_path / "first.log") as first:
        inst = engine.start(name="test_flow", reference="kill",
                            context={"dir": str(work), "steps": [["short", "slow"], ["final", "after"]],
                                     "block": {"slow": str(tmp_path / "never")}})  # fmt: skip
        assert wait_until((work / "started").exists, timeout=60), "the step never started"
        os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool, mid-step
        first.wait(timeout=30)
    killed_at = time.monotonic()
    with _worker(queue, tmp_path / "second.log"):

        def finished() -> bool:
            engine.sweep()  # what beat does every 15 s: the lease (2 s) ended, the step is queued again
            return SagaInstance.objects.get(pk=inst.pk).state == SagaState.COMPLETED

        assert wait_until(finished, timeout=120), SagaInstance.objects.get(pk=inst.pk).state
    print(f"killed mid-step: resumed and completed {time.monotonic() - killed_at:.1f}s later")
    runs = _lines(work / "log")
    assert [r[:3] for r in runs] == [
        ["action", "slow", "1"],
        ["action", "slow", "2"],
        ["action", "after", "1"],
    ]
    assert runs[0][3] != runs[1][3]  # the second attempt ran in another process
    slow = SagaStep.objects.get(instance=inst, name="slow")
    assert [entry.get("outcome") for entry in slow.log] == ["lost", "ok"] and slow.attempts == 2


def test_two_workers_never_run_the_same_step(tmp_path, queue):
    from config.celery import app
    from dictamesh.saga import engine
    from dictamesh.saga.models import SagaInstance, SagaState

    with _worker(queue, tmp_path / "one.log"), _worker(queue, tmp_path / "two.log"):
        ids = []
        for n in range(12):
            work = tmp_path / f"w{n}"
            work.mkdir()
            inst = engine.start(name="test_flow", reference=f"race-{n}",
                                context={"dir": str(work), "steps": [["undoable", "a"], ["final", "b"]]})  # fmt: skip
            ids.append(inst.pk)
            for _ in range(3):  # duplicated messages: each worker is told to run the same instance
                app.send_task("dictamesh.saga.advance", args=(str(inst.pk),), queue=queue)

        def done() -> bool:
            return SagaInstance.objects.filter(pk__in=ids, state=SagaState.COMPLETED).count() == len(ids)

        assert wait_until(done, timeout=120)
    pids = set()
    for n in range(12):
        runs = _lines(tmp_path / f"w{n}" / "log")
        assert [r[:3] for r in runs] == [["action", "a", "1"], ["action", "b", "1"]], runs
        pids.update(r[3] for r in runs)
    print(f"12 instances, 4 messages each, run by {len(pids)} worker processes")
