"""Group commit: many request threads, one writer thread, one transaction for what arrives together.

A request thread hands its item to ``GroupCommit.submit`` and waits for its own result. The writer takes
the first item waiting and everything queued behind it (up to ``max_batch``), applies them together (one
round trip, one commit: the ``apply`` callable's business) and hands each thread its result or its
exception. Nothing changes for a caller but the cost: its write is committed when ``submit`` returns. Under
no load a batch is one item; under load batches grow by themselves, and the cost of a commit is shared.

The writer thread is started on first use in each process (again after a fork) and uses its own database
connection, closed after a second without work (and by ``close``), or after an error.

``Background`` is the other half of an asynchronous write path: a thread that does a pass of work each time
it is woken (the lineage applier drains its queue so).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Generic, TypeVar
from weakref import WeakSet

from django.db import close_old_connections, connection

from dictamesh.errors import ServiceUnavailable

T = TypeVar("T")
R = TypeVar("R")
logger = logging.getLogger("dictamesh.groupcommit")
_STOP = object()
_ALL: WeakSet = WeakSet()  # every writer and background thread of the process
IDLE_SECONDS = 1.0


def close_all() -> None:
    """Stop every writer of this process (tests, before their database goes; a clean shutdown)."""
    for committer in list(_ALL):
        committer.close()


class _ProcessThread:
    """A daemon thread per process, started on first use (again in a forked child, whose parent's thread and
    state are not its own): the one start routine of the writers below."""

    _name: str

    def _init_thread(self) -> None:
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid = 0
        _ALL.add(self)

    def _alive(self) -> bool:
        return self._pid == os.getpid() and self._thread is not None and self._thread.is_alive()

    def _start(self) -> None:
        if self._alive():
            return
        with self._lock:
            if self._alive():
                return
            if self._pid != os.getpid():
                self._fresh_state()
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name=f"dictamesh-{self._name}", daemon=True)
            self._thread.start()

    def _fresh_state(self) -> None:
        """What a forked child must not share with its parent (a queue, an event)."""

    def _run(self) -> None:
        raise NotImplementedError


class GroupCommit(_ProcessThread, Generic[T, R]):
    def __init__(
        self, apply: Callable[[list[T]], list[R | BaseException]], *, name: str, max_batch: int = 64
    ):
        self._apply = apply
        self._name = name
        self._max = max_batch
        self._queue: queue.SimpleQueue[tuple[T, Future]] = queue.SimpleQueue()
        self._init_thread()

    def close(self, timeout: float = 10.0) -> None:
        """Let the writer finish what is queued, close its connection and stop (the next submit starts anew)."""
        thread = self._thread
        if thread is not None and thread.is_alive() and self._pid == os.getpid():
            self._queue.put((_STOP, Future()))
            thread.join(timeout)

    def submit(self, item: T, *, timeout: float = 30.0) -> R:
        """Apply ``item`` in the writer's next transaction; its result, or its exception raised here."""
        self._start()
        future: Future = Future()
        self._queue.put((item, future))
        try:
            return future.result(timeout=timeout)
        except FutureTimeout:
            raise ServiceUnavailable(
                f"The {self._name} writer did not answer within {timeout:g} s."
            ) from None

    def _fresh_state(self) -> None:
        self._queue = queue.SimpleQueue()

    def _run(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:  # idle: hold no connection while nothing comes
                connection.close()
                first = self._queue.get()
            if first[0] is _STOP:
                connection.close()
                return
            batch = [first]
            while len(batch) < self._max:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item[0] is _STOP:
                    self._queue.put(item)  # after this batch
                    break
                batch.append(item)
            try:
                results = self._apply([item for item, _ in batch])
            except BaseException as exc:  # noqa: BLE001 - the writer outlives any batch; each caller gets it
                logger.exception("%s: a batch of %d failed", self._name, len(batch))
                results = [exc] * len(batch)
            if connection.errors_occurred:  # a connection a database error may have left unusable is replaced
                close_old_connections()
            for (_, future), result in zip(batch, results, strict=True):
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)


class Background(_ProcessThread):
    """A thread per process that runs ``work`` after ``wake``: once ``gather`` seconds have passed (what is
    woken for meanwhile shares the pass), and again while ``work`` returns True (come back soon). Wake-ups
    during a pass bring one more pass. Its database connection is closed after a second without wake-ups."""

    def __init__(self, work: Callable[[], bool], *, name: str, gather: float = 0.0):
        self._work = work
        self._name = name
        self._gather = gather
        self._event = threading.Event()
        self._stopping = False
        self._init_thread()

    def wake(self) -> None:
        self._start()
        self._event.set()

    def close(self, timeout: float = 10.0) -> None:
        """Finish the pass in progress, close the connection and stop (the next wake starts anew)."""
        thread = self._thread
        if thread is not None and thread.is_alive() and self._pid == os.getpid():
            self._stopping = True
            self._event.set()
            thread.join(timeout)
            self._stopping = False

    def _fresh_state(self) -> None:
        self._event = threading.Event()

    def _run(self) -> None:
        while True:
            if not self._event.wait(IDLE_SECONDS):  # idle: hold no connection while nothing comes
                connection.close()
                self._event.wait()
            if self._stopping:
                connection.close()
                return
            time.sleep(self._gather)
            self._event.clear()
            try:
                again = self._work()
            except Exception:  # noqa: BLE001 - the thread outlives any pass; the next wake-up tries again
                logger.exception("%s: a pass failed", self._name)
                close_old_connections()
                again = True
                time.sleep(1.0)
            if again or self._stopping:  # a stop asked for during the pass: its wake-up was cleared above
                self._event.set()
