from django.core.management.base import BaseCommand, CommandError

from dictamesh.events.admin_ops import admin_client, sync_topics
from dictamesh.events.topics import registered_topics


class Command(BaseCommand):
    help = (
        "Create or update the declared Kafka topics (and their .dlq topics) idempotently; print what changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["sync", "list"])
        parser.add_argument(
            "--dry-run", action="store_true", help="print what sync would change, change nothing"
        )

    def handle(self, *args, action, dry_run, **options):
        topics = list(registered_topics().values())
        if action == "list":
            for topic in topics:
                self.stdout.write(
                    f"{topic.name}  partitions={topic.partitions} retention.ms={topic.retention_ms} "
                    f"cleanup={topic.cleanup_policy} format={topic.format}  dlq={topic.dlq}"
                )
            return
        try:
            changes = sync_topics(topics, admin=admin_client(), dry_run=dry_run)
        except Exception as exc:
            raise CommandError(f"cannot sync topics: {exc}") from exc
        for change in changes:
            self.stdout.write(str(change))
        if not changes:
            self.stdout.write(
                f"{len(topics)} topic(s) and their dead-letter topics are up to date; nothing changed"
            )
