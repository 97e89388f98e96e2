#!/usr/bin/env python3
"""Embedding throughput of the default model through llama.cpp, per batching approach.

    python bench/embed_speed.py [--texts N] [--model NAME_OR_GGUF] [--db BENCH_INDEX]

Embeds proposition-length texts (real SciFact propositions from the benchmark index that
bench/beir.py builds) with the default GGUF and prints propositions/s and tokens/s for:
token budgets per llama.cpp batch (micro-batches), one text per call, thread counts, and two
worker processes of one thread each. Run it alone: the machine's cores are the subject.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import time
from pathlib import Path

from semfind.engine import paths
from semfind.engine.config import Settings
from semfind.engine.embed.llama import LlamaEmbedder
from semfind.engine.models.registry import ModelSpec, resolve_embedder
from semfind.engine.runtime.llama import build_info
from semfind.engine.session.engine import Engine
from semfind.engine.store.index_facts import part_texts

WARMUP = 64


def propositions(limit: int, db: Path | None = None) -> list[str]:
    db = db or paths.cache_dir() / "bench" / "scifact-rules.sqlite3"
    if not db.exists():
        sys.exit(f"no benchmark index at {db}: run bench/beir.py first")
    with Engine(Settings(db=db)) as engine:
        return part_texts(engine.store(), limit + WARMUP)


def run(
    spec: ModelSpec, texts: list[str], threads: int, batch: int, chunk: int
) -> tuple[float, int]:
    """Seconds and tokens to embed `texts` in calls of `chunk` texts (after a warm-up)."""
    model = LlamaEmbedder(
        spec.path, name=spec.name, key=spec.key, n_threads=threads, n_gpu_layers=0,
        batch_tokens=batch, n_ctx_train=spec.info.n_ctx_train or 512,
    )  # fmt: skip
    model.embed(texts[:WARMUP])
    work = texts[WARMUP:]
    start = time.perf_counter()
    tokens = 0
    for i in range(0, len(work), chunk):
        _, used = model.embed_batch(work[i : i + chunk])
        tokens += used
    seconds = time.perf_counter() - start
    model.close()
    return seconds, tokens


def _worker(args: tuple[ModelSpec, list[str], int]) -> tuple[float, int]:
    spec, texts, batch = args
    return run(spec, texts, 1, batch, 256)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--texts", type=int, default=1500)
    parser.add_argument("--model", default="", help="model name or .gguf (default: the default)")
    parser.add_argument("--db", type=Path, help="a SciFact index built by bench/beir.py")
    args = parser.parse_args()
    spec = resolve_embedder(Settings(embed_model=args.model))
    texts = propositions(args.texts, args.db)
    n = len(texts) - WARMUP
    info = build_info()
    print(f"{n} SciFact propositions · {spec.name} · llama.cpp CPU: {info['system']}")
    print("| approach | threads | batch tokens | props/s | tokens/s |")
    print("|---|---:|---:|---:|---:|")
    rows: list[tuple[str, int, int | str, float, float]] = []
    for batch in (64, 128, 256, 512, 1024):
        seconds, tokens = run(spec, texts, 2, batch, 256)
        rows.append(("micro-batches", 2, batch, n / seconds, tokens / seconds))
        print(_row(rows[-1]), flush=True)
    seconds, tokens = run(spec, texts, 2, 512, 1)
    rows.append(("one text per call", 2, "-", n / seconds, tokens / seconds))
    print(_row(rows[-1]), flush=True)
    best = max((r for r in rows if isinstance(r[2], int)), key=lambda r: r[3])
    assert isinstance(best[2], int)
    seconds, tokens = run(spec, texts, 1, best[2], 256)
    rows.append(("micro-batches", 1, best[2], n / seconds, tokens / seconds))
    print(_row(rows[-1]), flush=True)
    halves = [texts[:WARMUP] + texts[WARMUP:][i::2] for i in range(2)]
    context = multiprocessing.get_context("spawn")
    start = time.perf_counter()
    with context.Pool(2) as pool:
        results = pool.map(_worker, [(spec, half, best[2]) for half in halves])
    wall = max(seconds for seconds, _ in results)
    tokens = sum(t for _, t in results)
    rows.append(("2 processes, 1 thread each", 2, best[2], n / wall, tokens / wall))
    print(_row(rows[-1]), flush=True)
    whole = time.perf_counter() - start
    print(f"(pool start-up and model loads excluded; whole pool wall {whole:.1f} s)")
    print(f"median text: {statistics.median(len(t) for t in texts)} characters")


def _row(row: tuple[str, int, int | str, float, float]) -> str:
    name, threads, batch, props, tps = row
    return f"| {name} | {threads} | {batch} | {props:,.0f} | {tps:,.0f} |"


if __name__ == "__main__":
    main()
