#!/usr/bin/env python3
"""Retrieval quality and speed of semfind on a BEIR dataset folder.

    python bench/beir.py ../shared/data/beir/scifact [--tune] [--fresh] [--compare]
    python bench/beir.py ../shared/data/squad-sample/squad-v1.1-sample.json [--compare]

Indexes corpus.jsonl through the same indexer and store as `semfind index` (into a
benchmark database in the cache folder, never the user's index; a rerun reuses its
vectors), runs the test queries in keyword, vector and hybrid mode and prints
nDCG@10, recall@100, MRR@10, indexing throughput and query latency. `--tune` grid-searches
the fusion parameters on the *train* qrels and reports the chosen setting on test.
A SQuAD .json is a retrieval set too: each paragraph a document titled by its article, each
question a query whose one relevant document is its paragraph. `--compare` runs only the
ranking comparison of bench/ranking.py.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from semfind.engine import paths
from semfind.engine.config import Settings, Units, load_settings
from semfind.engine.search.aggregate import RowCache
from semfind.engine.search.query import Filters
from semfind.engine.search.searcher import Legs, Searcher, depth_for
from semfind.engine.session.engine import Engine
from semfind.engine.store.hashing import text_hash
from semfind.engine.store.index_facts import unit_kinds
from semfind.engine.store.records import FileMeta
from semfind.engine.store.store import Store
from semfind.indexer.extract.document import Document, Page
from semfind.indexer.indexing import Indexer, IndexReport
from semfind.indexer.segment.passages import passages
from semfind.indexer.segment.propositions import SEGMENTERS, make_segmenter

Qrels = dict[str, dict[str, int]]


SUBSET: set[str] | None = None
"""Doc ids kept by --subset (None: the whole corpus)."""


def load_corpus(folder: Path) -> Iterator[tuple[str, str, str]]:
    if folder.suffix == ".json":
        yield from _squad(folder)[0]
        return
    with (folder / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if SUBSET is None or str(row["_id"]) in SUBSET:
                yield str(row["_id"]), row.get("title") or "", row.get("text") or ""


def _squad(
    path: Path,
) -> tuple[list[tuple[str, str, str]], dict[str, str], Qrels]:
    """A SQuAD file as retrieval: each paragraph a document, each question a query whose
    one relevant document is its paragraph."""
    docs, queries, qrels = [], {}, {}
    for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
        title = article["title"].replace("_", " ")
        for n, paragraph in enumerate(article["paragraphs"]):
            doc = f"{article['title']}-{n}"
            docs.append((doc, title, paragraph["context"]))
            for qa in paragraph["qas"]:
                queries[qa["id"]] = qa["question"]
                qrels[qa["id"]] = {doc: 1}
    return docs, queries, qrels


def choose_subset(folder: Path, size: int) -> set[str]:
    """Every document judged in the test qrels, plus the first others in corpus
    order up to `size` documents: the same subset on every run."""
    judged = {d for docs in load_qrels(folder, "test").values() for d in docs}
    keep = set(judged)
    with (folder / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            if len(keep) >= size:
                break
            keep.add(str(json.loads(line)["_id"]))
    return keep


def load_queries(folder: Path) -> dict[str, str]:
    if folder.suffix == ".json":
        return _squad(folder)[1]
    with (folder / "queries.jsonl").open(encoding="utf-8") as fh:
        return {str(r["_id"]): r["text"] for r in map(json.loads, fh)}


def load_qrels(folder: Path, split: str) -> Qrels:
    if folder.suffix == ".json":
        return _squad(folder)[2] if split == "test" else {}
    qrels: Qrels = {}
    path = folder / "qrels" / f"{split}.tsv"
    if not path.exists():
        return qrels
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        query_id, doc_id, score = line.split("\t")
        if int(score) > 0:
            qrels.setdefault(query_id, {})[doc_id] = int(score)
    return qrels


def documents(folder: Path, name: str) -> Iterator[tuple[FileMeta, Document]]:
    for doc_id, title, text in load_corpus(folder):
        meta = FileMeta(f"beir:{name}/{doc_id}", len(text), 0, text_hash(f"{title}\n{text}"))
        page = Page(text)
        yield meta, Document("text", title or doc_id, (page,), has_real_title=bool(title))


def doc_id(path: str) -> str:
    return path.rsplit("/", 1)[-1]


# -- metrics --------------------------------------------------------------------


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    gains = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    best = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return gains / best if best else 0.0


def recall_at(ranked: list[str], relevant: dict[str, int], k: int = 100) -> float:
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def mrr_at(ranked: list[str], relevant: dict[str, int], k: int = 10) -> float:
    return next((1.0 / (i + 1) for i, d in enumerate(ranked[:k]) if d in relevant), 0.0)


def evaluate(runs: dict[str, list[str]], qrels: Qrels) -> dict[str, float]:
    ids = [q for q in qrels if q in runs]
    return {
        "ndcg@10": statistics.fmean(ndcg_at(runs[q], qrels[q]) for q in ids),
        "recall@100": statistics.fmean(recall_at(runs[q], qrels[q]) for q in ids),
        "mrr@10": statistics.fmean(mrr_at(runs[q], qrels[q]) for q in ids),
    }


# -- running --------------------------------------------------------------------


def index_corpus(folder: Path, name: str, engine: Engine) -> IndexReport:
    """The corpus indexed with the engine's store and embedder (it stays loaded to search)."""
    store, embedder, settings = engine.store(), engine.embedder(), engine.settings
    started = time.perf_counter()

    shown = {0}

    def progress(report: IndexReport) -> None:
        if report.files_done % 500 == 0 and report.files_done not in shown:
            shown.add(report.files_done)
            elapsed = time.perf_counter() - started
            print(
                f"  indexed {report.files_done} docs, {elapsed:.0f} s, "
                f"{report.tokens_per_s:,.0f} tok/s",
                file=sys.stderr,
            )

    return Indexer(store, embedder, settings, on_progress=progress).index_documents(
        documents(folder, name)
    )


