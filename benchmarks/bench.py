"""`make bench`: every headline benchmark at a small scale, each figure against its target and against the
last figure recorded for it in docs/benchmarks.md, flagging a drop of more than 20 %.

    .venv/bin/python benchmarks/bench.py [--only NAME ...] [--summary]

Each script runs on services of its own with ``--write`` into a scratch file; its table (``| measure |
median | target | ratio | … |``) is read back and compared by measure with the newest section of the same
title in docs/benchmarks.md. Small-scale figures are not the recorded ones' scale (the catalog's headline is
at 1M entities): the comparison tells a regression from noise only where the scales match, and says the
scale. ``--summary`` rewrites the summary table at the top of docs/benchmarks.md from the newest section of
each title (measure, target, latest value, commit, date) and runs nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmarks.md"
DROP = 0.20

# the smallest form of each script: what the suite runs (tests/platform/test_benchmarks.py), correctness only
SMALLEST = {
    "catalog_scale.py": ["--entities", "2000", "--relationships", "4000", "--vectors", "300", "--queries", "5",
                         "--rounds", "1"],
    "governance_overhead.py": ["--entities", "300", "--policies", "4", "--queries", "5", "--rounds", "1"],
    "schema_registry.py": ["--seconds", "0.5", "--runs", "1", "--clients", "2"],
    "gateway_live.py": ["--queries", "5", "--rounds", "1"],
    "events_throughput.py": ["--events", "200", "--runs", "1"],
    "notifications_throughput.py": ["--events", "50", "--workers", "1", "--runs", "1"],
    "notifications_waiting.py": ["--pending", "30", "--workers", "1", "--seconds", "1"],
    "lineage_scale.py": ["--nodes", "300", "--edges", "900", "--queries", "5", "--rounds", "1", "--seconds", "0.5",
                         "--clients", "2", "--few-clients", "0"],
    "soak.py": ["--minutes", "0.1", "--rate", "10", "--clients", "2", "--sample", "2", "--warmup", "2"],
    "contract_parsing.py": ["--items", "200", "--runs", "1"],
    "semantic_recall.py": ["--runs", "1"],
}  # fmt: skip
# the small scale of `make bench`: every headline figure in about 6 minutes on 2 cores
SMALL = {
    "catalog_scale.py": ["--entities", "50000", "--relationships", "150000", "--vectors", "5000", "--queries",
                         "50", "--rounds", "1"],
    "governance_overhead.py": ["--entities", "5000", "--policies", "20", "--queries", "60", "--rounds", "3"],
    "schema_registry.py": ["--seconds", "3", "--runs", "3"],
    "gateway_live.py": ["--queries", "100", "--rounds", "3"],
    "events_throughput.py": ["--events", "5000", "--runs", "3"],
    "notifications_throughput.py": ["--events", "1000", "--runs", "1"],
    "notifications_waiting.py": ["--pending", "5000", "--seconds", "10"],
    "lineage_scale.py": ["--nodes", "10000", "--edges", "50000", "--queries", "50", "--rounds", "1", "--seconds",
                         "3"],
    "soak.py": ["--minutes", "0.25", "--rate", "20", "--sample", "5", "--warmup", "10"],
    "contract_parsing.py": ["--items", "20000", "--runs", "5"],
    "semantic_recall.py": ["--runs", "3"],
}  # fmt: skip

_NUMBER = re.compile(r"^[+-]?[\d,]*\.?\d+")


def sections(text: str) -> list[dict]:
    """The results' sections in order: ``{"title", "date", "commit", "rows": {measure: (median, target)}}``."""
    found: list[dict] = []
    for block in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        heading, _, body = block.partition("\n")
        title, _, date = heading.partition(" — ")
        commit = re.search(r"commit ([0-9a-f]{7,40})", body)
        rows: dict[str, tuple[str, str]] = {}
        lines = body.splitlines()
        columns: dict[str, int] | None = None
        for i, line in enumerate(lines):
            if not line.startswith("|"):
                columns = None
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if i + 1 < len(lines) and re.fullmatch(r"\|?[\s:|-]+\|?", lines[i + 1].strip()):  # a header
                columns = {name.split()[0].lower() if name else "": n for n, name in enumerate(cells)}
                continue
            if columns is None or set("".join(cells)) <= set("-: "):
                continue
            # a median of rounds, or (one long run, the soak) a value
            median, target = columns.get("median", columns.get("value")), columns.get("target")
            if median is not None and target is not None and len(cells) > max(median, target):
                rows[cells[0]] = (cells[median], cells[target])
        found.append({"title": title.strip(), "date": date.strip()[:10], "commit": commit.group(1) if commit
                      else "", "rows": rows})  # fmt: skip
    return found


