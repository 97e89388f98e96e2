"""Issue 20 checks on a BEIR folder or a SQuAD file (run through `bench/beir.py --issue20`).

1. nDCG@10 with the query terms before issue 20 (Lucene's stop set only, lone letters
   kept) and after it, on the same index and the same vector leg: the paired difference per
   query, with twice its standard error as the noise.
2. The close-match floor: the share of real queries whose results hold a close match,
   and of nonsense and stopword-only queries whose results do (those should not).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import re
import statistics
import string
import sys
from pathlib import Path

import beir

from semfind.engine import paths
from semfind.engine.config import load_settings
from semfind.engine.search import searcher as search_module
from semfind.engine.search.query import STOPWORDS, any_close, query_terms
from semfind.engine.search.searcher import Legs, Searcher
from semfind.engine.session.engine import Engine

_OLD_WORD = re.compile(r"\w+", re.UNICODE)
STOP_QUERIES = [
    "the of and is a",
    "a an the",
    "is it",
    "of the",
    "and or not",
    "how do I",
    "what is the",
    "this that these",
]


def old_terms(query: str) -> list[str]:
    """query_terms as it was before issue 20."""
    words = list(dict.fromkeys(word.lower() for word in _OLD_WORD.findall(query)))
    return [word for word in words if word not in STOPWORDS] or words


def nonsense_queries(n: int = 60, seed: int = 20) -> list[str]:
    """Made-up words, one to four per query (letters drawn at random)."""
    rng = random.Random(seed)
    out = ["qwxz plugh frobnicate"]
    while len(out) < n:
        words = [
            "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9)))
            for _ in range(rng.randint(1, 4))
        ]
        out.append(" ".join(words))
    return out


def run_issue20(args: argparse.Namespace) -> None:
    folder: Path = args.folder
    name = folder.resolve().name
    if args.subset:
        beir.SUBSET = beir.choose_subset(folder, args.subset)
        name += f"-subset{args.subset}"
    settings = load_settings()
    db = args.db or paths.cache_dir() / "bench" / f"{name}-{args.segmenter}.sqlite3"
    settings = dataclasses.replace(settings, db=db, segmenter=args.segmenter)
    print(f"benchmark index: {db}", file=sys.stderr)
    with Engine(settings, writer=True, warm=True) as engine:
        report = beir.index_corpus(folder, name, engine)
        print(f"indexed {report.indexed} docs in {report.elapsed:.0f} s", file=sys.stderr)
        store, searcher = engine.store(), engine.searcher()
        queries = beir.load_queries(folder)
        qrels = beir.load_qrels(folder, args.split)
        ids = sorted(qrels)
        print(f"\n## {name}: {len(ids)} queries, {store.counts()['files']} docs indexed\n")
        _ranking(searcher, queries, qrels, ids)
        _floor(searcher, [queries[q] for q in ids], settings.close_match_cosine)


def _ranking(
    searcher: Searcher, queries: dict[str, str], qrels: beir.Qrels, ids: list[str]
) -> None:
    print("| mode | nDCG@10 before | nDCG@10 after | paired diff | noise (2 SE) |")
    print("|---|---:|---:|---:|---:|")
    per_mode: dict[str, dict[str, list[float]]] = {}
    for label, terms in (("before", old_terms), ("after", query_terms)):
        search_module.__dict__["query_terms"] = terms  # the keyword leg's terms, nothing else
        legs = beir.collect_legs(searcher, queries, ids)
        fusers = {
            "keyword": lambda leg: searcher.fuse(Legs(leg.keyword, [])),
            "hybrid": searcher.fuse,
        }
        for mode, fuse in fusers.items():
            runs = beir.run_mode(searcher, legs, fuse)
            per_mode.setdefault(mode, {})[label] = [beir.ndcg_at(runs[q], qrels[q]) for q in ids]
    search_module.__dict__["query_terms"] = query_terms
    for mode, scores in per_mode.items():
        before, after = scores["before"], scores["after"]
        diffs = [a - b for a, b in zip(after, before, strict=True)]
        noise = 2 * statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else 0.0
        changed = sum(1 for d in diffs if abs(d) > 1e-12)
        print(
            f"| {mode} | {statistics.fmean(before):.4f} | {statistics.fmean(after):.4f} "
            f"| {statistics.fmean(diffs):+.4f} ({changed} queries changed) | ±{noise:.4f} |"
        )


def _floor(searcher: Searcher, real: list[str], floor: float) -> None:
    sets = {
        "real queries": real,
        "nonsense queries": nonsense_queries(),
        "stopword-only queries": STOP_QUERIES,
    }
    print(f"\nclose-match floor: cosine ≥ {floor:.2f} (or every content word in the passage)\n")
    tables: dict[str, list[float]] = {}
    print("| queries | n | close | top cosine p2 | p5 | p50 | p95 | max |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, queries in sets.items():
        close, tops = 0, []
        for query in queries:
            hits = searcher.search(query, k=10)
            close += bool(any_close(hits))
            tops.append(max((h.cosine for h in hits if h.cosine is not None), default=-1.0))
        tops.sort()
        tables[label] = tops
        pct = [tops[min(len(tops) - 1, int(p * len(tops)))] for p in (0.02, 0.05, 0.5, 0.95)]
        print(
            f"| {label} | {len(queries)} | {100 * close / len(queries):.1f} % | "
            + " | ".join(f"{v:.3f}" for v in pct)
            + f" | {tops[-1]:.3f} |"
        )
    floors = (0.30, 0.32, 0.34, 0.35, 0.36, 0.37, 0.38, 0.40)
    print("\nshare of queries whose top cosine reaches the floor (cosine alone):\n")
    print("| queries | " + " | ".join(f"{f:.2f}" for f in floors) + " |")
    print("|---|" + "---:|" * len(floors))
    for label, tops in tables.items():
        shares = [100 * sum(t >= f for t in tops) / len(tops) for f in floors]
        print(f"| {label} | " + " | ".join(f"{v:.1f} %" for v in shares) + " |")
