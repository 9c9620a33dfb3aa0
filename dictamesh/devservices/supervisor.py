"""Run child processes with prefixed output; restart one that exits unexpectedly; stop every one of them,
and leave nothing behind.

Each child runs in its own session (process group), so a terminal's Ctrl-C reaches only the
supervisor, which then stops the children in reverse start order: the stop signal to the child
(or its whole group), a grace period, then SIGKILL to whatever is left of the group.

A long-running child that exits unexpectedly is started again after a backoff (0.5 s, doubled each time
up to 8 s), with a line saying so; the other children run on. After ``max_restarts`` exits in a row (each
within ``stable_seconds`` of its start) the supervisor gives up and stops everything, saying why. A
service found up again without it (restarted from outside, e.g. ``pg_ctl restart``) is left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

COLORS = ("36", "33", "35", "32", "34", "31", "96", "93", "95", "92")


class StopRequested(Exception):  # noqa: N818 - a signal, not an error
    pass


class ServiceFailed(RuntimeError):
    pass


@dataclass
class Child:
    name: str
    popen: subprocess.Popen
    stop_signal: int
    signal_group: bool
    reader: threading.Thread | None = None
    expected_exit: bool = False
    tail: list[str] = field(default_factory=list)
    spec: dict = field(default_factory=dict)  # how to start it again
    ready: Callable[[], bool] | None = None
    started_at: float = field(default_factory=time.monotonic)
    failures: int = 0  # exits in a row, each soon after its start
    restart_at: float | None = None
    index: int = 0
    outside: bool = False  # up again, started by someone else: not ours to restart

    @property
    def pgid(self) -> int:
        return self.popen.pid  # start_new_session: the child leads its own group


class Supervisor:
    def __init__(
        self,
        out: TextIO | None = None,
        *,
        color: bool | None = None,
        max_restarts: int = 5,
        backoff: float = 0.5,
        backoff_max: float = 8.0,
        stable_seconds: float = 30.0,
    ):
        self.max_restarts = max_restarts
        self.backoff, self.backoff_max, self.stable_seconds = backoff, backoff_max, stable_seconds
        self.out = out or sys.stdout
        self.color = self.out.isatty() if color is None else color
        self.children: list[Child] = []
        self.lock = threading.Lock()
        self.width = 8
        self._stop = threading.Event()

    # -- output -------------------------------------------------------------------------------------
    def say(self, name: str, line: str, index: int = 0) -> None:
        prefix = f"{name:<{self.width}} |"
        if self.color:
            prefix = f"\033[{COLORS[index % len(COLORS)]}m{prefix}\033[0m"
        with self.lock:
            self.out.write(f"{prefix} {line}\n")
            self.out.flush()

    def _pump(self, child: Child, index: int) -> None:
        stream = child.popen.stdout
        assert stream is not None
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            child.tail = (child.tail + [line])[-20:]
            self.say(child.name, line, index)
        stream.close()

    # -- lifecycle ----------------------------------------------------------------------------------
    def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: dict[str, str] | None = None,
        cwd: str | os.PathLike | None = None,
        user: str | None = None,
        stop_signal: int = signal.SIGTERM,
        signal_group: bool = True,
        ready: Callable[[], bool] | None = None,
    ) -> Child:
        """Start ``argv``; ``ready`` tells whether the service is up (then, found up after an exit, it is
        not started again)."""
        if self._stop.is_set():
            raise StopRequested()
        self.width = max(self.width, len(name))
        spec = {"argv": list(argv), "env": env, "cwd": cwd, "user": user}
        child = Child(name, self._popen(spec), stop_signal, signal_group, spec=spec, ready=ready)
        child.index = len(self.children)
        self._read(child)
        self.children.append(child)
        return child

    @staticmethod
    def _popen(spec: dict) -> subprocess.Popen:
        return subprocess.Popen(
            spec["argv"],
            env=spec["env"],
            cwd=spec["cwd"],
            user=spec["user"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _read(self, child: Child) -> None:
        child.reader = threading.Thread(
            target=self._pump, args=(child, child.index), daemon=True, name=f"pump-{child.name}"
        )
        child.reader.start()

    def run_once(self, name: str, argv: Sequence[str], *, env=None, cwd=None, timeout: float = 600) -> None:
        """Run a one-shot step (migrate...) as a supervised child; raise ServiceFailed when it fails."""
        child = self.start(name, argv, env=env, cwd=cwd)
        child.expected_exit = True
        deadline = time.monotonic() + timeout
        while child.popen.poll() is None:
            if self._stop.is_set():
                raise StopRequested()
            if time.monotonic() > deadline:
                raise ServiceFailed(f"{name} did not finish within {timeout:.0f}s")
            time.sleep(0.05)
        if child.reader:
            child.reader.join(timeout=5)
        self.children.remove(child)
        if child.popen.returncode != 0:
            raise ServiceFailed(f"{name} failed with exit code {child.popen.returncode}")

    def wait_ready(self, child: Child, ready: Callable[[], bool], *, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self._stop.is_set():
                raise StopRequested()
            if child.popen.poll() is not None:
                tail = "\n  ".join(child.tail[-10:])
                raise ServiceFailed(
                    f"{child.name} exited with code {child.popen.returncode} while starting:\n  {tail}"
                )
            if ready():
                return
            if time.monotonic() > deadline:
                raise ServiceFailed(f"{child.name} was not ready within {timeout:.0f}s")
            time.sleep(0.1)

    def request_stop(self) -> None:
        self._stop.set()

    def install_signal_handlers(self) -> None:
        def handler(signum, _frame):
            self._stop.set()
            raise StopRequested(signal.Signals(signum).name)

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)

    def wait(self) -> int:
        """Block until a stop is requested (0), restarting long-running children that exit; or until one
        has failed ``max_restarts`` times in a row (its last code, at least 1)."""
        while not self._stop.is_set():
            for child in self.children:
                if child.expected_exit or child.outside:
                    continue
                code = child.popen.poll()
                if code is None:
                    continue
                if child.restart_at is None:
                    given_up = self._exited(child, code)
                    if given_up is not None:
                        return given_up
                elif time.monotonic() >= child.restart_at:
                    self._restart(child)
            self._stop.wait(0.1)
        return 0

    def _exited(self, child: Child, code: int) -> int | None:
        """Schedule ``child``'s restart; its code when it has failed too often (give up)."""
        if child.reader:
            child.reader.join(timeout=2)  # its last lines first
        ran = time.monotonic() - child.started_at
        child.failures = 1 if ran >= self.stable_seconds else child.failures + 1
        if child.failures > self.max_restarts:
            self.say(
                "dictamesh",
                f"{child.name} exited with code {code}, {child.failures} times in a row within "
                f"{self.stable_seconds:g}s of starting; giving up and stopping everything",
            )
            return code or 1
        delay = min(self.backoff_max, self.backoff * 2 ** (child.failures - 1))
        self.say(
            "dictamesh",
            f"{child.name} exited unexpectedly with code {code} after {ran:.1f}s; restarting in {delay:g}s "
            f"(attempt {child.failures} of {self.max_restarts})",
        )
        child.restart_at = time.monotonic() + delay
        return None

    def _restart(self, child: Child) -> None:
        child.restart_at = None
        _kill_group(child.pgid, child.popen)  # what is left of the old one's group
        if child.ready is not None and _safe(child.ready):
            child.outside = True
            self.say("dictamesh", f"{child.name} is up again, started outside the supervisor; leaving it be")
            return
        child.popen = self._popen(child.spec)
        child.started_at = time.monotonic()
        self._read(child)
        self.say("dictamesh", f"{child.name} restarted (pid {child.popen.pid})")

    def stop_all(self, *, grace: float = 15.0) -> None:
        # ignore further Ctrl-C while cleaning up: a second one must not leave orphans
        previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        in_main = threading.current_thread() is threading.main_thread()
        if in_main:
            for sig in previous:
                signal.signal(sig, signal.SIG_IGN)
        try:
            for child in reversed(self.children):
                self._stop_child(child, grace)
            self.children.clear()
        finally:
            if in_main:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    def _stop_child(self, child: Child, grace: float) -> None:
        if child.popen.poll() is None:
            try:
                if child.signal_group:
                    os.killpg(child.pgid, child.stop_signal)
                else:
                    child.popen.send_signal(child.stop_signal)
            except ProcessLookupError:
                pass
            try:
                child.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.say("dictamesh", f"{child.name} did not stop within {grace:.0f}s; killing it")
        # whatever is left of the group (a server's workers, a reloader's child) goes too
        _kill_group(child.pgid, child.popen)
        if child.reader:
            child.reader.join(timeout=2)


def _safe(check: Callable[[], bool]) -> bool:
    try:
        return bool(check())
    except Exception:  # noqa: BLE001 - a probe that fails says "not up"
        return False


def _kill_group(pgid: int, popen: subprocess.Popen) -> None:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        popen.poll()  # reap the leader, or its zombie keeps the group alive
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            return
        except PermissionError:
            return
        time.sleep(0.05)
