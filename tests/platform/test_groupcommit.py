"""dictamesh.groupcommit.Background: a pass of work after each wake-up, again while the work asks, a failing
pass never ends the thread, and close stops it (a later wake starts it anew)."""

from __future__ import annotations

import threading
import time

from dictamesh.groupcommit import Background


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_a_wake_runs_the_work_and_it_comes_back_while_it_asks():
    calls: list[int] = []

    def work() -> bool:
        calls.append(1)
        return len(calls) < 3  # come back twice, then rest

    background = Background(work, name="test-passes", gather=0.01)
    try:
        background.wake()
        assert wait_for(lambda: len(calls) == 3)
        time.sleep(0.1)
        assert len(calls) == 3  # resting until woken again
        background.wake()
        assert wait_for(lambda: len(calls) == 4)
    finally:
        background.close()
    assert not background._thread.is_alive()
    background.wake()  # closed: a wake starts it anew
    assert wait_for(lambda: len(calls) == 5)
    background.close()


def test_a_failing_pass_does_not_end_the_thread():
    outcomes: list[str] = []
    failed = threading.Event()

    def work() -> bool:
        if not failed.is_set():
            failed.set()
            outcomes.append("failed")
            raise RuntimeError("boom")
        outcomes.append("ok")
        return False

    background = Background(work, name="test-failure", gather=0.0)
    try:
        background.wake()
        assert wait_for(lambda: outcomes == ["failed", "ok"])  # tried again after the failure, by itself
    finally:
        background.close()
