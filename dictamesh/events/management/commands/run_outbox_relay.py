import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from dictamesh.events.relay import OutboxRelay


class Command(BaseCommand):
    help = "Publish committed outbox rows to Kafka (runs until SIGINT/SIGTERM; several may run side by side)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="publish what is pending, then exit")
        parser.add_argument("--batch", type=int, default=None, help="rows per transaction")

    def handle(self, *args, once, batch, **options):
        relay = OutboxRelay(batch_size=batch)
        if once:
            self.stdout.write(f"published {relay.drain()} event(s)")
            return
        if settings.DICTAMESH_METRICS_PORT:
            from dictamesh.observability.metrics import serve_metrics

            serve_metrics(settings.DICTAMESH_METRICS_PORT)

        def stop(_signum, _frame):
            relay.stop_event.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        relay.run()
