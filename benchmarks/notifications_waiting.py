"""What Celery workers spend while rate-limited notifications wait: it should be close to nothing.

    .venv/bin/python benchmarks/notifications_waiting.py [--pending 10000] [--workers 2] [--seconds 30]
        [--write docs/benchmarks.md]

Starts its own embedded PostgreSQL, Redis and Kafka (or uses DATABASE_URL, REDIS_URL, KAFKA_BOOTSTRAP_SERVERS)
and Celery workers (``celery -A config worker``, ``--workers`` processes). ``--pending`` in-app
notifications go to one recipient whose rate is 6 a minute: the first few are delivered, each other one
reserves its slot once and waits for it (ADR 0015, issue 19). Once every notification has been tried once
(delivered, or waiting with its slot), the workers' CPU time (every process of theirs, from /proc) is
measured over ``--seconds``: the figure is the share of one core they used.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import append_section, boot, machine, shutdown  # noqa: E402 - after sys.path

TARGET = 10.0  # % of one core: "near idle" (an idle worker of this project uses about 2 % on 2 cores)
RATE = "6"


def _cpu_seconds(root_pid: int) -> float:
    """utime + stime of a process and its descendants (the worker's pool), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
        todo.extend(children.get(pid, []))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pending", type=int, default=10000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args()
    sup = tmp = worker = None
    try:
        sup, tmp = boot(env={"DICTAMESH_PROCESS": "bench", "DICTAMESH_NOTIFY_RATE_PER_MINUTE": RATE})
        from apps.notifications.models import Notification, Status
        from apps.notifications.services import notify_many
        from dictamesh.auth.services import user_ensure

        user = user_ensure(username="busy-reader")
        env = {**os.environ, "DICTAMESH_PROCESS": "bench", "DICTAMESH_NOTIFY_RATE_PER_MINUTE": RATE}
        celery = str(Path(sys.executable).parent / "celery")
        worker = subprocess.Popen(  # noqa: S603 - our own worker
            [celery, "-A", "config", "worker", "-c", str(args.workers), "-Q", "dictamesh", "-l", "WARNING"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        run = f"{time.time_ns()}"
        for start in range(0, args.pending, 1000):
            notify_many([
                {"type": "bench.waiting", "channel": "inapp", "user": user, "subject": f"n{i}",
                 "dedup_key": f"bench-{run}-{i}"}
                for i in range(start, min(args.pending, start + 1000))
            ])  # fmt: skip
        mine = Notification.objects.filter(dedup_key__startswith=f"bench-{run}-")
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:  # every one tried once: sent, or waiting with its reserved slot
            untried = mine.filter(status=Status.PENDING, rate_slot=False).count()
            if untried == 0:
                break
            time.sleep(0.5)
        else:
            raise RuntimeError(f"{untried} notifications were never tried")
        sent = mine.filter(status=Status.SENT).count()
        waiting = mine.filter(status=Status.PENDING).count()
        time.sleep(2)  # the last batch's writes and acks
        before, started = _cpu_seconds(worker.pid), time.monotonic()
        time.sleep(args.seconds)
        used = (_cpu_seconds(worker.pid) - before) / (time.monotonic() - started) * 100
        print(f"{args.pending:,} notifications: {sent:,} sent, {waiting:,} waiting for their slots; "
              f"workers used {used:.1f} % of one core over {args.seconds:.0f} s (target ≤ {TARGET:.0f} %)")  # fmt: skip
        if args.write:
            append_section(args.write, (
                f"\n## Notifications waiting for their rate — {datetime.now(UTC):%Y-%m-%d}\n\n{machine()}.\n\n"
                f"Command: `.venv/bin/python benchmarks/notifications_waiting.py --pending {args.pending} "
                f"--workers {args.workers} --seconds {args.seconds:.0f} --write docs/benchmarks.md`\n\n"
                "| measure | median | target | ratio | runs |\n|---|---|---|---|---|\n"
                f"| Celery workers' CPU with {waiting:,} rate-limited notifications waiting | {used:.1f} % "
                f"| ≤ {TARGET:.0f} % | {TARGET / max(used, 0.01):.2f}× | |\n\n"
                f"One recipient, {RATE} a minute: {sent:,} were delivered, each other one reserved its slot once "
                "and waits for it as a scheduled task; nothing polls the token bucket.\n"
            ))  # fmt: skip
    finally:
        if worker is not None:
            worker.terminate()
            worker.wait(timeout=30)
        shutdown(sup, tmp)


if __name__ == "__main__":
    main()
