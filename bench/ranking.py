"""Query-time ranking configurations on one index, with bootstrap noise (issue 23, item 3).

Run through `bench/beir.py FOLDER_OR_SQUAD_JSON --compare`. On the same index and the same
query vectors (embedded once), each configuration ranks every test query; the table gives
nDCG@10 with its 95 % bootstrap interval, the paired difference from today's default and
from plain RRF k=60 (same query draws), recall@100 and the warm p50 latency of a hybrid
search (k=10).

The item 2 options are simulated at query time: (a) proposition vectors unused (the
vector leg ranks passages; a proposition matching by keyword takes its passage's
similarity), (b) passages only in both legs, (c) proposition keyword rows unused, (d)
proposition vectors used only in passages holding at least n propositions (the others
take their passage's similarity, as in (a)); indexing with vector_min_parts = n leaves
them unembedded, so (d) is exact on an index that holds every vector.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import beir
from bootstrap import Comparison, compare

from semfind.engine import paths
from semfind.engine.config import Settings, load_settings
from semfind.engine.search.leg_units import own_vector_floor
from semfind.engine.search.query import Filters
from semfind.engine.search.searcher import Searcher
from semfind.engine.session.engine import Engine
from semfind.engine.store import index_facts
from semfind.engine.store.store import Store

DEFAULT = "today's default: both · convex"
RRF60 = "plain RRF k=60 (same lists)"


@dataclass(frozen=True)
class Config:
    """A named change to the settings a search runs with."""

    name: str
    change: Callable[[Settings], Settings]


def _min_parts(n: int) -> Callable[[Settings], Settings]:
    return lambda s: dataclasses.replace(s, vector_min_parts=n)


CONFIGS = (
    Config(DEFAULT, lambda s: s),
    Config(
        RRF60,
        lambda s: dataclasses.replace(s, fusion="rrf", fusion_k=60.0, fusion_vector_weight=1.0),
    ),
    Config(
        "(a) no proposition vectors (vector_units=passage)",
        lambda s: dataclasses.replace(s, vector_units="passage"),
    ),
    Config("(b) passages only (units=passage)", lambda s: dataclasses.replace(s, units="passage")),
    Config(
        "(c) no proposition keyword rows (keyword_units=passage)",
        lambda s: dataclasses.replace(s, keyword_units="passage"),
    ),
    *(
        Config(
            f"(d) proposition vectors only in passages of ≥ {n} (vector_min_parts={n})",
            _min_parts(n),
        )
        for n in (4, 6, 8)
    ),
)


@dataclass(frozen=True)
class Measured:
    """One configuration's per-query scores and its latency."""

    ndcg: dict[str, float]
    recall: dict[str, float]
    p50_ms: float
    own_vectors: float
    """The share of proposition text (characters) whose own vector the ranking uses."""


def measure(
    searcher: Searcher,
    settings: Settings,
    queries: dict[str, str],
    qrels: beir.Qrels,
) -> Measured:
    searcher.settings = settings
    ids = sorted(qrels)
    ndcg, recall = {}, {}
    for q, legs in beir.collect_legs(searcher, queries, ids, settings.units).items():
        ranked = beir.ranked_docs(searcher, searcher.fuse(legs))
        ndcg[q], recall[q] = beir.ndcg_at(ranked, qrels[q]), beir.recall_at(ranked, qrels[q])
    times = []
    for q in ids:
        start = time.perf_counter()
        searcher.search(queries[q], k=10, mode="hybrid")
        times.append((time.perf_counter() - start) * 1000)
    return Measured(
        ndcg, recall, statistics.median(times), own_vector_share(searcher.store, settings)
    )


def own_vector_share(store: Store, settings: Settings) -> float:
    """How much of the propositions' text has its own vector used under `settings`."""
    floor = own_vector_floor(settings, Filters(units=settings.units))
    if settings.units == "passage" or floor == math.inf:
        return 0.0
    total, used = index_facts.proposition_text_in_big_passages(store, int(floor or 0))
    return used / total if total else 0.0


def run_ranking(args: argparse.Namespace) -> None:
    folder = args.folder
    name = folder.resolve().name
    db = args.db or paths.cache_dir() / "bench" / f"{name}-{args.segmenter}.sqlite3"
    base = dataclasses.replace(load_settings(), db=db, segmenter=args.segmenter)
    print(f"benchmark index: {db}", file=sys.stderr)
    with Engine(base, writer=True, warm=True) as engine:
        beir.index_corpus(folder, name, engine)
        searcher = engine.searcher()
        queries, qrels = beir.load_queries(folder), beir.load_qrels(folder, args.split)
        measured = {}
        for config in CONFIGS:
            print(f"  {config.name}", file=sys.stderr)
            measured[config.name] = measure(searcher, config.change(base), queries, qrels)
        searcher.settings = base
        backend, model = engine.embedder().backend_info().describe(), engine.embedder().name
    print(f"\n## {name} ({args.split}, {len(qrels)} queries) · model {model}\n")
    print(f"machine: {beir.machine()}; {backend}\n")
    print(table(measured))


def table(measured: dict[str, Measured]) -> str:
    """The comparison as a Markdown table."""
    per_query = {name: m.ndcg for name, m in measured.items()}
    against_default = compare(per_query, DEFAULT)
    against_rrf = {c.name: c for c in compare(per_query, RRF60)}
    lines = [
        "| configuration | nDCG@10 [95 % CI] | Δ vs default [95 % CI] | Δ vs RRF k=60 [95 % CI] "
        "| recall@100 | prop. vectors used | p50 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in against_default:
        m = measured[row.name]
        lines.append(
            f"| {row.name} | {row.value} | {_difference(row, DEFAULT)} "
            f"| {_difference(against_rrf[row.name], RRF60)} "
            f"| {statistics.fmean(m.recall.values()):.4f} | {m.own_vectors:.0%} | {m.p50_ms:.1f} |"
        )
    return "\n".join(lines)


def _difference(row: Comparison, reference: str) -> str:
    return "—" if row.name == reference else row.difference.signed()
