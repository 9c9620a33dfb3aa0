"""Semantic search quality over the demo catalog: a labelled set of questions asked in other words than the
catalog uses, answered by each embedder, with recall@5, and what embedding costs per entity.

The demo catalog of ``make run`` (``apps.catalog.demo``) is embedded from the same text the catalog stores
(``apps.catalog.vectors.entity_text``) and searched by exact cosine similarity, which is what pgvector's HNSW
index approximates (its recall is measured by ``catalog_scale.py``). CPU only: no services, no database.

- **hit@5**: the share of questions with a right answer among the first five results.
- **recall@5**: per question, the right answers among the first five over min(5, right answers), averaged.

    .venv/bin/python benchmarks/semantic_recall.py [--runs 3] [--write FILE]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DICTAMESH_ENV", "test")

TARGET = 0.8  # hit@5 of the default embedder: a right answer on the first screen for four questions in five
# question → the demo subjects that answer it; no question shares a word stem with its subjects' names
QUESTIONS = {
    "money paid back to clients": {"refund"},
    "bills we send out": {"invoice", "invoice_line"},
    "people likely to cancel their contract": {"churn_signal"},
    "parcels sent to buyers": {"shipment", "parcel", "delivery_attempt"},
    "how many units are left on the shelves": {"stock_level", "inventory_movement", "bin_location"},
    "companies we purchase goods from": {"vendor", "supplier", "purchase_order"},
    "prospective buyers who are not clients yet": {"lead", "opportunity"},
    "bookkeeping entries": {"ledger_entry", "general_ledger"},
    "foreign exchange": {"currency_rate"},
    "planned spending for the year": {"budget", "cost_center", "expense"},
    "goods customers sent back": {"return_request", "refund"},
    "marketing mailings and promotions": {"campaign"},
    "the people who sell for us": {"sales_rep", "territory"},
    "recurring monthly plans clients pay for": {"subscription"},
    "transport companies that deliver": {"carrier", "route"},
}


def catalog() -> tuple[list[str], list[str]]:
    """The demo entities' subjects and the texts they are embedded from."""
    from apps.catalog.demo import SUBJECTS, _entities
    from apps.catalog.vectors import entity_text

    subjects_by_length = sorted({s for group in SUBJECTS.values() for s in group}, key=len, reverse=True)
    entities, _ = _entities()
    subjects, texts = [], []
    for e in entities:
        bare = e["name"].split(".")[1] if e["type"] == "topic" else e["name"]
        subjects.append(next(s for s in subjects_by_length if bare.startswith(s)))
        texts.append(
            entity_text(
                name=e["name"],
                display_name=e["display_name"],
                entity_type=e["type"],
                domain=e["domain"],
                description=e["description"],
                tags=e["tags"],
            )
        )
    return subjects, texts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", help="append the results table to this file")
    args = parser.parse_args()

    import django

    django.setup()
    import numpy

    from benchmarks.common import append_section, machine
    from dictamesh.embeddings import HashingEmbedder, MiniLMEmbedder

    subjects, texts = catalog()
    rows, misses = [], []
    for embedder in (MiniLMEmbedder(), HashingEmbedder()):
        costs = []
        for _ in range(args.runs):
            start = time.perf_counter()
            vectors = numpy.array(embedder.embed(texts))
            costs.append((time.perf_counter() - start) / len(texts) * 1000)
        hits, recalls = 0, []
        for question, right in QUESTIONS.items():
            scores = vectors @ numpy.array(embedder.embed([question])[0])
            top = [subjects[i] for i in numpy.argsort(-scores)[:5]]
            found = sum(subject in right for subject in top)
            hits += found > 0
            recalls.append(found / min(5, sum(subject in right for subject in subjects)))
            if found == 0 and embedder.name != HashingEmbedder.name:
                misses.append(f"{question!r} → {', '.join(dict.fromkeys(top))}")
        hit = hits / len(QUESTIONS)
        target, ratio = (
            (f"≥ {TARGET}", f"{hit / TARGET:.2f}×") if embedder.name != HashingEmbedder.name else ("", "")
        )
        rows.append(
            f"| hit@5, {embedder.name} | {hit:.2f} | {target} | {ratio} | {hits} of {len(QUESTIONS)} |"
        )
        rows.append(f"| recall@5, {embedder.name} | {statistics.mean(recalls):.2f} | | | |")
        rows.append(
            f"| embedding per entity, {embedder.name} | {statistics.median(costs):.2f} ms | | | "
            f"{', '.join(f'{c:.2f}' for c in costs)} |"
        )
    section = f"""
## Semantic search quality — {datetime.now(UTC):%Y-%m-%d}

- Machine: {machine()}
- The {len(texts)} entities of the demo catalog, embedded from the text the catalog stores, and {len(QUESTIONS)}
  labelled questions worded unlike the catalog (`benchmarks/semantic_recall.py`); exact cosine ranking
- Command: `.venv/bin/python benchmarks/semantic_recall.py --runs {args.runs}`
- recall@5: right answers among the first five over min(5, right answers), averaged over the questions;
  hit@5: questions with a right answer among the first five. Embedding cost: the median of {args.runs} runs
  over the whole catalog, in batches as the catalog's refresh sends them
{"- Missed by the default embedder: " + "; ".join(misses) if misses else ""}

| measure | median of {args.runs} | target | ratio | detail |
|---|---|---|---|---|
{chr(10).join(rows)}
"""
    print(section)
    if args.write:
        append_section(Path(args.write), section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
