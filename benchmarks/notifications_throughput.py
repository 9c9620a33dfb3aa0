"""Notifications per second from event to delivery at a local webhook receiver.

    .venv/bin/python benchmarks/notifications_throughput.py [--events 3000] [--workers 4] [--runs 3]
        [--write docs/benchmarks.md]

Starts its own embedded PostgreSQL, Redis and Kafka broker unless DATABASE_URL, REDIS_URL and
KAFKA_BOOTSTRAP_SERVERS are set. What runs is what a deployment runs: the ``notifications`` consumer
(``manage.py run_consumers notifications``, a process) matches each event against a webhook subscription
and writes the notification; Celery workers (``celery -A config worker``, ``--workers`` processes) deliver
each one, signed, to an HTTP receiver in a process of its own that counts what arrives. A run publishes
``--events`` events through the outbox and the relay, and measures from the first publish until the
receiver has every notification. Rate limits are off (one receiver would be one recipient).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TARGET = 500.0

from benchmarks.common import append_section, boot, machine, shutdown  # noqa: E402 - after sys.path


def _receive(port: int, count) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's supervisor handler
    signal.signal(signal.SIGINT, signal.SIG_DFL)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as webhook receivers behind any web server
        wbufsize = 1 << 16  # the answer in one write, as web servers do (two small writes wait for an ACK)

        def do_POST(self):  # noqa: N802 - http.server's hook name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with count.get_lock():
                count.value += 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def one_run(run: int, events: int, count, url: str) -> float:
    from apps.catalog.events import ENTITY_TOPIC
    from dictamesh.events.outbox import Change, publish_many
    from dictamesh.events.relay import OutboxRelay

    with count.get_lock():
        count.value = 0
    started = time.perf_counter()
    for start in range(0, events, 1000):
        publish_many(
            Change(f"dictamesh.bench.ping.r{run}", f"bench:{run}:{i}", {"n": i}, topic=ENTITY_TOPIC.name)
            for i in range(start, min(events, start + 1000))
        )
        OutboxRelay().drain()
    from apps.notifications.models import Notification

    deadline = time.monotonic() + 600
    matched = None
    while count.value < events and time.monotonic() < deadline:
        if (
            matched is None
            and Notification.objects.filter(type=f"dictamesh.bench.ping.r{run}").count() >= events
        ):
            matched = time.perf_counter() - started
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    print(
        f"  run {run}: every notification written after {matched or elapsed:.1f} s, delivered after {elapsed:.1f} s"
    )
    if count.value < events:
        raise SystemExit(f"run {run}: only {count.value} of {events} delivered in 600 s")
    return events / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--consumers", type=int, default=1, help="notifications consumer processes (one group)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args()
    sup = tmp = None
    processes: list[subprocess.Popen] = []
    receiver = None
    try:
        sup, tmp = boot(env={"DICTAMESH_PROCESS": "bench", "DICTAMESH_NOTIFY_RATE_PER_MINUTE": "0",
                             "DICTAMESH_NOTIFY_WEBHOOK_SECRET": "bench-secret"})  # fmt: skip
        from apps.notifications.models import Subscription
        from config.events import REGISTRY
        from dictamesh.devservices.ports import free_port
        from dictamesh.events.admin_ops import sync_topics

        sync_topics(REGISTRY.topics)
        port = free_port()
        count = multiprocessing.Value("i", 0)
        receiver = multiprocessing.Process(target=_receive, args=(port, count), daemon=True)
        receiver.start()
        url = f"http://127.0.0.1:{port}/hook"
        Subscription.objects.update_or_create(
            name="bench",
            defaults={"event_types": ["dictamesh.bench.*"], "channel": "webhook", "addresses": [url]},
        )
        env = {**os.environ, "DICTAMESH_PROCESS": "bench"}
        python = sys.executable
        quiet = {"cwd": ROOT, "env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        for _ in range(args.consumers):
            processes.append(
                subprocess.Popen([python, "manage.py", "run_consumers", "notifications"], **quiet)
            )
        celery = str(Path(python).parent / "celery")
        processes.append(subprocess.Popen([celery, "-A", "config", "worker", "-c", str(args.workers), "-Q",
                                           "dictamesh", "-l", "WARNING"], cwd=ROOT, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
        time.sleep(8)  # the consumer joins its group, the workers start
        one_run(0, 200, count, url)  # warm-up, untimed
        rates = []
        for run in range(1, args.runs + 1):
            rates.append(one_run(run, args.events, count, url))
            print(f"run {run}: {rates[-1]:,.0f} notifications/s", flush=True)
        median = statistics.median(rates)
        print(f"median {median:,.0f}/s (target ≥ {TARGET:,.0f}/s)")
        if args.write:
            section = (
                f"\n## Notifications throughput — {datetime.now(UTC):%Y-%m-%d}\n\n{machine()}.\n\n"
                f"Command: `.venv/bin/python benchmarks/notifications_throughput.py --events {args.events} "
                f"--workers {args.workers} --consumers {args.consumers} --runs {args.runs} "
                "--write docs/benchmarks.md`\n\n"
                "| measure | median | target | ratio | runs |\n|---|---|---|---|---|\n"
                f"| event → consumer → Celery → signed webhook delivered | {median:,.0f}/s | ≥ {TARGET:,.0f}/s "
                f"| {median / TARGET:.2f}× | {', '.join(f'{r:,.0f}' for r in rates)} |\n"
            )
            append_section(args.write, section)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if receiver is not None:
            receiver.terminate()
        shutdown(sup, tmp)


if __name__ == "__main__":
    main()
