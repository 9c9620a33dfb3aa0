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
from tests.conftest import wait_until

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
        found = _get(dev.url("/api/v1/catalog/search?q=shipment&limit=5"), token)
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

    # a second start finds the data again: same admin, same token; then each service is killed in turn
    again = Dev(data_dir)
    again.ports = dev.ports
    again.start()
    try:
        again.wait_ready(60)
        assert "admin user 'admin' exists" in again.output()
        assert "demo-crm synced before" in again.output()
        assert _get(again.url("/api/v1/auth/whoami"), token)["username"] == "admin"
        _survives_kills(again, token)
    finally:
        processes = again.descendants()
        code = again.stop(signal.SIGTERM)
    assert code == 0
    _assert_nothing_left(again, processes)


def _service(dev: Dev, needle: str) -> psutil.Process:
    """The supervisor's child running ``needle`` (PostgreSQL's postmaster, not its workers)."""
    for child in psutil.Process(dev.proc.pid).children():
        if needle in _cmdline(child):
            return child
    raise AssertionError(f"no {needle} under the supervisor: {[_cmdline(c) for c in dev.descendants()]}")


def _patch(dev: Dev, token: str, urn: str, body: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        dev.url(f"/api/v1/catalog/entities/{urn}"), data=json.dumps(body).encode(), method="PATCH",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def _write_until_accepted(dev: Dev, token: str, urn: str, description: str) -> None:
    """A write after a service came back: accepted within a bounded time, and before that only 503 JSON."""
    answers: list[tuple[int, dict]] = []

    def accepted() -> bool:
        answers.append(_patch(dev, token, urn, {"description": description}))
        status, body = answers[-1]
        assert status in (200, 503) and body["code" if status == 503 else "description"], (status, body)
        return status == 200

    assert wait_until(accepted, timeout=60), f"writes still refused: {answers[-1]}\n{dev.output()[-3000:]}"
    assert answers[-1][1]["description"] == description


def _survives_kills(dev: Dev, token: str) -> None:
    """Redis, PostgreSQL and the broker SIGKILLed one after the other: the supervisor restarts each (a line
    says so), /readyz is ok again, a write is accepted, and its event reaches the consumers: the relay
    and consumers follow a broker that came back empty (tansu) without waiting out a timeout."""
    import psycopg

    urn = _get(dev.url("/api/v1/catalog/search?q=shipment&limit=1"), token)["items"][0]["entity"]["urn"]
    for name, needle in (("redis", "redis-server"), ("postgres", "postgres"), ("kafka", "tansu")):
        restarts = dev.output().count(f"{name} restarted")
        _service(dev, needle).kill()
        killed = time.monotonic()
        restarted = wait_until(lambda: dev.output().count(f"{name} restarted") > restarts, timeout=60)  # noqa: B023
        assert restarted, f"{name} not restarted:\n{dev.output()[-3000:]}"
        dev.wait_ready(90)
        _write_until_accepted(dev, token, urn, f"written after {name} was killed")
        print(f"{name} SIGKILLed: ready and writing again after {time.monotonic() - killed:.1f}s")
    assert "giving up" not in dev.output()

    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{dev.ports['postgres']}/dictamesh") as db:
        last_id, last = db.execute(
            "SELECT id, event_id::text FROM dictamesh_events_outbox WHERE subject = %s ORDER BY id DESC LIMIT 1",
            [urn],
        ).fetchone()
        written = time.monotonic()
        handled = "SELECT count(*) FROM dictamesh_events_processed WHERE event_id = %s AND consumer = 'catalog-cache'"

        def seen() -> bool:
            db.commit()  # a fresh snapshot each time
            return bool(db.execute(handled, [last]).fetchone()[0])

        assert wait_until(seen, timeout=90), (
            f"the last write's event was not handled:\n{dev.output()[-3000:]}"
        )
        print(f"the write after the broker came back was handled {time.monotonic() - written:.1f}s later")
        unsent = "SELECT count(*) FROM dictamesh_events_outbox WHERE sent_at IS NULL AND id <= %s"
        assert db.execute(unsent, [last_id]).fetchone()[0] == 0  # nothing written before it was lost


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
