"""A real Celery worker: task outcome metrics, and trace context carried from the caller into the task."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path

import pytest

from dictamesh.devservices.ports import free_port
from tests.fakes import FakeOTLPCollector

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow

CALLER = textwrap.dedent(
    """
    import django, os
    django.setup()
    from opentelemetry import trace
    from django.test import Client
    from config.celery import app

    import requests
    Client().get("/readyz")  # a traced Django request that queries PostgreSQL
    tracer = trace.get_tracer("tests")
    with tracer.start_as_current_span("caller") as span:
        requests.get(os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] + "/ping", timeout=5)  # outgoing HTTP
        result = app.send_task("tests.add", args=(2, 3))
        print("TRACE", format(span.get_span_context().trace_id, "032x"))
    print("RESULT", result.get(timeout=60))
    from dictamesh.observability import tracing
    tracing.shutdown()
    """
)


def _scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        return response.read().decode()


@pytest.fixture(scope="module")
def collector():
    with FakeOTLPCollector() as fake:
        yield fake


@pytest.fixture(scope="module")
def worker(collector):
    metrics_dir = tempfile.mkdtemp(prefix="dictamesh-metrics-")
    metrics_port = free_port()
    env = {
        **os.environ,
        "DICTAMESH_PROCESS": "worker",
        "DICTAMESH_METRICS_PORT": str(metrics_port),
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir,
        "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint,
        "OTEL_BSP_SCHEDULE_DELAY": "200",
    }
    celery = str(Path(sys.executable).parent / "celery")
    proc = subprocess.Popen(
        [
            celery,
            "-A",
            "config",
            "worker",
            "-I",
            "tests.platform.worker_tasks",
            "--concurrency",
            "1",
            "-l",
            "WARNING",
            "-n",
            f"test-{metrics_port}@%h",
            "--without-mingle",
            "--without-gossip",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _scrape(metrics_port)
            break
        except OSError:
            assert proc.poll() is None, "worker died while starting"
            time.sleep(0.2)
    else:
        pytest.fail("worker metrics endpoint never came up")
    yield {"metrics_port": metrics_port}
    proc.terminate()
    proc.wait(timeout=30)


def _value(text: str, needle: str) -> float:
    for line in text.splitlines():
        if line.startswith("dictamesh_celery_tasks_total{") and all(
            part in line for part in needle.split("|")
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_task_outcomes_are_counted(worker):
    from config.celery import app

    assert app.send_task("tests.add", args=(1, 2)).get(timeout=60) == 3
    failed = app.send_task("tests.fail")
    with pytest.raises(Exception, match="expected failure"):
        failed.get(timeout=60)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        text = _scrape(worker["metrics_port"])
        success = _value(text, 'task="tests.add"|outcome="success"')
        failure = _value(text, 'task="tests.fail"|outcome="failure"')
        if success >= 1 and failure >= 1:
            break
        time.sleep(0.2)
    assert success >= 1 and failure == 1
    assert "dictamesh_celery_task_duration_seconds_bucket" in text


def test_tasks_retry_with_backoff_and_retries_are_counted(worker, tmp_path):
    from config.celery import app

    path = tmp_path / "attempts"
    assert app.send_task("tests.flaky", args=(str(path), 2)).get(timeout=60) == "ok after 3"
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        text = _scrape(worker["metrics_port"])
        if _value(text, 'task="tests.flaky"|outcome="success"') >= 1:
            break
        time.sleep(0.2)
    assert _value(text, 'task="tests.flaky"|outcome="retry"') == 2
    assert _value(text, 'task="tests.flaky"|outcome="success"') == 1


def test_trace_context_crosses_into_the_task(worker, collector):
    env = {**os.environ, "DICTAMESH_PROCESS": "web", "OTEL_EXPORTER_OTLP_ENDPOINT": collector.endpoint}
    result = subprocess.run(
        [sys.executable, "-c", CALLER], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)
    assert lines["RESULT"] == "5"
    trace_id = lines["TRACE"]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        in_trace = [s for s in collector.spans if s["trace_id"] == trace_id]
        if any(s["process"] == "worker" for s in in_trace):
            break
        time.sleep(0.2)
    processes = {s["process"] for s in in_trace}
    assert processes == {"web", "worker"}, in_trace
    worker_spans = [s for s in in_trace if s["process"] == "worker"]
    assert any("tests.add" in s["name"] for s in worker_spans)
    # the worker's spans hang under the caller's spans: one trace, parent links intact
    caller_ids = {s["span_id"] for s in in_trace if s["process"] == "web"}
    assert any(s["parent_span_id"] in caller_ids for s in worker_spans)
    # outgoing HTTP of the caller is a child span in the same trace
    assert any(s["scope"].startswith("opentelemetry.instrumentation.requests") for s in in_trace)
    # the caller's Django request was traced, with its psycopg queries under it (a different trace)
    django_spans = [
        s for s in collector.spans if s["scope"].startswith("opentelemetry.instrumentation.django")
    ]
    assert django_spans
    request_trace = django_spans[0]["trace_id"]
    assert any(
        s["scope"].startswith("opentelemetry.instrumentation.psycopg") and s["trace_id"] == request_trace
        for s in collector.spans
    )


def test_a_worker_killed_mid_task_hands_the_task_over_and_it_is_done_once(worker, tmp_path):
    """acks_late and reject_on_worker_lost: the pool process running a task is SIGKILLed; the task goes
    back to the queue, a new pool process runs it, and its side effect happens once."""
    import signal

    from config.celery import app
    from tests.conftest import wait_until

    result = app.send_task("tests.side_effect_once", args=(str(tmp_path),))
    deliveries = tmp_path / "deliveries"
    assert wait_until(lambda: deliveries.exists() and deliveries.read_text().strip(), timeout=60)
    os.kill(int(deliveries.read_text().split()[0]), signal.SIGKILL)
    killed = time.monotonic()
    assert result.get(timeout=90) == "done at delivery 2"
    print(f"celery pool process killed mid-task: done {time.monotonic() - killed:.1f}s later")
    assert (tmp_path / "done").read_text() == "done\n"  # the side effect, once
    pids = deliveries.read_text().split()
    assert len(pids) == 2 and pids[0] != pids[1]  # by another process


@pytest.mark.django_db(transaction=True)
def test_a_worker_waits_out_a_database_outage_and_its_tasks_are_done_once(tmp_path):
    """PostgreSQL unreachable from a running worker (through a forwarder this test cuts): the worker stays
    up, a database task sent meanwhile fails and is retried with backoff, and once the database is back it
    is done, once; the next tasks run as before."""
    from django.contrib.auth.models import Group
    from django.db import connection

    from config.celery import app
    from tests.conftest import wait_until
    from tests.platform.tcp_proxy import TcpProxy

    s = connection.settings_dict
    proxy = TcpProxy(s["HOST"], int(s["PORT"]))
    proxy.start()
    credentials = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    env = {
        **os.environ,
        "DICTAMESH_PROCESS": "worker",
        "DATABASE_URL": f"postgres://{credentials}@127.0.0.1:{proxy.port}/{s['NAME']}",
        "DICTAMESH_DB_CONNECT_TIMEOUT": "2",
    }
    queue = f"outage-{free_port()}"
    log = (tmp_path / "worker.log").open("wb")
    proc = subprocess.Popen(  # noqa: S603 - the project's own worker
        [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "-I", "tests.platform.worker_tasks",
         "-Q", queue, "--concurrency", "1", "-l", "WARNING", "-n", f"{queue}@%h", "--without-mingle",
         "--without-gossip"],
        cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip
    try:
        first = app.send_task("tests.group_ensure", args=("before", str(tmp_path / "a0")), queue=queue)
        assert first.get(timeout=60) == "before created"
        proxy.cut()
        attempts = tmp_path / "a1"
        during = app.send_task("tests.group_ensure", args=("during", str(attempts)), queue=queue)
        assert wait_until(lambda: attempts.exists() and len(attempts.read_text()) >= 3, timeout=60)
        assert proc.poll() is None  # the worker waits; it does not exit
        assert not Group.objects.filter(name="during").exists()
        proxy.restore()
        restored = time.monotonic()
        assert during.get(timeout=60) == "during created"
        print(f"celery worker, database back: task done {time.monotonic() - restored:.1f}s later")
        assert Group.objects.filter(name="during").count() == 1
        after = app.send_task("tests.group_ensure", args=("after", str(tmp_path / "a2")), queue=queue)
        assert after.get(timeout=60) == "after created"
        assert len((tmp_path / "a2").read_text()) == 1  # first time: the worker's connection is a new one
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        proxy.cut()
