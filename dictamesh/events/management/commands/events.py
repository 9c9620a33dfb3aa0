import json
import signal
import time
import uuid

from django.core.management.base import CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.dateparse import parse_datetime

from dictamesh.core.commands import CliCommand
from dictamesh.errors import NotFound
from dictamesh.events.dlq import replay_dead_letters
from dictamesh.events.envelope import EnvelopeError
from dictamesh.events.models import OutboxMessage
from dictamesh.events.producer import consumer_config
from dictamesh.events.selectors import event_log_dict, event_log_get
from dictamesh.events.serialization import decode
from dictamesh.events.topics import registered_topics


def _matches(event_type: str, pattern: str | None) -> bool:
    if not pattern:
        return True
    return event_type.startswith(pattern[:-1]) if pattern.endswith("*") else event_type == pattern


class Command(CliCommand):
    help = "Inspect events: `tail` the topics, `show` one event of the log, `replay` dead letters."
    requires_migrations_checks = False

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        tail = sub.add_parser("tail", help="print decoded events as they arrive (Ctrl-C stops)")
        tail.add_argument(
            "--topic", action="append", help="topic (repeatable; default: every declared topic)"
        )
        tail.add_argument("--type", help="only this event type (a trailing * matches a prefix)")
        tail.add_argument("--from-beginning", action="store_true", help="start at the oldest retained record")
        tail.add_argument("--max", type=int, help="stop after this many events")
        tail.add_argument("--timeout", type=float, help="stop after this many seconds")
        show = sub.add_parser("show", help="one event of the log, with its before/after state")
        show.add_argument("id")
        replay = sub.add_parser("replay", help="re-publish dead letters")
        replay.add_argument("--from-dlq", required=True, metavar="TOPIC")
        replay.add_argument("--since")
        replay.add_argument("--limit", type=int)

    def handle(self, *args, action, **options):
        getattr(self, f"do_{action}")(**options)

    def _print(self, body) -> None:
        self.stdout.write(json.dumps(body, indent=2, cls=DjangoJSONEncoder, ensure_ascii=False))
        self.stdout.flush()

    def do_show(self, id, **_):  # noqa: A002 - the argument's name
        try:
            row = event_log_get(event_id=id)
        except NotFound as exc:
            raise CommandError(exc.message) from exc
        outbox = OutboxMessage.objects.filter(event_id=row.event_id).first()
        published = None if outbox is None else (outbox.sent_at or "pending")
        self._print({**event_log_dict(row), "published": published})

    def do_replay(self, from_dlq, since=None, limit=None, **_):
        since_at = parse_datetime(since) if since else None
        if since and since_at is None:
            raise CommandError(f"--since {since!r} is not an ISO 8601 time")
        result = replay_dead_letters(from_dlq, since=since_at, limit=limit)
        self.stdout.write(f"replayed {result.replayed}, skipped {result.skipped}")

    def do_tail(self, topic=None, type=None, from_beginning=False, max=None, timeout=None, **_):  # noqa: A002
        from confluent_kafka import Consumer

        topics = topic or sorted(registered_topics())
        consumer = Consumer(
            consumer_config(
                short_session=True,
                **{
                    "group.id": f"dictamesh.tail.{uuid.uuid4().hex[:8]}",
                    "enable.auto.commit": False,
                    "auto.offset.reset": "earliest" if from_beginning else "latest",
                },
            )
        )
        stopped = []
        previous = signal.signal(signal.SIGINT, lambda *_: stopped.append(True))
        assigned: list = []

        def on_assign(consumer_, partitions) -> None:
            """Start where each partition ends now (asked of the broker, not left to a later fetch), so that
            once assigned, whatever is published is shown."""
            if not from_beginning:
                for partition in partitions:
                    partition.offset = consumer_.get_watermark_offsets(partition, timeout=10)[1]
            consumer_.assign(partitions)
            assigned.extend(partitions)

        consumer.subscribe(topics, on_assign=on_assign)
        self.stderr.write(f"tailing {', '.join(topics)} (Ctrl-C stops)")
        ready = False
        shown = 0
        deadline = time.monotonic() + timeout if timeout else None
        try:
            while not stopped and (deadline is None or time.monotonic() < deadline):
                record = consumer.poll(0.5)
                if assigned and not ready:  # every partition's starting offset is set: from now on, shown
                    ready = True
                    self.stderr.write(f"ready: {len(assigned)} partition(s) assigned")
                    self.stderr.flush()
                if record is None or record.error():
                    continue
                try:
                    event = decode(record.value(), record.headers())
                except EnvelopeError as exc:
                    self.stderr.write(
                        f"{record.topic()}[{record.partition()}]@{record.offset()}: not an event: {exc}"
                    )
                    continue
                if not _matches(event.type, type):
                    continue
                self._print(
                    {
                        "topic": record.topic(),
                        "partition": record.partition(),
                        "offset": record.offset(),
                        **event.as_dict(),
                    }
                )
                shown += 1
                if max is not None and shown >= max:
                    break
        finally:
            consumer.close()
            signal.signal(signal.SIGINT, previous)
