"""Every benchmark script still runs (issue 19: benchmarks never rot again): each in its smallest form, on
services of its own, as `make bench` and docs/benchmarks.md run them at scale. Correctness only — the
figures are printed, never asserted (no timing assertions in tests)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import bench

ROOT = Path(__file__).resolve().parents[2]
SMALLEST = bench.SMALLEST


def test_every_benchmark_script_is_covered():
    scripts = {p.name for p in (ROOT / "benchmarks").glob("*.py") if "add_argument" in p.read_text()} - {
        "bench.py"
    }
    assert scripts == set(SMALLEST) == set(bench.SMALL), "a benchmark with no small form would rot unnoticed"


RESULTS = """# Benchmarks

## Schema registry over HTTP — 2026-11-20

2 cores, commit 1111111.

| measure | median | target | ratio | runs |
|---|---|---|---|---|
| schema by id (GET /schemas/ids/{id}) | 1,000 req/s | ≥ 2,000 req/s | 0.50× | 990, 1,000 |
| overhead | +5.0 % | ≤ 10 % | | |

## Schema registry over HTTP — 2026-12-01

2 cores, commit 2222222.

| measure | median | target | ratio | runs |
|---|---|---|---|---|
| schema by id (GET /schemas/ids/{id}) | 700 req/s | ≥ 2,000 req/s | 0.35× | 690, 700 |
| p95 | 40.0 ms | ≤ 50 ms | | |
| upstream calls | crm 1, warehouse 1 | one each | | |
"""


def test_make_bench_compares_with_the_newest_recorded_figure_and_flags_drops():
    newest = bench.latest(RESULTS)["Schema registry over HTTP"]
    assert newest["commit"] == "2222222" and newest["date"] == "2026-12-01"
    assert newest["rows"]["p95"] == ("40.0 ms", "≤ 50 ms")
    assert bench.change("500 req/s", "700 req/s")[1] is True  # throughput fell 29 %
    assert bench.change("650 req/s", "700 req/s")[1] is False  # 7 %: noise
    assert bench.change("52.0 ms", "40.0 ms")[1] is True and bench.change("41.0 ms", "40.0 ms")[1] is False
    assert bench.change("+31.0 %", "+5.0 %")[1] is True  # an overhead, in points
    assert bench.change("crm 2, warehouse 1", "crm 1, warehouse 1") is None  # not one figure
    new = {
        "title": "Schema registry over HTTP",
        "rows": {"schema by id (GET /schemas/ids/{id})": ("400 req/s", "≥ 2,000 req/s")},
    }
    assert "DROP" in "\n".join(bench.compare(new, newest))


def test_the_summary_table_is_made_from_the_newest_sections():
    once = bench.summary(RESULTS)
    assert once == bench.summary(once)  # made again in place, never twice
    table = once.split("<!-- summary:")[1].split("<!-- /summary -->")[0]
    assert "| Schema registry over HTTP | p95 | ≤ 50 ms | 40.0 ms | 2222222 | 2026-12-01 |" in table
    assert "1,000 req/s" not in table  # an older section's figure
    assert once.index("<!-- summary:") < once.index("## Schema registry")


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
