"""The web role's server (Granian, as docker/entrypoint.sh starts it) serves DictaMesh: health, an OpenLineage
event through the fast route, and the Marquez read that follows it through Django."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
import pytest
from django.db import connection

from dictamesh.auth.services import api_token_create, user_ensure
from dictamesh.devservices.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


def entrypoint_argv(port: int) -> list[str]:
    """The web role's command line from docker/entrypoint.sh, on a local port, with 1 worker of 2 threads."""
    text = (ROOT / "docker/entrypoint.sh").read_text()
    command = re.search(r"exec (granian config\.wsgi:application .*?);;", text, re.S).group(1)
    command = command.replace("\\\n", " ").replace('"', "")
    command = command.replace("0.0.0.0", "127.0.0.1").replace("${WEB_PORT:-8000}", str(port))
    command = command.replace("${WEB_CONCURRENCY:-4}", "1").replace("${WEB_THREADS:-4}", "2")
    argv = command.split()
    argv[0] = str(Path(sys.executable).parent / "granian")
    return argv


def request(port: int, method: str, path: str, body: bytes | None = None, **headers) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(method, path, body=body, headers={"Content-Type": "application/json", **headers})
    response = conn.getresponse()
    payload = response.read()
    is_json = response.getheader("Content-Type", "").startswith("application/json")
    return response.status, orjson.loads(payload) if is_json else {"text": payload.decode()}


@pytest.fixture
def server():
    settings = connection.settings_dict
    credentials = settings["USER"] + (f":{settings['PASSWORD']}" if settings.get("PASSWORD") else "")
    database = f"postgres://{credentials}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - the project's own server
        entrypoint_argv(port),
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database, "DICTAMESH_PROCESS": "web"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(port, "GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"granian did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.2)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_the_web_role_serves_events_in_and_lineage_out(server):
    token = api_token_create(user=user_ensure(username="producer"), name="test").clear
    run_id = str(uuid.uuid4())
    event = {
        "eventType": "COMPLETE",
        "eventTime": "2026-11-26T10:00:00Z",
        "producer": "https://example.com/producer",
        "run": {"runId": run_id},
        "job": {"namespace": "airflow", "name": "load"},
        "inputs": [{"namespace": "pg", "name": "raw"}],
        "outputs": [{"namespace": "pg", "name": "staged"}],
    }
    auth = {"Authorization": f"Bearer {token}"}
    status, answer = request(server, "POST", "/api/v1/lineage", orjson.dumps(event), **auth)
    assert (status, answer) == (201, {"status": "stored", "kind": "RunEvent", "runId": run_id})
    status, answer = request(server, "POST", "/api/v1/lineage", b"{nope", **auth)
    assert (status, answer["code"]) == (400, "invalid_json")
    status, run = request(server, "GET", f"/api/v1/jobs/runs/{run_id}", **auth)  # applied before it is read
    assert (status, run["state"]) == (200, "COMPLETED")
    status, graph = request(server, "GET", "/api/v1/lineage?nodeId=dataset:pg:staged&depth=2", **auth)
    assert status == 200 and {n["id"] for n in graph["graph"]} == {
        "dataset:pg:raw",
        "job:airflow:load",
        "dataset:pg:staged",
    }
