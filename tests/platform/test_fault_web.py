"""A web worker SIGKILLed under load: Granian starts a new one, the other keeps serving, and no request gets
an error answer (a request on the killed worker's connection may be cut, never answered 5xx)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from dictamesh.devservices.ports import free_port
from tests.conftest import wait_until
from tests.platform.test_web_server import ROOT, entrypoint_argv, request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _children(pid: int) -> set[int]:
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.add(int(status.parent.name))
    return found


def test_a_killed_web_worker_is_replaced_and_no_request_gets_an_error(tmp_path):
    s = connection.settings_dict
    credentials = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    port = free_port()
    argv = entrypoint_argv(port)
    argv[argv.index("--workers") + 1] = "2"
    process = subprocess.Popen(  # noqa: S603 - the project's own server
        argv,
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": f"postgres://{credentials}@{s['HOST']}:{s['PORT']}/{s['NAME']}",
            "DICTAMESH_PROCESS": "web",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    answers: list[int] = []
    cut = [0]
    stop = threading.Event()

    def load():
        while not stop.is_set():
            try:
                answers.append(request(port, "GET", "/readyz")[0])  # a request that queries PostgreSQL
            except OSError:
                cut[0] += 1

    try:
        assert wait_until(lambda: len(_children(process.pid)) == 2 and _up(port), timeout=60)
        workers = _children(process.pid)
        threads = [threading.Thread(target=load, daemon=True) for _ in range(4)]
        for thread in threads:
            thread.start()
        assert wait_until(lambda: len(answers) >= 20, timeout=30)
        victim = sorted(workers)[0]
        os.kill(victim, signal.SIGKILL)
        killed, before = time.monotonic(), len(answers)
        assert wait_until(lambda: len(_children(process.pid) - {victim}) == 2, timeout=60), "not replaced"
        replaced = time.monotonic() - killed
        assert wait_until(lambda: len(answers) >= before + 50, timeout=60)
        stop.set()
        for thread in threads:
            thread.join(30)
        assert set(answers) == {200}, sorted(set(answers))  # no 5xx, ever
        assert process.poll() is None
        print(
            f"web worker killed: replaced in {replaced:.1f}s; {cut[0]} request(s) cut, {len(answers)} answered"
        )
    finally:
        stop.set()
        os.killpg(process.pid, signal.SIGTERM)
        try:  # the replacement may still be booting: Granian then waits out --workers-kill-timeout (30 s)
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # for a worker that refuses to stop; not what this test is about
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def _up(port: int) -> bool:
    try:
        return request(port, "GET", "/healthz")[0] == 200
    except OSError:
        return False
