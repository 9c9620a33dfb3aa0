"""Every benchmark script still runs (issue 19: benchmarks never rot again): each in its smallest form, on
services of its own, as `make bench` and docs/benchmarks.md run them at scale. Correctness only — the
figures are printed, never asserted (no timing assertions in tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMALLEST = {
    "catalog_scale.py": ["--entities", "2000", "--relationships", "4000", "--vectors", "300", "--queries", "5",
                         "--rounds", "1"],
    "governance_overhead.py": ["--entities", "300", "--policies", "4", "--queries", "5", "--rounds", "1"],
    "schema_registry.py": ["--seconds", "0.5", "--runs", "1", "--clients", "2"],
    "gateway_live.py": ["--queries", "5", "--rounds", "1"],
    "events_throughput.py": ["--events", "200", "--runs", "1"],
    "notifications_throughput.py": ["--events", "50", "--workers", "1", "--runs", "1"],
    "lineage_scale.py": ["--nodes", "300", "--edges", "900", "--queries", "5", "--rounds", "1", "--seconds", "0.5",
                         "--clients", "2", "--few-clients", "0"],
}  # fmt: skip


def test_every_benchmark_script_is_covered():
    scripts = {p.name for p in (ROOT / "benchmarks").glob("*.py") if "add_argument" in p.read_text()}
    assert scripts == set(SMALLEST), "a benchmark with no smallest form here would rot unnoticed"


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(SMALLEST))
def test_a_benchmark_runs_in_its_smallest_form(script):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *SMALLEST[script]],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    assert done.stdout.strip(), "a benchmark prints its figures"
