"""The `dictamesh` command: `dev` (everything at once), `test` (the suite), `check-config`, `events` (inspector),
`adapter`, `dsr` (data-subject requests), `schemas` (the registry from CI pipelines)."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent


def _manage(*args: str) -> list[str]:
    return [sys.executable, str(PROJECT_DIR / "manage.py"), *args]


def _in_process(*args: str, **env: str) -> int:
    """Run a management command in this process (a second interpreter would cost a tenth of a second)."""
    os.environ.update({"DICTAMESH_PROCESS": "cli", **env})
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if str(PROJECT_DIR) not in sys.path:
        sys.path.insert(0, str(PROJECT_DIR))
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["dictamesh", *args])
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def _bin(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


# -- dev ------------------------------------------------------------------------------------------------
def cmd_dev(args: argparse.Namespace) -> int:
    from dictamesh.devservices.ports import PortInUse, ensure_free
    from dictamesh.devservices.stack import Ports, start_services
    from dictamesh.devservices.supervisor import ServiceFailed, StopRequested, Supervisor

    data_dir = Path(
        args.data_dir or os.environ.get("DICTAMESH_DATA_DIR") or PROJECT_DIR / ".dictamesh"
    ).resolve()
    ports = Ports(postgres=args.postgres_port, redis=args.redis_port, kafka=args.kafka_port)
    try:
        ensure_free(
            {"web": args.web_port, "postgres": ports.postgres, "redis": ports.redis, "kafka": ports.kafka,
             "demo source": args.demo_source_port}
        )  # fmt: skip
    except PortInUse as exc:
        print(f"dictamesh dev: {exc}", file=sys.stderr)
        return 2
    data_dir.mkdir(parents=True, exist_ok=True)
    sup = Supervisor()
    sup.install_signal_handlers()
    _log_through(sup)
    started = time.monotonic()
    code = 0
    try:
        sup.say("dictamesh", f"starting services, data in {data_dir}")
        service_env = start_services(sup, data_dir, ports, ephemeral=False)
        metrics_dir = data_dir / "run" / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        env = {
            **os.environ,
            **service_env,
            "DICTAMESH_ENV": "dev",
            "DICTAMESH_DATA_DIR": str(data_dir),
            "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            "PYTHONUNBUFFERED": "1",
        }
        _write_services_file(data_dir, service_env)
        sup.run_once("migrate", _manage("migrate", "--no-input"), env={**env, "DICTAMESH_PROCESS": "cli"})
        sup.run_once("topics", _manage("kafka_topics", "sync"), env={**env, "DICTAMESH_PROCESS": "cli"})
        sup.run_once("setup", _manage("ensure_admin"), env={**env, "DICTAMESH_PROCESS": "cli"})
        # the demo CRM API, a source the demo adapter instance reads (live data in GraphQL)
        source_url = f"http://127.0.0.1:{args.demo_source_port}/api"
        source = sup.start(
            "source",
            [sys.executable, "-m", "dictamesh.devservices.demo_source", "--port", str(args.demo_source_port)],
            env={**env, "DICTAMESH_PROCESS": "source"},
            cwd=PROJECT_DIR,
        )
        sup.wait_ready(source, lambda: _http_ok(f"{source_url}/health"), timeout=30)
        env["DICTAMESH_DEMO_SOURCE_URL"] = source_url
        sup.run_once("demo", _manage("load_demo_data"), env={**env, "DICTAMESH_PROCESS": "cli"})
        web_argv = _manage("runserver", f"127.0.0.1:{args.web_port}")
        if args.no_reload:
            web_argv.append("--noreload")
        web = sup.start("web", web_argv, env={**env, "DICTAMESH_PROCESS": "web"}, cwd=PROJECT_DIR)
        if not args.no_worker:
            sup.start(
                "worker",
                [
                    _bin("celery"),
                    "-A",
                    "config",
                    "worker",
                    "-l",
                    "INFO",
                    "--concurrency",
                    str(args.concurrency),
                ],
                env={**env, "DICTAMESH_PROCESS": "worker"},
                cwd=PROJECT_DIR,
            )
            sup.start(
                "beat",
                [
                    _bin("celery"),
                    "-A",
                    "config",
                    "beat",
                    "-l",
                    "INFO",
                    "-s",
                    str(data_dir / "celerybeat-schedule"),
                ],
                env={**env, "DICTAMESH_PROCESS": "beat"},
                cwd=PROJECT_DIR,
            )
        sup.start(
            "relay", _manage("run_outbox_relay"), env={**env, "DICTAMESH_PROCESS": "events"}, cwd=PROJECT_DIR
        )
        sup.start(
            "events", _manage("run_consumers"), env={**env, "DICTAMESH_PROCESS": "events"}, cwd=PROJECT_DIR
        )
        sup.wait_ready(web, lambda: _http_ok(f"http://127.0.0.1:{args.web_port}/readyz"), timeout=120)
        sup.say(
            "dictamesh",
            f"ready in {time.monotonic() - started:.1f}s — http://127.0.0.1:{args.web_port}/ "
            f"(admin /admin/, GraphQL /graphql, REST /api/v1/docs). Ctrl-C stops everything.",
        )
        code = sup.wait()
    except StopRequested:
        code = 0
    except (ServiceFailed, subprocess.CalledProcessError, OSError) as exc:
        sup.say("dictamesh", f"error: {exc}")
        code = 1
    finally:
        sup.say("dictamesh", "stopping…")
        sup.stop_all()
        sup.say("dictamesh", "stopped")
    return code


class _SupervisorLogHandler(logging.Handler):
    def __init__(self, sup) -> None:
        super().__init__(logging.INFO)
        self.sup = sup

    def emit(self, record: logging.LogRecord) -> None:
        self.sup.say("dictamesh", record.getMessage())


def _log_through(sup) -> None:
    """The embedded services' own messages (binary relocation, data-dir moves) go out prefixed like the rest."""
    logger = logging.getLogger("dictamesh.devservices")
    logger.handlers = [_SupervisorLogHandler(sup)]
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _write_services_file(data_dir: Path, service_env: dict[str, str]) -> None:
    lines = [
        "# written by `dictamesh dev`: manage.py in this checkout uses these when the variables are unset"
    ]
    lines += [f"{key}={value}" for key, value in service_env.items()]
    (data_dir / "services.env").write_text("\n".join(lines) + "\n")


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - our own loopback URL
            return response.status == 200
    except OSError:
        return False


