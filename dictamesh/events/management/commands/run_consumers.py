import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from dictamesh.events.consumers import ConsumerRunner
from dictamesh.events.topics import registry as deployment_registry


class Command(BaseCommand):
    help = (
        "Run the registered Kafka consumers (all by default), each in its own thread, until SIGINT/SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument("names", nargs="*", help="consumer names (default: every registered consumer)")
        parser.add_argument(
            "--list", dest="list_only", action="store_true", help="list the registered consumers and exit"
        )

    def handle(self, *args, names, list_only, **options):
        registry = deployment_registry()
        if list_only:
            for spec in registry.consumers:
                self.stdout.write(
                    f"{spec.name}: topics={','.join(spec.topics)} group={spec.group} handler={spec.handler} "
                    f"max_attempts={spec.max_attempts}"
                )
            return
        try:
            specs = [registry.consumer(name) for name in names] if names else list(registry.consumers)
        except KeyError as exc:
            raise CommandError(str(exc)) from exc
        if not specs:
            self.stdout.write("no consumers are registered; waiting for a signal to stop")
        if settings.DICTAMESH_METRICS_PORT:
            from dictamesh.observability.metrics import serve_metrics

            serve_metrics(settings.DICTAMESH_METRICS_PORT)
        runners = [ConsumerRunner(spec) for spec in specs]
        stop = threading.Event()

        def on_signal(_signum, _frame):
            stop.set()
            for runner in runners:
                runner.stop()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)

        def run(runner):
            try:
                runner.run()
            finally:
                connection.close()

        threads = [threading.Thread(target=run, args=(r,), name=r.spec.name, daemon=True) for r in runners]
        for thread in threads:
            thread.start()
        while not stop.is_set() and (not threads or any(t.is_alive() for t in threads)):
            stop.wait(0.5)
        for thread in threads:
            thread.join(timeout=60)
        for runner in runners:
            self.stdout.write(f"{runner.spec.name}: {runner.stats}")
