from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from dictamesh.events.dlq import replay_dead_letters


class Command(BaseCommand):
    help = "Re-publish the dead letters of TOPIC (or TOPIC.dlq) to the topic they came from."

    def add_arguments(self, parser):
        parser.add_argument("topic")
        parser.add_argument("--since", help="only letters that failed at or after this ISO 8601 time")
        parser.add_argument("--limit", type=int, help="replay at most this many")
        parser.add_argument("--all", action="store_true", help="replay every letter again, not only new ones")

    def handle(self, *args, topic, since, limit, all, **options):  # noqa: A002 - the option's name
        since_at = parse_datetime(since) if since else None
        if since and since_at is None:
            raise CommandError(f"--since {since!r} is not an ISO 8601 time")
        result = replay_dead_letters(topic, since=since_at, limit=limit, from_beginning=all)
        targets = ", ".join(sorted(result.topics or [])) or "-"
        self.stdout.write(f"replayed {result.replayed}, skipped {result.skipped} (to {targets})")