# -- test -----------------------------------------------------------------------------------------------
def cmd_test(args: argparse.Namespace, pytest_args: list[str]) -> int:
    """Run pytest against services of its own (or those named by DATABASE_URL, REDIS_URL, KAFKA_BOOTSTRAP_SERVERS)."""
    from dictamesh.devservices.ports import free_port
    from dictamesh.devservices.stack import Ports, start_services
    from dictamesh.devservices.supervisor import ServiceFailed, StopRequested, Supervisor

    given = {
        k: os.environ[k]
        for k in ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")
        if os.environ.get(k)
    }
    (PROJECT_DIR / ".dictamesh" / "coverage").mkdir(parents=True, exist_ok=True)  # where --cov writes
    tmp = Path(tempfile.mkdtemp(prefix="dictamesh-test-"))
    tmp.chmod(0o755)  # PostgreSQL may run as another user
    service_log_path = tmp / "services.log"
    service_log = service_log_path.open("w")
    sup = Supervisor(service_log, color=False)  # service chatter stays out of pytest's output
    sup.install_signal_handlers()
    code = 1
    try:
        if len(given) < 3:
            ports = Ports(postgres=free_port(), redis=free_port(), kafka=free_port())
            started = start_services(sup, tmp, ports, ephemeral=True)
            given = {**started, **given}
            print(
                f"dictamesh test: services up: {', '.join(f'{k}={v}' for k, v in given.items())}",
                file=sys.stderr,
            )
        env = {**os.environ, **given, "DICTAMESH_ENV": "test", "PYTHONUNBUFFERED": "1"}
        runner = subprocess.Popen([sys.executable, "-m", "pytest", *pytest_args], cwd=PROJECT_DIR, env=env)
        try:
            code = runner.wait()
        except StopRequested:
            runner.terminate()
            runner.wait(timeout=30)
            code = 130
    except StopRequested:
        code = 130
    except ServiceFailed as exc:
        service_log.flush()
        tail = service_log_path.read_text().splitlines()[-40:]
        print(f"dictamesh test: {exc}\n" + "\n".join(tail), file=sys.stderr)
        code = 1
    finally:
        sup.stop_all(grace=10)
        service_log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return code


