"""What the benchmark scripts share: embedded services, the machine's description, the results file."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
import statistics
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_services():
    from dictamesh.devservices.ports import free_port
    from dictamesh.devservices.stack import Ports, start_services
    from dictamesh.devservices.supervisor import Supervisor

    tmp = Path(tempfile.mkdtemp(prefix="dictamesh-bench-"))
    tmp.chmod(0o755)
    sup = Supervisor(open(os.devnull, "w"), color=False)  # noqa: SIM115 - lives as long as the services
    sup.install_signal_handlers()  # SIGINT/SIGTERM unwind through main()'s finally: no server is left behind
    try:
        env = start_services(sup, tmp, Ports(free_port(), free_port(), free_port()), ephemeral=True)
    except BaseException:
        sup.stop_all(grace=10)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return sup, tmp, env


def machine() -> str:
    """``N cores, CPU model, Python X, commit Y``: the first line of every result section."""
    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    git = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], check=False, cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, commit {git or '?'}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def target_rows(targets: dict[str, tuple[str, float, str]], results: dict[str, list[float]]) -> list[str]:
    """Markdown rows ``| measure | median | target | ratio | rounds |``: a ``ms`` figure is better lower, any
    other unit (a rate) better higher; a ratio over 1 meets the target."""
    rows = []
    for key, (label, target, unit) in targets.items():
        median = statistics.median(results[key])
        ratio = target / median if unit == "ms" else median / target
        runs = ", ".join(f"{v:,.1f}" if unit == "ms" else f"{v:,.0f}" for v in results[key])
        bound = "≤" if unit == "ms" else "≥"
        value = f"{median:,.1f} ms" if unit == "ms" else f"{median:,.0f} {unit}"
        rows.append(f"| {label} | {value} | {bound} {target:,.0f} {unit} | {ratio:.2f}× | {runs} |")
    return rows


def append_section(path: Path, section: str) -> None:
    text = (
        path.read_text() if path.exists() else "# Benchmarks\n\nResults of the scripts under `benchmarks/`.\n"
    )
    path.write_text(text.rstrip("\n") + "\n" + section)


def boot(*, env: dict[str, str], shared_buffers: str | None = None):
    """Embedded services (unless DATABASE_URL and REDIS_URL point at some), the benchmark's environment, Django
    set up and migrated. Returns what ``shutdown`` stops."""
    sup = tmp = None
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        if shared_buffers:
            os.environ.setdefault("DICTAMESH_DEV_PG_SHARED_BUFFERS", shared_buffers)
        sup, tmp, started = start_services()
        os.environ.update(started)
    os.environ.setdefault("DICTAMESH_ENV", "test")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return sup, tmp


def shutdown(sup, tmp) -> None:
    if sup is not None:
        sup.stop_all(grace=10)
        shutil.rmtree(tmp, ignore_errors=True)
