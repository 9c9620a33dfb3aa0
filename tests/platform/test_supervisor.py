"""The dev supervisor restarts a service that exits unexpectedly (with backoff and a line saying so), gives up
after repeated failures with a clear line, leaves alone a service started again from outside, and still
stops everything it started."""

from __future__ import annotations

import io
import os
import sys
import threading

from dictamesh.devservices.supervisor import Supervisor
from tests.conftest import wait_until

STARTS = "import os, sys, time; open(sys.argv[1], 'a').write(f'{os.getpid()}\\n'); sys.stdout.flush()"


def starts(path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Running:
    """``sup.wait()`` in a thread, as ``dictamesh dev`` runs it; its answer once it returns."""

    def __init__(self, sup: Supervisor):
        self.sup, self.code = sup, None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.code = self.sup.wait()

    def stop(self) -> int | None:
        self.sup.request_stop()
        self.thread.join(10)
        self.sup.stop_all(grace=5)
        return self.code


def test_a_service_that_exits_is_restarted_and_the_others_run_on(tmp_path):
    out = io.StringIO()
    sup = Supervisor(out, color=False, backoff=0.05)
    flaky, steady = tmp_path / "flaky", tmp_path / "steady"
    sup.start("flaky", [sys.executable, "-c", STARTS + "; time.sleep(600)", str(flaky)])
    sup.start("steady", [sys.executable, "-c", STARTS + "; time.sleep(600)", str(steady)])
    running = Running(sup)
    try:
        assert wait_until(lambda: len(starts(flaky)) == 1 and len(starts(steady)) == 1), (
            "both started: not in time"
        )
        first = starts(flaky)[0]
        os.kill(first, 9)
        assert wait_until(lambda: len(starts(flaky)) == 2), "the restart: not in time"
        assert running.code is None  # still supervising
        assert starts(steady) == starts(steady)[:1] and alive(starts(steady)[0])  # untouched
        text = out.getvalue()
        assert "flaky exited unexpectedly with code -9" in text and "attempt 1 of 5" in text
        assert "flaky restarted (pid" in text
        second = starts(flaky)[1]
    finally:
        assert running.stop() == 0
    assert not alive(second) and not alive(starts(steady)[0])  # the restarted one is stopped too


def test_a_service_that_keeps_failing_is_given_up_with_a_clear_line(tmp_path):
    out = io.StringIO()
    sup = Supervisor(out, color=False, backoff=0.01, max_restarts=3)
    marker = tmp_path / "broken"
    sup.start("broken", [sys.executable, "-c", STARTS + "; print('no config'); sys.exit(3)", str(marker)])
    running = Running(sup)
    running.thread.join(30)
    assert running.code == 3
    assert len(starts(marker)) == 4  # the first start and 3 restarts
    text = out.getvalue()
    assert "attempt 3 of 3" in text and "broken exited with code 3, 4 times in a row" in text
    assert "giving up and stopping everything" in text and "no config" in text
    sup.stop_all(grace=5)


def test_a_service_running_long_enough_counts_its_failures_afresh(tmp_path):
    sup = Supervisor(io.StringIO(), color=False, backoff=0.01, max_restarts=1, stable_seconds=0.0)
    marker = tmp_path / "restarts"
    sup.start("exits", [sys.executable, "-c", STARTS + "; sys.exit(1)", str(marker)])
    running = Running(sup)
    try:
        assert wait_until(lambda: len(starts(marker)) >= 4), "restarts beyond max_restarts: not in time"
        assert running.code is None  # each run was "stable": never given up
    finally:
        running.stop()


def test_a_service_started_again_from_outside_is_left_alone(tmp_path):
    out = io.StringIO()
    sup = Supervisor(out, color=False, backoff=0.05)
    marker, outside = tmp_path / "db", tmp_path / "up-outside"
    child = sup.start(
        "db", [sys.executable, "-c", STARTS + "; time.sleep(600)", str(marker)], ready=outside.exists
    )
    running = Running(sup)
    try:
        assert wait_until(lambda: len(starts(marker)) == 1), "the start: not in time"
        outside.touch()  # e.g. `pg_ctl restart`: a new server up, not the supervisor's child
        os.kill(child.popen.pid, 9)
        assert wait_until(lambda: "started outside the supervisor" in out.getvalue()), "the line: not in time"
        assert len(starts(marker)) == 1 and running.code is None
    finally:
        assert running.stop() == 0