def latest(text: str) -> dict[str, dict]:
    """The newest section of each title that has a table."""
    newest: dict[str, dict] = {}
    for section in sections(text):
        if section["rows"]:
            newest[section["title"]] = section
    return newest


def value(cell: str) -> tuple[float, str] | None:
    """A figure as (number, unit): ``529 req/s`` → (529, "req/s"); None when it is not one number."""
    match = _NUMBER.match(cell.strip())
    if match is None:
        return None
    rest = cell.strip()[match.end() :].strip()
    if re.search(r"\d", rest):
        return None  # several numbers ("crm 1, warehouse 1"): not comparable as one
    return float(match.group().replace(",", "")), rest


def higher_is_better(unit: str) -> bool:
    return "/s" in unit


def change(new: str, old: str) -> tuple[float, bool] | None:
    """(relative change, whether it is a drop of more than DROP) of a figure against its recorded one."""
    now, before = value(new), value(old)
    if now is None or before is None or before[0] == 0 or now[1] != before[1]:
        return None
    ratio = now[0] / before[0] - 1
    worse = -ratio if higher_is_better(now[1]) else ratio
    if now[1].strip() == "%":  # an overhead: its change is in points
        ratio, worse = now[0] - before[0], now[0] - before[0]
        return ratio, worse > DROP * 100
    return ratio, worse > DROP


def compare(new: dict, recorded: dict | None) -> list[str]:
    lines = [f"{new['title']}"]
    for measure, (median, target) in new["rows"].items():
        old = (recorded or {}).get("rows", {}).get(measure)
        shown = f"  {measure}: {median} (target {target})"
        if old is not None:
            delta = change(median, old[0])
            shown += f"; recorded {old[0]} ({recorded['date']}, {recorded['commit'] or '?'})"
            if delta is not None:
                shown += f", {delta[0]:+.1%}" if "%" not in median else f", {delta[0]:+.1f} points"
                if delta[1]:
                    shown += "  ← DROP over 20 %"
        lines.append(shown)
    return lines


def summary(text: str) -> str:
    """``text`` with its summary table (between the markers) made again from the newest sections."""
    rows = ["| benchmark | measure | target | latest | commit | date |", "|---|---|---|---|---|---|"]
    for title, section in latest(text).items():
        if title.startswith("Summary"):
            continue
        for measure, (median, target) in section["rows"].items():
            if target not in ("—", ""):
                rows.append(
                    f"| {title} | {measure} | {target} | {median} | {section['commit']} | {section['date']} |"
                )
    block = (
        "<!-- summary: made by `benchmarks/bench.py --summary` -->\n"
        + "\n".join(rows)
        + "\n<!-- /summary -->"
    )
    if "<!-- summary:" in text:
        return re.sub(r"<!-- summary:.*?<!-- /summary -->", lambda _: block, text, flags=re.DOTALL)
    head, _, rest = text.partition("\n## ")
    return head.rstrip("\n") + "\n\n" + block + "\n\n## " + rest


def run(script: str, args: list[str]) -> tuple[dict | None, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS")
    }
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.md"
        done = subprocess.run(  # noqa: S603 - our own scripts
            [sys.executable, str(ROOT / "benchmarks" / script), *args, "--write", str(out)],
            check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800,
        )  # fmt: skip
        if done.returncode != 0 or not out.exists():
            return None, done.stderr[-1500:]
        found = [s for s in sections(out.read_text()) if s["rows"]]
        return (found[-1] if found else None), ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", choices=sorted(SMALL), help="these scripts alone")
    parser.add_argument("--summary", action="store_true", help="rewrite docs/benchmarks.md's summary table")
    args = parser.parse_args()
    if args.summary:
        RESULTS.write_text(summary(RESULTS.read_text()))
        print(f"summary written to {RESULTS.relative_to(ROOT)}")
        return 0
    recorded = latest(RESULTS.read_text())
    failed, dropped = [], 0
    started = time.monotonic()
    for script in args.only or sorted(SMALL):
        began = time.monotonic()
        new, error = run(script, SMALL[script])
        if new is None:
            failed.append(script)
            print(f"{script}: FAILED\n{error}", flush=True)
            continue
        lines = compare(new, recorded.get(new["title"]))
        dropped += sum("DROP" in line for line in lines)
        print(
            "\n".join(lines) + f"\n  ({script} {' '.join(SMALL[script])}: {time.monotonic() - began:.0f} s)",
            flush=True,
        )
    print(f"{len(args.only or SMALL) - len(failed)} benchmark(s) in {time.monotonic() - started:.0f} s; "
          f"{dropped} figure(s) dropped over 20 %; {len(failed)} failed")  # fmt: skip
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
