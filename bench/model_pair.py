#!/usr/bin/env python3
"""Two embedding models on one retrieval set, compared on the same queries (issue 23).

    python bench/model_pair.py ../shared/data/beir/scifact \\
        --a all-MiniLM-L6-v2-Q8_0 --b all-MiniLM-L6-v2-Q4_0
    python bench/model_pair.py ../shared/data/squad-sample/squad-v1.1-sample.json \\
        --a all-MiniLM-L6-v2-Q8_0 --b all-MiniLM-L6-v2-Q4_0

Builds (or reuses) one benchmark index per model (`--db-a`, `--db-b`, default in the cache
folder), each through the same indexer as `semfind index`, timing the build. Then each model
ranks every test query with today's default and with plain RRF k=60 on its own index, with
its own query vectors, and the table gives nDCG@10 with 95 % bootstrap intervals, the paired
difference from model A's default (bench/bootstrap.py: the same draws of queries for every
row), and each default against its own index's RRF k=60.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import beir
from bootstrap import compare
from ranking import CONFIGS, DEFAULT, RRF60, measure

from semfind.engine import paths
from semfind.engine.config import load_settings
from semfind.engine.session.engine import Engine

SIDES = ("a", "b")


def rank(folder: Path, model: str, db: Path) -> tuple[dict[str, dict[str, float]], str]:
    """Per-query nDCG@10 of the default and RRF k=60 with `model`'s index, and how long
    building it took (empty when it was reused)."""
    base = dataclasses.replace(load_settings(), db=db, embed_model=model)
    with Engine(base, writer=True, warm=True) as engine:
        start = time.perf_counter()
        report = beir.index_corpus(folder, folder.resolve().name, engine)
        built = _built(report.tokens, report.embed_seconds, time.perf_counter() - start)
        searcher = engine.searcher()
        queries, qrels = beir.load_queries(folder), beir.load_qrels(folder, "test")
        chosen = {c.name: c for c in CONFIGS}
        scores = {
            name: measure(searcher, chosen[name].change(base), queries, qrels).ndcg
            for name in (DEFAULT, RRF60)
        }
    return scores, built


def _built(tokens: int, embedding: float, total: float) -> str:
    if tokens == 0:
        return "reused"
    return f"built in {total:,.0f} s ({tokens:,} tokens embedded at {tokens / embedding:,.0f}/s)"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path, help="a BEIR folder or a SQuAD .json")
    for side in SIDES:
        parser.add_argument(f"--{side}", required=True, help="a model name or .gguf path")
        parser.add_argument(f"--db-{side}", type=Path, help="its benchmark index")
    args = parser.parse_args()
    per_query: dict[str, dict[str, float]] = {}
    for side in SIDES:
        model = getattr(args, side)
        db = getattr(args, f"db_{side}") or _default_db(args.folder, model)
        print(f"{side}: {model} on {db}", file=sys.stderr)
        scores, built = rank(args.folder, model, db)
        print(f"{side}: {model}: index {built}")
        for name, values in scores.items():
            per_query[f"{side} · {name}"] = values
    print(f"\n{args.folder.resolve().name}, {len(per_query[f'a · {DEFAULT}'])} queries\n")
    print(table(per_query))


def table(per_query: dict[str, dict[str, float]]) -> str:
    """nDCG@10 per row, its difference from A's default, and each default against its own
    index's RRF k=60."""
    against_a = compare(per_query, f"a · {DEFAULT}")
    own_rrf = {side: {c.name: c for c in compare(per_query, f"{side} · {RRF60}")} for side in SIDES}
    lines = [
        "| model · ranking | nDCG@10 [95 % CI] | Δ vs a's default [95 % CI] "
        "| default vs own RRF k=60 [95 % CI] |",
        "|---|---:|---:|---:|",
    ]
    for row in against_a:
        side = row.name.split(" · ")[0]
        first = row.name == f"a · {DEFAULT}"
        versus = own_rrf[side][row.name].difference.signed() if DEFAULT in row.name else ""
        lines.append(
            f"| {row.name} | {row.value} | {'—' if first else row.difference.signed()} | {versus} |"
        )
    return "\n".join(lines)


def _default_db(folder: Path, model: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in Path(model).stem)
    return paths.cache_dir() / "bench" / f"{folder.resolve().name}-{safe}.sqlite3"


if __name__ == "__main__":
    main()
