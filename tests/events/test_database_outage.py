"""PostgreSQL unreachable from a running relay and consumer, then back: both processes stay up, wait with
backoff, and resume by themselves; every event is handled once.

The relay and the consumer run as the deployment runs them (``manage.py run_outbox_relay`` and
``run_consumers``) and reach the test database through a TCP forwarder of this test: cutting it is what
they see when PostgreSQL stops or the network fails, while the test itself keeps writing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from dictamesh.events.outbox import Change, publish_many
from dictamesh.events.relay import OutboxRelay
from tests.conftest import wait_until
from tests.platform.tcp_proxy import TcpProxy
from tests.platform.test_web_server import ROOT

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def _changes(stream, numbers):
    return [Change(stream.type("created"), f"dm:o:{n % 7}", {"n": n}) for n in numbers]


def test_relay_and_consumer_wait_out_a_database_outage_and_resume(stream, tmp_path):
    s = connection.settings_dict
    proxy = TcpProxy(s["HOST"], int(s["PORT"]))
    proxy.start()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{s['USER']}@127.0.0.1:{proxy.port}/{s['NAME']}",
        "DICTAMESH_DB_CONNECT_TIMEOUT": "2",
        "DICTAMESH_TEST_APP": stream.app,
        "DICTAMESH_TEST_SCRATCH": str(tmp_path),
        "DICTAMESH_EVENTS_REGISTRY": "tests.events.registry",
        "DICTAMESH_OUTBOX_POLL_SECONDS": "1",
    }
    logs = {name: (tmp_path / f"{name}.log").open("wb") for name in ("relay", "consumer")}
    processes = {
        "relay": subprocess.Popen(  # noqa: S603 - the project's own commands
            [sys.executable, "manage.py", "run_outbox_relay"], cwd=ROOT, env=env, stderr=logs["relay"]
        ),
        "consumer": subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "run_consumers", stream.consumer.name],
            cwd=ROOT,
            env=env,
            stderr=logs["consumer"],
        ),
    }

    def alive():
        dead = {name: p.returncode for name, p in processes.items() if p.poll() is not None}
        assert not dead, (dead, {n: (tmp_path / f"{n}.log").read_text()[-2000:] for n in dead})
        return True

    try:
        before = publish_many(_changes(stream, range(30)))
        assert wait_until(lambda: alive() and Group.objects.count() == 30, timeout=90), Group.objects.count()

        proxy.cut()
        # published by someone else meanwhile: the consumer gets them but cannot reach its database
        during = publish_many(_changes(stream, range(30, 60)))
        OutboxRelay().drain()
        # and written while the relay cannot reach the outbox
        pending = publish_many(_changes(stream, range(60, 90)))
        assert wait_until(
            lambda: (
                "unreachable" in (tmp_path / "relay.log").read_text()
                and "batch failed" in (tmp_path / "consumer.log").read_text()
            ),
            timeout=60,
        )
        alive()
        assert Group.objects.count() == 30  # nothing handled without its database

        restored = time.monotonic()
        proxy.restore()
        assert wait_until(lambda: alive() and Group.objects.count() == 90, timeout=120), Group.objects.count()
        recovered = time.monotonic() - restored
        assert set(Group.objects.values_list("name", flat=True)) == {e.id for e in before + during + pending}
        assert "the database is back" in (tmp_path / "relay.log").read_text()
        print(f"database back: relay and consumer caught up {recovered:.1f}s after it returned")
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = {name: process.wait(60) for name, process in processes.items()}
        proxy.cut()
    assert codes == {"relay": 0, "consumer": 0}  # a clean stop, never a crash
