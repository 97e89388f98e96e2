#!/usr/bin/env python3
"""Does query-time reasoning help? `--think` and `--rewrite` against the plain hybrid search.

    python bench/reasoning.py ../shared/data/beir/scifact [--limit N]

Uses the benchmark index bench/beir.py builds (run that first), the default LLM (or the
one configured) and the default units. Prints nDCG@10 and recall@100 on the test queries
for plain, think and rewrite, and the latency each adds: the LLM's time (as measured when
the thought was first written; thoughts are cached in the benchmark folder, so a rerun
reports the same figures) and the extra searches.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from pathlib import Path

from beir import doc_id, evaluate, load_qrels, load_queries, machine

from semfind.engine import paths
from semfind.engine.ask.reasoning import Reasoner
from semfind.engine.config import load_settings
from semfind.engine.search.aggregate import RowCache
from semfind.engine.search.query import Expansion, Filters
from semfind.engine.search.searcher import Searcher, depth_for
from semfind.engine.session.engine import Engine

ROWS: RowCache = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--segmenter", default="rules")
    parser.add_argument("--limit", type=int, default=0, help="only the first N test queries")
    args = parser.parse_args()
    name = args.folder.resolve().name
    bench = paths.cache_dir() / "bench"
    db = bench / f"{name}-{args.segmenter}.sqlite3"
    if not db.exists():
        sys.exit(f"no benchmark index at {db}: run bench/beir.py {args.folder} first")
    settings = dataclasses.replace(load_settings(), db=db)
    queries = load_queries(args.folder)
    qrels = load_qrels(args.folder, "test")
    ids = sorted(qrels)[: args.limit or None]
    with Engine(settings, warm=True, thoughts=bench / "thoughts.sqlite3") as engine:
        searcher, embedder, llm = engine.searcher(), engine.embedder(), engine.llm()
        reasoner = Reasoner(llm, settings.think_budget_s, engine.thought_cache())
        rows = [
            run(searcher, reasoner, queries, ids, qrels, kind)
            for kind in (None, "think", "rewrite")
        ]
        print_table(name, len(ids), rows, llm.describe(), embedder.name)


@dataclasses.dataclass
class Row:
    label: str
    metrics: dict[str, float]
    llm_s: list[float]
    search_s: list[float]
    fallbacks: int
    gen_tps: list[float]
    """Generation tokens/s of the thoughts written in this run (not cached ones)."""


def run(
    searcher: Searcher,
    reasoner: Reasoner,
    queries: dict[str, str],
    ids: list[str],
    qrels: dict[str, dict[str, int]],
    kind: str | None,
) -> Row:
    filters = Filters(units=searcher.settings.units)
    runs: dict[str, list[str]] = {}
    llm_s, search_s, fallbacks, gen_tps = [], [], 0, []
    for n, q in enumerate(ids, 1):
        expansion: Expansion | None = reasoner.expand(kind, queries[q]) if kind else None
        if expansion is not None:
            llm_s.append(expansion.seconds)
            fallbacks += not expansion.used
            if not expansion.cached and reasoner.llm.stats.gen_tps:
                gen_tps.append(reasoner.llm.stats.gen_tps)
        start = time.perf_counter()
        scores = searcher.scores(queries[q], "hybrid", depth_for(100), filters, expansion)
        hits = searcher.rank_files(scores, 100, ROWS)
        search_s.append(time.perf_counter() - start)
        runs[q] = [doc_id(hit.path) for hit in hits]
        if n % 25 == 0:
            print(f"  {kind or 'plain'}: {n}/{len(ids)}", file=sys.stderr)
    return Row(kind or "plain hybrid", evaluate(runs, qrels), llm_s, search_s, fallbacks, gen_tps)


def _ms(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]:.0f}"


def print_table(name: str, n: int, rows: list[Row], llm: str, embedder: str) -> None:
    base = rows[0]
    print(f"\n{name} test, {n} queries · embedder {embedder} · LLM {llm}")
    print(f"machine: {machine()}")
    print(
        "| query | nDCG@10 | Δ | recall@100 | LLM ms p50 | LLM ms p95 | search ms p50 "
        "| fell back | LLM gen tok/s |"
    )
    print("|" + "---|" * 9)
    for row in rows:
        delta = row.metrics["ndcg@10"] - base.metrics["ndcg@10"]
        tps = f"{statistics.median(row.gen_tps):.0f}" if row.gen_tps else "-"
        print(
            f"| {row.label} | {row.metrics['ndcg@10']:.4f} | {delta:+.4f} "
            f"| {row.metrics['recall@100']:.4f} | {_ms(row.llm_s, 0.5)} | {_ms(row.llm_s, 0.95)} "
            f"| {1000 * statistics.median(row.search_s):.0f} | {row.fallbacks} | {tps} |"
        )


if __name__ == "__main__":
    main()