_VECTORS: dict[tuple[str, str], np.ndarray | None] = {}
"""Query vectors by (model key, query id): every ranking in a run reuses them."""


def collect_legs(
    searcher: Searcher, queries: dict[str, str], ids: list[str], units: Units = "both"
) -> dict[str, Legs]:
    filters, depth = Filters(units=units), depth_for(100)
    legs = {}
    model = searcher.model.key if searcher.model is not None else ""
    for q in ids:
        if (model, q) not in _VECTORS:
            _VECTORS[model, q] = searcher.query_vector(queries[q])
        keyword = searcher.keyword(queries[q], depth, filters)
        nearest = searcher.knn(_VECTORS[model, q], depth, filters)
        legs[q] = Legs(keyword, searcher.inherit(keyword, nearest, filters))
    return legs


_ROWS: dict[Path, RowCache] = {}
"""Unit rows per index, shared by every ranking in this run: tuning ranks the same units
many times."""


def ranked_docs(searcher: Searcher, scores: dict[int, float], k: int = 100) -> list[str]:
    rows = _ROWS.setdefault(searcher.store.path, {})
    return [doc_id(hit.path) for hit in searcher.rank_files(scores, k, rows)]


def run_mode(
    searcher: Searcher, legs: dict[str, Legs], fuse: Callable[[Legs], dict[int, float]]
) -> dict[str, list[str]]:
    return {q: ranked_docs(searcher, fuse(leg)) for q, leg in legs.items()}


def tune(searcher: Searcher, legs: dict[str, Legs], qrels: Qrels) -> tuple[Settings, float]:
    """Best fusion settings by nDCG@10 on the given (train) qrels."""
    base = searcher.settings
    grid = [
        dataclasses.replace(base, fusion="rrf", fusion_k=k, fusion_vector_weight=w)
        for k in (10, 30, 60)
        for w in (0.75, 1.0, 1.5)
    ] + [
        dataclasses.replace(base, fusion="convex", fusion_vector_weight=w, multi_match_bonus=b)
        for w in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
        for b in (0.0, 0.05, 0.1, 0.2)
    ]
    scored = []
    for candidate in grid:
        searcher.settings = candidate
        runs = run_mode(searcher, legs, searcher.fuse)
        scored.append((evaluate(runs, qrels)["ndcg@10"], candidate))
    searcher.settings = base
    best_score, best = max(scored, key=lambda item: item[0])
    return best, best_score


