"""What the benchmark scripts share: embedded services, the machine's description, the results file."""

from __future__ import annotations

import contextlib
import os
import platform
import shutil
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


def append_section(path: Path, section: str) -> None:
    text = (
        path.read_text() if path.exists() else "# Benchmarks\n\nResults of the scripts under `benchmarks/`.\n"
    )
    path.write_text(text.rstrip("\n") + "\n" + section)
