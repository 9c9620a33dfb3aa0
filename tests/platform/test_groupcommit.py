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


def test_a_close_asked_for_during_a_pass_stops_the_thread_when_the_pass_ends():
    """The pass clears its wake-up after the gather: a stop asked for then must not be lost with it (the
    thread would sleep until the next wake, and close give up waiting for it)."""
    gathering, released = threading.Event(), threading.Event()
    passes: list[int] = []

    def work() -> bool:
        passes.append(1)
        return False

    background = Background(work, name="test-close-mid-pass", gather=0.0)
    original_sleep = time.sleep

    def gather(seconds: float) -> None:  # the pass's gather, held open until the stop has been asked for
        if threading.current_thread() is background._thread:
            gathering.set()
            released.wait(10)
        else:
            original_sleep(seconds)

    background.wake()
    assert wait_for(lambda: background._thread is not None)
    import dictamesh.groupcommit as groupcommit

    groupcommit.time.sleep, restore = gather, groupcommit.time.sleep
    try:
        background.wake()
        assert gathering.wait(10)
        closing = threading.Thread(target=background.close)
        closing.start()
        assert wait_for(lambda: background._stopping)
        released.set()
        closing.join(30)
    finally:
        groupcommit.time.sleep = restore
        released.set()
    assert not closing.is_alive()
    assert not background._thread.is_alive() and passes