def latency(searcher: Searcher, queries: list[str], mode: str) -> tuple[float, float]:
    times = []
    for query in queries:
        start = time.perf_counter()
        searcher.search(query, k=10, mode=mode)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} logical CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "folder",
        type=Path,
        help="a BEIR dataset folder (corpus.jsonl, queries.jsonl, qrels/) or a SQuAD .json "
        "(each paragraph a document, each question a query)",
    )
    parser.add_argument("--db", type=Path, help="benchmark database (default: in the cache folder)")
    parser.add_argument("--fresh", action="store_true", help="use a throw-away database")
    parser.add_argument("--tune", action="store_true", help="tune fusion on the train qrels")
    parser.add_argument("--split", default="test")
    parser.add_argument(
        "--segmenter", default="rules", choices=SEGMENTERS, help="how passages are cut into units"
    )
    parser.add_argument(
        "--subset",
        type=int,
        metavar="N",
        help="index only the documents judged in the test qrels plus the first others, N in "
        "all (the same ones every run)",
    )
    parser.add_argument(
        "--issue20",
        action="store_true",
        help="only the issue 20 checks: nDCG@10 with the old and new query terms, and the "
        "close-match floor on real and nonsense queries",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="only the issue 23 ranking comparison: query-time configurations against "
        "today's default and plain RRF k=60, with bootstrap intervals (bench/ranking.py)",
    )
    args = parser.parse_args()
    if args.compare:
        from ranking import run_ranking

        run_ranking(args)
        return
    if args.issue20:
        from issue20 import run_issue20

        run_issue20(args)
        return
    run(args)


def run(args: argparse.Namespace) -> None:
    folder: Path = args.folder
    name = folder.resolve().name
    settings = load_settings()
    tmp = tempfile.TemporaryDirectory() if args.fresh else None
    db = (
        Path(tmp.name) / "bench.sqlite3"
        if tmp
        else args.db or paths.cache_dir() / "bench" / f"{name}-{args.segmenter}.sqlite3"
    )
    settings = dataclasses.replace(settings, db=db, segmenter=args.segmenter)
    print(f"benchmark index: {db}", file=sys.stderr)
    with Engine(settings, writer=True, warm=True) as engine:
        store = engine.store()
        report = index_corpus(folder, name, engine)
        indexing = _indexing_stats(report, db.with_suffix(".indexing.json"))
        indexing["segmentation units/s (1 core)"] = segmentation_speed(folder, name, settings)
        searcher, embedder = engine.searcher(), engine.embedder()
        queries = load_queries(folder)
        qrels = load_qrels(folder, args.split)
        # A passage-only index is searched unfiltered, as the default units="both" does.
        unit_sets: tuple[Units, ...] = (
            ("both",) if args.segmenter == "none" else ("passage", "proposition", "both")
        )
        rows, lat = [], {}
        for units in unit_sets:
            searcher.settings = dataclasses.replace(settings, units=units)
            legs = collect_legs(searcher, queries, sorted(qrels), units)
            rows += [(f"{units} · {label}", m) for label, m in _quality_rows(searcher, legs, qrels)]
            if args.tune:
                rows += [
                    (f"{units} · {label}", m)
                    for label, m in _tuned_rows(searcher, folder, queries, legs, qrels, units)
                ]
            for mode in ("keyword", "vector", "hybrid"):
                lat[f"{units} · {mode}"] = latency(
                    searcher, [queries[q] for q in sorted(qrels)], mode
                )
        sizes = _sizes(store, db)
        _print_table(
            f"{name}, segmenter {args.segmenter}",
            args.split,
            len(qrels),
            rows,
            {**indexing, **sizes},
            lat,
            embedder.backend_info().describe(),
            embedder.name,
        )
    if tmp:
        tmp.cleanup()


