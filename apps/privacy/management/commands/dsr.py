"""``dictamesh dsr list | show REF | new KIND --email … | verify REF | discover REF | approve REF [--wait] |
retry REF | skip REF --reason … | extend REF --days N --reason … | cancel REF --reason … | certificate REF |
register [--csv] | demo [--kind erasure]``: data-subject requests from the command line (an operator's tool:
it acts as ``cli:<user>``, recorded on every event).

``demo`` receives a request for the demo CRM's customer 7 (customer7@example.com), verifies it, finds the
places, approves the plan and runs it here, and prints the plan, what was done and the certificate.
"""

from __future__ import annotations

import getpass
import json
import time

from django.core.management.base import CommandError

from apps.privacy import selectors, services
from apps.privacy.contracts import KINDS, ExtendIn, RequestIn
from dictamesh.contracts import parse
from dictamesh.core.commands import CliCommand
from dictamesh.saga import engine


class Command(CliCommand):
    help = __doc__.split("\n\n")[0]

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="requests, newest first")
        listing.add_argument("--state")
        for name in ("show", "discover", "retry", "certificate"):
            sub.add_parser(name).add_argument("reference")
        new = sub.add_parser("new", help="receive a request")
        new.add_argument("kind", choices=KINDS)
        for kind in ("email", "phone", "customer-id", "account-id"):
            new.add_argument(f"--{kind}", action="append", default=[])
        new.add_argument("--jurisdiction", choices=["gdpr", "ccpa"])
        new.add_argument("--assignee", default="")
        verify = sub.add_parser("verify", help="the identity was checked")
        verify.add_argument("reference")
        verify.add_argument("--method", required=True, help="how")
        approve = sub.add_parser("approve", help="approve the plan: its saga runs (in a worker)")
        approve.add_argument("reference")
        approve.add_argument("--wait", action="store_true", help="run it here and wait for the outcome")
        for name in ("skip", "cancel", "reject"):
            cmd = sub.add_parser(name)
            cmd.add_argument("reference")
            cmd.add_argument("--reason", required=True)
        extend = sub.add_parser("extend")
        extend.add_argument("reference")
        extend.add_argument("--days", type=int, required=True)
        extend.add_argument("--reason", required=True)
        register = sub.add_parser("register", help="the register for a regulator")
        register.add_argument("--csv", action="store_true")
        demo = sub.add_parser("demo", help="a demo request about the demo CRM's customer 7, run end to end")
        demo.add_argument("--kind", choices=KINDS, default="access")

    def handle(self, *args, **options):
        self.actor = f"cli:{getpass.getuser()}"
        getattr(self, f"_{options['action']}")(options)

    def _print(self, data) -> None:
        self.stdout.write(json.dumps(data, indent=2, default=str))

    def _list(self, options) -> None:
        for req in selectors.request_list(state=options["state"]):
            state = selectors.request_state(req, saga=False)
            due = f"due {state['deadline']:%Y-%m-%d} ({state['days_left']} days)"
            self.stdout.write(
                f"{req.reference}  {req.kind:<15} {req.jurisdiction}  {req.state:<10} {due}  {req.assignee}"
            )

    def _show(self, options) -> None:
        self._print(selectors.request_state(selectors.request_get(reference=options["reference"])))

    def _new(self, options) -> None:
        identifiers = {
            k: options[k] for k in ("email", "phone", "customer_id", "account_id") if options.get(k)
        }
        body = parse(RequestIn, {"kind": options["kind"], "jurisdiction": options["jurisdiction"],
                                 "identifiers": identifiers, "assignee": options["assignee"]})  # fmt: skip
        req = services.request_create(request=body, actor=self.actor)
        self.stdout.write(f"{req.reference} received: due {services.deadline_of(req):%Y-%m-%d}")

    def _verify(self, options) -> None:
        req = services.request_verify(reference=options["reference"], verified=True, method=options["method"],
                                      actor=self.actor)  # fmt: skip
        self.stdout.write(f"{req.reference} {req.state}")

    def _discover(self, options) -> None:
        req = services.request_discover(reference=options["reference"], actor=self.actor)
        self._plan(req)

    def _plan(self, req) -> None:
        self.stdout.write(f"{req.reference}: {len(req.plan)} place(s)")
        for p in req.plan:
            extra = f"  held by {p['held_by']}" if p["held_by"] else ""
            extra += f"  ({p['problem']})" if p["problem"] else ""
            self.stdout.write(f"  {p['id']:<4} {p['source']}/{p['entity_type']}: {p['records']} record(s) via "
                              f"{p['via']} → {p['action']}{extra}")  # fmt: skip

    def _approve(self, options) -> None:
        req = services.request_approve(reference=options["reference"], actor=self.actor)
        self.stdout.write(f"{req.reference} approved: saga {req.saga_id}")
        if options["wait"]:
            self._wait(req)

    def _wait(self, req, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = engine.advance(str(req.saga_id))  # here, or a worker has it: a step runs once either way
            if state in ("completed", "compensated", "failed"):
                break
            time.sleep(0.5)
        req = selectors.request_get(reference=req.reference)
        state = selectors.request_state(req)
        self.stdout.write(f"{req.reference} {req.state} (saga {state['saga']['state']})")
        for line in req.outcome:
            detail = line.get("detail") or {}
            note = f", {detail['records']} record(s)" if "records" in detail else ""
            note += f" — legal hold {detail['held_by']}" if detail.get("held_by") else ""
            note += f" — {line['why']}" if line.get("why") else ""
            self.stdout.write(f"  {line['source']}/{line['entity_type']}: {line['done']}{note}")
        if state["export"] and state["export"].get("download_url"):
            self.stdout.write(f"export (downloadable once): {state['export']['download_url']}")
        if state["saga"]["state"] == "failed":
            raise SystemExit(1)

    def _retry(self, options) -> None:
        req = selectors.request_get(reference=options["reference"])
        engine.retry_step(instance_id=self._saga(req), actor=self.actor)
        self.stdout.write(f"{req.reference}: retrying")

    def _saga(self, req):
        if req.saga_id is None:
            raise CommandError(f"{req.reference} has not run yet")
        return req.saga_id

    def _skip(self, options) -> None:
        req = selectors.request_get(reference=options["reference"])
        engine.skip_step(instance_id=self._saga(req), actor=self.actor, reason=options["reason"])
        self.stdout.write(f"{req.reference}: skipped")

    def _cancel(self, options) -> None:
        req = services.request_cancel(
            reference=options["reference"], reason=options["reason"], actor=self.actor
        )
        self.stdout.write(f"{req.reference} {req.state}")

    def _reject(self, options) -> None:
        req = services.request_reject(
            reference=options["reference"], reason=options["reason"], actor=self.actor
        )
        self.stdout.write(f"{req.reference} {req.state}")

    def _extend(self, options) -> None:
        extension = parse(ExtendIn, {"days": options["days"], "reason": options["reason"]})
        req = services.request_extend(reference=options["reference"], extension=extension, actor=self.actor)
        self.stdout.write(f"{req.reference}: due {services.deadline_of(req):%Y-%m-%d}")

    def _certificate(self, options) -> None:
        req = selectors.request_get(reference=options["reference"])
        self.stdout.write(selectors.certificate_text(selectors.certificate(req)))

    def _register(self, options) -> None:
        data = selectors.register()
        if options["csv"]:
            self.stdout.write(selectors.register_csv(data))
        else:
            self._print({k: v for k, v in data.items() if k != "items"})

    def _demo(self, options) -> None:
        body = parse(RequestIn, {"kind": options["kind"], "identifiers": {"email": ["customer7@example.com"],
                                                                           "customer_id": ["7"]},
                                 "note": "a demo request (dictamesh dsr demo)"})  # fmt: skip
        req = services.request_create(request=body, actor=self.actor)
        self.stdout.write(f"{req.reference} received ({req.kind}, {req.jurisdiction.upper()}), "
                          f"due {services.deadline_of(req):%Y-%m-%d}")  # fmt: skip
        services.request_verify(reference=req.reference, verified=True, method="demo", actor=self.actor)
        req = services.request_discover(reference=req.reference, actor=self.actor)
        self._plan(req)
        req = services.request_approve(reference=req.reference, actor=self.actor)
        self._wait(req)
        self.stdout.write("")
        self.stdout.write(
            selectors.certificate_text(selectors.certificate(selectors.request_get(reference=req.reference)))
        )
