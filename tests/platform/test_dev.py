"""`dictamesh dev` (what `make run` runs): everything up, /readyz 200 within 60 s, SIGINT leaves nothing behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
import pytest

from dictamesh.devservices.ports import free_port, port_is_free

ROOT = Path(__file__).resolve().parents[2]
DICTAMESH = str(Path(sys.executable).parent / "dictamesh")
pytestmark = pytest.mark.slow


def _clean_env(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DATABASE_", "REDIS_", "KAFKA_", "DICTAMESH_", "CELERY_", "PROMETHEUS_"))
    }
    env["DICTAMESH_DATA_DIR"] = str(data_dir)
    return env


class Dev:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.ports = {name: free_port() for name in ("web", "postgres", "redis", "kafka", "demo-source")}
        self.log = data_dir.parent / f"dev-{time.time_ns()}.log"

    def start(self) -> subprocess.Popen:
        argv = [DICTAMESH, "dev", "--no-reload", "--concurrency", "1"]
        for name, port in self.ports.items():
            argv += [f"--{name}-port", str(port)]
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=_clean_env(self.data_dir),
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self.proc

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.ports['web']}{path}"

    def wait_ready(self, timeout: float) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            assert self.proc.poll() is None, f"dictamesh dev exited early:\n{self.output()[-4000:]}"
            try:
                with urllib.request.urlopen(self.url("/readyz"), timeout=5) as response:
                    if response.status == 200:
                        return time.monotonic() - started
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        pytest.fail(f"/readyz not 200 within {timeout}s:\n{self.output()[-4000:]}")

    def descendants(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children(recursive=True)

    def stop(self, sig: int) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=90)


def _cmdline(process: psutil.Process) -> str:
    """A process's command line; empty for one that has just exited (a short-lived child, possibly not yet
    reaped: a zombie) while the tree was being read."""
    try:
        return " ".join(process.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):  # ZombieProcess is a NoSuchProcess
        return ""


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:  # gone between the two questions
        return False


def _get(url: str, token: str | None = None) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _post_graphql(dev: Dev, token: str, query: str) -> dict:
    request = urllib.request.Request(
        dev.url("/graphql"), data=json.dumps({"query": query}).encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def _assert_nothing_left(dev: Dev, processes: list[psutil.Process]) -> None:
    deadline = time.monotonic() + 10
    alive = processes
    while alive and time.monotonic() < deadline:
        alive = [p for p in processes if _running(p)]
        time.sleep(0.1)
    assert alive == [], [_cmdline(p) for p in alive]
    for name, port in dev.ports.items():
        assert port_is_free(port), f"{name} port {port} still taken"


@pytest.fixture
def data_dir():
    base = Path(tempfile.mkdtemp(prefix="dictamesh-devtest-"))
    base.chmod(0o755)  # PostgreSQL may run as another user
    yield base / "data"
    shutil.rmtree(base, ignore_errors=True)


def test_dev_boots_serves_persists_and_stops_cleanly(data_dir):
    dev = Dev(data_dir)
    dev.start()
    try:
        elapsed = dev.wait_ready(60)
        body = _get(dev.url("/readyz"))
        assert body["status"] == "ok" and all(c["ok"] for c in body["checks"].values())

        output = dev.output()
        token = next(line.split()[-1] for line in output.splitlines() if "API token:" in line)
        who = _get(dev.url("/api/v1/auth/whoami"), token)
        assert who["username"] == "admin" and who["is_superuser"] is True

        # manage.py in the same checkout reaches the same services with no extra environment
        env = _clean_env(data_dir)
        shell = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from django.conf import settings; from django.contrib.auth.models import User; "
                "print(settings.DATABASE_URL, User.objects.filter(username='admin').exists())",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shell.returncode == 0, shell.stderr
        assert f":{dev.ports['postgres']}/" in shell.stdout and "True" in shell.stdout

        deadline = time.monotonic() + 60  # the worker may finish booting after the web server
        while not any(x.startswith("worker ") and " ready." in x for x in dev.output().splitlines()):
            assert time.monotonic() < deadline, dev.output()[-3000:]
            time.sleep(0.2)
        # the catalog's demo data is there, and the worker embeds it: semantic search finds it
        assert "demo data — catalog:" in dev.output()
        # the demo sources are synced, and their live data is in GraphQL
        assert "demo data — adapters: demo-crm succeeded" in dev.output()
        live = _post_graphql(dev, token, '{ entity(urn: "dm:demo-crm:customer:1") { live { data source } } }')
        assert live["data"]["entity"]["live"]["source"] == "demo-crm"
        assert live["data"]["entity"]["live"]["data"]["email"] == "customer1@example.com"
        found = _get(dev.url("/api/v1/catalog/search?q=shipment&first=5"), token)
        assert found["total"] > 0 and found["items"][0]["entity"]["urn"].startswith("dm:")
        deadline = time.monotonic() + 60
        while not _get(dev.url("/api/v1/catalog/search?q=parcel+shipment+carrier&mode=semantic"), token)[
            "items"
        ]:
            assert time.monotonic() < deadline, dev.output()[-3000:]
            time.sleep(0.5)

        output = dev.output()
        processes = dev.descendants()
        names = " ".join(_cmdline(p) for p in processes)
        for expected in (
            "postgres",
            "redis-server",
            "tansu",
            "runserver",
            "worker",
            "beat",
            "run_outbox_relay",
            "run_consumers",
            "demo_source",
        ):
            assert expected in names, expected
        for prefix in ("postgres ", "redis ", "kafka ", "topics ", "web ", "worker ", "beat "):
            assert any(line.startswith(prefix) for line in output.splitlines()), (
                f"no prefixed {prefix!r} logs"
            )
        assert elapsed < 60
    finally:
        if dev.proc.poll() is None:
            processes = dev.descendants()
            code = dev.stop(signal.SIGINT)
    assert code == 0, dev.output()[-3000:]
    _assert_nothing_left(dev, processes)

    # a second start finds the data again: same admin, same token
    again = Dev(data_dir)
    again.ports = dev.ports
    again.start()
    try:
        again.wait_ready(60)
        assert "admin user 'admin' exists" in again.output()
        assert "demo-crm synced before" in again.output()
        assert _get(again.url("/api/v1/auth/whoami"), token)["username"] == "admin"
    finally:
        processes = again.descendants()
        code = again.stop(signal.SIGTERM)
    assert code == 0
    _assert_nothing_left(again, processes)


def test_a_taken_port_is_a_clear_error_not_a_hang(data_dir):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        result = subprocess.run(
            [
                DICTAMESH,
                "dev",
                "--web-port",
                str(port),
                "--postgres-port",
                str(free_port()),
                "--redis-port",
                str(free_port()),
                "--kafka-port",
                str(free_port()),
                "--demo-source-port",  # never the fixed default: `make run` may hold it
                str(free_port()),
            ],
            cwd=ROOT,
            env=_clean_env(data_dir),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"web port {port} already in use" in result.stderr