# -- check-config ---------------------------------------------------------------------------------------
def cmd_check_config(args: argparse.Namespace) -> int:
    return _in_process("check_config", DICTAMESH_CHECK_CONFIG="1")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dictamesh", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    dev = sub.add_parser(
        "dev", help="run DictaMesh with embedded PostgreSQL, Redis and Kafka (Ctrl-C stops all)"
    )
    dev.add_argument("--web-port", type=int, default=int(os.environ.get("DICTAMESH_WEB_PORT", "8000")))
    dev.add_argument(
        "--postgres-port", type=int, default=int(os.environ.get("DICTAMESH_DEV_POSTGRES_PORT", "15432"))
    )
    dev.add_argument(
        "--redis-port", type=int, default=int(os.environ.get("DICTAMESH_DEV_REDIS_PORT", "16379"))
    )
    dev.add_argument(
        "--kafka-port", type=int, default=int(os.environ.get("DICTAMESH_DEV_KAFKA_PORT", "19092"))
    )
    dev.add_argument(
        "--demo-source-port",
        type=int,
        default=int(os.environ.get("DICTAMESH_DEV_DEMO_SOURCE_PORT", "18765")),
        help="the demo CRM API (a REST source the demo adapter reads)",
    )
    dev.add_argument("--data-dir", help="where data persists (default .dictamesh/ or DICTAMESH_DATA_DIR)")
    dev.add_argument("--no-reload", action="store_true", help="do not restart the web server on code changes")
    dev.add_argument("--no-worker", action="store_true", help="do not start Celery worker and beat")
    dev.add_argument("--concurrency", type=int, default=2, help="Celery worker processes")

    sub.add_parser(
        "test", help="run the test suite against its own embedded services (extra args go to pytest)"
    )
    sub.add_parser(
        "check-config", help="print the effective configuration (secrets redacted) and every problem"
    )
    sub.add_parser(
        "events", help="inspect events: tail | show ID | replay --from-dlq TOPIC (`events --help`)"
    )
    sub.add_parser(
        "adapter",
        help="source adapters: list | sync NAME [--full] | test NAME | new NAME (`adapter --help`)",
    )
    sub.add_parser(
        "dsr",
        help="data-subject requests: list | show | new | verify | discover | approve | certificate | demo "
        "(`dsr --help`)",
    )
    sub.add_parser(
        "schemas",
        help="the schema registry from CI: register | check | diff FILE --subject S (`schemas --help`)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["test"]:
        return cmd_test(argparse.Namespace(), argv[1:])
    if argv[:1] == ["schemas"]:
        from .cli_schemas import main as schemas_main

        return schemas_main(argv[1:])
    if argv[:2] == ["adapter", "new"]:
        from .adapters.scaffold import main as scaffold_main

        return scaffold_main(argv[2:])
    if argv[:1] in (["adapter"], ["events"], ["dsr"]):
        return _in_process(*argv)
    args = build_parser().parse_args(argv)
    if args.command == "dev":
        return cmd_dev(args)
    if args.command == "check-config":
        return cmd_check_config(args)
    return 2  # pragma: no cover - argparse enforces the choices


if __name__ == "__main__":
    sys.exit(main())