def segmentation_speed(folder: Path, name: str, settings: Settings) -> float:
    """Segmenter throughput alone (passages precomputed), in units per second on one thread."""
    segmenter = make_segmenter(settings.segmenter)
    if segmenter is None:
        return 0.0
    docs = [doc for _, doc in documents(folder, name)]
    cut = [passages(doc, lambda t: len(t) // 4 + 2, settings.passage_tokens) for doc in docs]
    start, count = time.perf_counter(), 0
    for doc, parts in zip(docs, cut, strict=True):
        count += len(segmenter.segment(doc, parts))
    return count / (time.perf_counter() - start)


def _sizes(store: Store, db: Path) -> dict[str, float | str]:
    kinds = unit_kinds(store)
    size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*") if p.suffix != ".lock")
    return {
        **{f"{kind} units": str(count) for kind, count in sorted(kinds.items())},
        "index size MB": size / 1e6,
    }


def _indexing_stats(report: IndexReport, stats_file: Path) -> dict[str, float | str]:
    if report.embedded:
        stats: dict[str, float | str] = {
            "docs": report.indexed,
            "seconds": report.elapsed,
            "docs_per_s": report.indexed / report.elapsed,
            "tokens_per_s": report.tokens_per_s,
            "texts_per_s": report.embedded / report.embed_seconds,
            "measured": time.strftime("%Y-%m-%d %H:%M"),
        }
        stats_file.write_text(json.dumps(stats, indent=1))
        return stats
    if stats_file.exists():
        stats = json.loads(stats_file.read_text())
        stats["note"] = (
            f"vectors reused from the content-hash cache; figures from {stats['measured']}"
        )
        return stats
    return {"note": "nothing was embedded in this run"}


def _quality_rows(
    searcher: Searcher, legs: dict[str, Legs], qrels: Qrels
) -> list[tuple[str, dict[str, float]]]:
    s = searcher.settings
    modes: list[tuple[str, Callable[[Legs], dict[int, float]]]] = [
        ("keyword (FTS5 BM25)", lambda leg: searcher.fuse(Legs(leg.keyword, []))),
        ("vector (KNN)", lambda leg: dict(leg.vector)),
        ("hybrid RRF k=60 (baseline)", lambda leg: _rrf60(leg)),
        (
            f"hybrid {fusion_label(s)} (default)",
            searcher.fuse,
        ),
    ]
    return [(label, evaluate(run_mode(searcher, legs, fn), qrels)) for label, fn in modes]


def fusion_label(settings: Settings) -> str:
    bonus = f" bonus={settings.multi_match_bonus:g}"
    if settings.fusion == "rrf":
        return f"rrf k={settings.fusion_k:g} w_vector={settings.fusion_vector_weight:g}{bonus}"
    return f"convex w_vector={settings.fusion_vector_weight:g}{bonus}"


def _rrf60(leg: Legs) -> dict[int, float]:
    from semfind.engine.search.fusion import rrf

    return rrf((*leg.keyword, leg.vector), (1.0,) * (len(leg.keyword) + 1), 60.0)


def _tuned_rows(
    searcher: Searcher,
    folder: Path,
    queries: dict[str, str],
    legs: dict[str, Legs],
    qrels: Qrels,
    units: Units,
) -> list[tuple[str, dict[str, float]]]:
    train = load_qrels(folder, "train")
    train_legs = collect_legs(searcher, queries, sorted(train), units)
    best, train_score = tune(searcher, train_legs, train)
    searcher.settings, saved = best, searcher.settings
    result = evaluate(run_mode(searcher, legs, searcher.fuse), qrels)
    searcher.settings = saved
    label = f"hybrid tuned on train: {fusion_label(best)} (train nDCG {train_score:.3f})"
    return [(label, result)]


def _print_table(
    name: str,
    split: str,
    n_queries: int,
    rows: list[tuple[str, dict[str, float]]],
    indexing: dict[str, float | str],
    lat: dict[str, tuple[float, float]],
    backend: str,
    model: str,
) -> None:
    print(f"\n## {name} ({split}, {n_queries} queries) · model {model}\n")
    print(f"machine: {machine()}; {backend}\n")
    print("| mode | nDCG@10 | recall@100 | MRR@10 |")
    print("|---|---:|---:|---:|")
    for label, m in rows:
        print(f"| {label} | {m['ndcg@10']:.4f} | {m['recall@100']:.4f} | {m['mrr@10']:.4f} |")
    print("\n| indexing | value |\n|---|---:|")
    for key in ("docs", "seconds", "docs_per_s", "tokens_per_s", "texts_per_s", "note"):
        if key in indexing:
            value = indexing[key]
            print(
                f"| {key} | {value:,.1f} |" if isinstance(value, float) else f"| {key} | {value} |"
            )
    print("\n| query latency (k=10, warm) | p50 ms | p95 ms |\n|---|---:|---:|")
    for mode, (p50, p95) in lat.items():
        print(f"| {mode} | {p50:.1f} | {p95:.1f} |")


if __name__ == "__main__":
    main()
