"""``dictamesh adapter list | sync NAME [--full] | test NAME | new NAME``: adapters from the command line.

``sync`` runs the sync in this process, with a progress bar, and exits 0 when it succeeded, 1 when it failed
or was cancelled (Ctrl-C cancels it after the current batch).
"""

from __future__ import annotations

import signal

from apps.adapters import selectors, services
from dictamesh.core.commands import CliCommand


class Command(CliCommand):
    help = __doc__.split("\n\n")[0]

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="instances, their kind and last sync")
        sync = sub.add_parser("sync", help="sync an instance now, with a progress bar")
        sync.add_argument("name")
        sync.add_argument("--full", action="store_true", help="everything, and remove what the source lost")
        test = sub.add_parser("test", help="test an instance's connection")
        test.add_argument("name")
        new = sub.add_parser("new", help="scaffold a new adapter package (`dictamesh adapter new --help`)")
        new.add_argument("rest", nargs="*", metavar="NAME")

    def handle(self, *args, **options):
        if options["action"] == "new":  # `dictamesh adapter new` runs the scaffold without Django
            from dictamesh.adapters.scaffold import main as scaffold_main

            raise SystemExit(scaffold_main(options["rest"]))
        return {"list": self._list, "sync": self._sync, "test": self._test}[options["action"]](options)

    def _list(self, options) -> None:
        for row in selectors.instances():
            state = "enabled" if row.enabled else "disabled"
            last = selectors.iso(row.last_success_at) or "never"
            self.stdout.write(f"{row.name}\t{row.kind}\t{state}\tlast success: {last}")

    def _test(self, options) -> None:
        result = services.connection_test(name=options["name"])
        self.stdout.write(("ok" if result["ok"] else "FAILED") + f": {result['detail']}")
        if not result["ok"]:
            raise SystemExit(1)

    def _sync(self, options) -> None:
        from tqdm import tqdm

        run = services.sync_request(name=options["name"], full=options["full"], trigger="cli", enqueue=False)
        bar = tqdm(
            desc=f"sync {options['name']}", unit=" entities", file=self.stderr._out, dynamic_ncols=True
        )

        def progress(current) -> None:
            if current.total is not None and bar.total != current.total:
                bar.total = current.total
            bar.n = current.counts.get("seen", 0)
            bar.set_postfix({k: v for k, v in current.counts.items() if k != "seen" and v}, refresh=True)

        def cancel(*_args) -> None:
            self.stderr.write("\ncancelling after the current batch…")
            services.sync_cancel(run_id=run.pk)

        previous = signal.signal(signal.SIGINT, cancel)
        try:
            done = services.sync_execute(run_id=run.pk, progress=progress)
        finally:
            signal.signal(signal.SIGINT, previous)
            bar.close()
        counts = ", ".join(f"{k} {v}" for k, v in done.counts.items())
        self.stdout.write(f"{done.status} in {done.duration_ms} ms: {counts}")
        if done.error:
            self.stdout.write(done.error)
        if done.status != "succeeded":
            raise SystemExit(1)
