#!/usr/bin/env python3
"""Search at scale: warm query latency, recall against exact search, and index size.

    python bench/scale.py ../shared/data/beir/scifact [--sizes 100000 1000000] [--queries 300]

Builds (once per size, in the cache folder) an index of at least N propositions from the
SciFact proposition index of bench/beir.py: copy c > 0 of every file lives under /copyc,
its texts lose about one word in ten at random (so keyword search sees distinct rows) and
its vectors are the original embedding plus Gaussian noise (sigma 0.02 per component,
cosine about 0.93 to the original), normalised. The float vectors of the whole synthetic
corpus are kept in memory by this script only: they are the reference for exact search.

Then, with the real default embedder and a warm searcher (as in the TUI and the daemon),
for the SciFact test queries: latency p50/p95 of vector, keyword and hybrid search (k=10,
query embedding included), of the vector leg alone, and of exact float search over the same
vectors (what semfind did before: a float32 matrix in memory); recall@10 of the vector leg
against exact float search; and the index size on disk per million propositions.
Run it alone: the machine's cores are the subject.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from semfind.engine import paths
from semfind.engine.config import Settings
from semfind.engine.search.query import Filters
from semfind.engine.search.searcher import Searcher
from semfind.engine.session.engine import Engine
from semfind.engine.store.hashing import text_hash
from semfind.engine.store.index_facts import part_count, table_bytes, vector_codes, vector_ids
from semfind.engine.store.quantize import from_int8, int8_codes, sign_bits
from semfind.engine.store.records import EmbedModelRow
from semfind.engine.store.store import Store
from semfind.engine.store.synthetic import copy_count, copy_files, copy_hash, file_ids

NOISE = 0.02
BASE = "scifact-rules.sqlite3"


def base_db() -> Path:
    db = paths.cache_dir() / "bench" / BASE
    if not db.exists():
        sys.exit(f"no benchmark index at {db}: run bench/beir.py first")
    return db


def copies_for(propositions: int) -> int:
    """Copies to add to the SciFact index for at least `propositions` parts."""
    with Engine(Settings(db=base_db())) as engine:
        engine.upgrade()  # the base index, to the current schema
        return -(-propositions // part_count(engine.store())) - 1


def build(target: Path, copies: int) -> None:
    """A copy of the SciFact index plus `copies` perturbed copies of every file."""
    partial = target.with_suffix(".partial")
    with Engine(Settings(db=base_db())) as engine, engine.unlocked() as src:
        src.checkpoint()
    shutil.copyfile(base_db(), partial)
    with Engine(Settings(db=partial), writer=True) as engine:
        store = engine.store()
        model = store.models()[0]
        files = file_ids(store)
        hashes, floats = _base_vectors(store, model)
        for copy in range(1, copies + 1):
            started = time.perf_counter()
            rng = np.random.default_rng(copy)
            vectors = copy_vectors(floats, copy)
            codes = dict(
                zip(hashes, zip(sign_bits(vectors), int8_codes(vectors), strict=True), strict=True)
            )
            copy_files(store, model, files, copy, functools.partial(_perturb, rng=rng), codes)
            print(f"  copy {copy}/{copies}: {time.perf_counter() - started:.0f} s", flush=True)
        store.checkpoint()
    partial.rename(target)


def _base_vectors(store: Store, model: EmbedModelRow) -> tuple[list[str], np.ndarray]:
    """The original corpus's text hashes (sorted) and vectors (unit length, from the
    stored int8 codes of the real embeddings)."""
    stored = vector_codes(store, model)
    codes = np.frombuffer(b"".join(stored.values()), dtype=np.int8).reshape(-1, model.dim)
    return list(stored), from_int8(codes)


def copy_vectors(base: np.ndarray, copy: int) -> np.ndarray:
    """Copy `copy`'s vectors, row for row with `base`: deterministic, so the reference
    can be rebuilt."""
    noisy = base + np.random.default_rng(1000 + copy).normal(0, NOISE, base.shape)
    return np.asarray(noisy / np.linalg.norm(noisy, axis=1, keepdims=True), dtype=np.float32)


def _perturb(text: str, rng: np.random.Generator) -> str:
    words = text.split(" ")
    if len(words) < 4:
        return text
    keep = rng.random(len(words)) >= 0.1
    return " ".join(w for w, k in zip(words, keep, strict=True) if k)


def reference(store: Store, model: EmbedModelRow) -> tuple[np.ndarray, np.ndarray]:
    """(vector ids, float vectors) of the whole synthetic corpus, rebuilt exactly. The
    originals' reference is their stored code (the real embedding to int8 precision)."""
    with Engine(Settings(db=base_db())) as engine:
        src = engine.store()
        hashes, floats = _base_vectors(src, src.models()[0])
    copies = copy_count(store)
    where = {h: (0, i) for i, h in enumerate(hashes)}
    for copy in range(1, copies + 1):
        where.update({copy_hash(h, copy): (copy, i) for i, h in enumerate(hashes)})
    stored = vector_ids(store, model)
    ids = np.array(list(stored), dtype=np.int64)
    out = np.zeros((len(stored), model.dim), dtype=np.float32)
    located = [where[h] for h in stored.values()]
    for copy in range(copies + 1):
        at = np.array([n for n, (c, _) in enumerate(located) if c == copy], dtype=np.int64)
        src_rows = np.array([located[n][1] for n in at], dtype=np.int64)
        table = floats if copy == 0 else copy_vectors(floats, copy)
        out[at] = table[src_rows]
    return ids, out


def timed(fn: Callable[[Any], object], queries: Sequence[Any]) -> list[float]:
    """Milliseconds per call of fn(query)."""
    out: list[float] = []
    for query in queries:
        start = time.perf_counter()
        fn(query)
        out.append((time.perf_counter() - start) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def measure(
    db: Path, queries: list[str], qvecs: np.ndarray, settings: Settings
) -> dict[str, object]:
    result: dict[str, object] = {}
    with Engine(dataclasses.replace(settings, db=db)) as engine:
        store, embedder = engine.store(), engine.embedder()
        model = store.find_model(embedder.key)
        assert model is not None, "the scale index was built with another embedder"
        counts = store.counts()
        result.update(
            propositions=part_count(store), units=counts["units"], vectors=counts["vectors"]
        )
        ids, floats = reference(store, model)
        with Searcher(store, embedder, settings, warm=True) as searcher:
            assert searcher.matrix is not None
            started = time.perf_counter()
            searcher.matrix.refresh()
            result["load_s"] = time.perf_counter() - started
            searcher.search("warm up", k=10)
            both = Filters(units="both")
            exact_ms, leg_ms, recalls = [], [], []
            for vector in qvecs:
                start = time.perf_counter()
                sims = np.einsum("ij,j->i", floats, vector)
                truth = set(ids[np.argpartition(-sims, 10)[:10]].tolist())
                exact_ms.append((time.perf_counter() - start) * 1000)
                start = time.perf_counter()
                found = searcher.matrix.search(vector, 10, "both")
                leg_ms.append((time.perf_counter() - start) * 1000)
                recalls.append(len(truth & {v for v, _ in found}) / 10)
            result["recall@10"] = statistics.mean(recalls)
            result["exact float scan"] = exact_ms
            result["vector leg (bits + int8)"] = leg_ms
            result["vector leg, 200 candidates"] = timed(
                lambda v: searcher.knn(v, 200, both), list(qvecs)
            )
            for mode in ("vector", "keyword", "hybrid"):
                result[f"{mode} search"] = timed(partial(searcher.search, k=10, mode=mode), queries)
        one_shot = Searcher(store, embedder, settings)
        result["one-shot vector leg (sqlite-vec bits)"] = timed(
            lambda v: one_shot.knn(v, 200, Filters(units="both")), list(qvecs[:50])
        )
    return result


PARTS = {
    "int8 codes": ("vcodes",),
    "sign bits": ("vbits",),
    "vector ids": ("vectors", "sqlite_autoindex_vectors"),
    "keywords": ("units_fts", "parts_fts"),
    "units": ("units",),
    "files": ("files", "sqlite_autoindex_files"),
}
"""What the index's bytes hold, by the tables' name prefixes (the first match counts)."""


def compact_size(db: Path) -> tuple[int, dict[str, int]]:
    """Bytes of the index without free pages (as one built from scratch would be: the
    copies start from an index whose float vectors a migration freed), and what they hold."""
    compact = db.with_suffix(".vacuumed")
    compact.unlink(missing_ok=True)
    with Engine(Settings(db=db)) as engine:
        engine.store().vacuum_into(compact)
    size = compact.stat().st_size
    parts: dict[str, int] = {}
    with Engine(Settings(db=compact)) as engine:
        for name, pages in table_bytes(engine.store()).items():
            part = next((p for p, prefixes in PARTS.items() if _owned(name, prefixes)), "other")
            parts[part] = parts.get(part, 0) + pages
    compact.unlink()
    return size, parts


def _owned(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + "_") for p in prefixes)


def query_vectors(queries: list[str], settings: Settings) -> np.ndarray:
    cache = paths.cache_dir() / "bench" / f"scale-queries-{text_hash(json.dumps(queries))[:12]}.npy"
    if cache.exists():
        loaded: np.ndarray = np.load(cache)
        return loaded
    with Engine(settings) as engine:
        vectors = engine.embedder().embed(queries)
    np.save(cache, vectors)
    return vectors


def test_queries(folder: Path, limit: int) -> list[str]:
    wanted = {
        line.split("\t")[0] for line in (folder / "qrels" / "test.tsv").read_text().splitlines()[1:]
    }
    out = []
    for line in (folder / "queries.jsonl").read_text().splitlines():
        row = json.loads(line)
        if str(row["_id"]) in wanted:
            out.append(str(row["text"]))
    return out[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    settings = Settings()
    queries = test_queries(args.folder, args.queries)
    qvecs = query_vectors(queries, settings)
    print(f"{len(queries)} SciFact test queries, k=10, warm searcher, {os.cpu_count()} CPUs")
    rows: list[tuple[str, dict[str, object]]] = []
    for size in args.sizes:
        db = paths.cache_dir() / "bench" / f"scale-{size}.sqlite3"
        if not db.exists():
            print(f"building {db} (once)", flush=True)
            build(db, copies_for(size))
        result = measure(db, queries, qvecs, settings)
        nbytes, parts = compact_size(db)
        result["size_mb"] = nbytes / 1e6
        result["parts_mb"] = {part: pages / 1e6 for part, pages in parts.items()}
        rows.append((f"{size:,}", result))
        report(rows[-1])


def report(row: tuple[str, dict[str, object]]) -> None:
    name, r = row
    props = int(r["propositions"])  # type: ignore[call-overload]
    size = float(r["size_mb"])  # type: ignore[arg-type]
    print(
        f"\n## {name} propositions ({props:,} parts, {r['units']:,} units,"
        f" {r['vectors']:,} vectors)"
    )
    print(
        f"index file {size:,.0f} MB = {size / props * 1e6 / 1000:.2f} GB per million propositions;"
        f" bits loaded in {r['load_s']:.1f} s; recall@10 vs exact float {r['recall@10']:.4f}"
    )
    parts: Any = r["parts_mb"]
    print("size by content: " + ", ".join(f"{p} {mb:,.0f} MB" for p, mb in parts.items()))
    print("| measure | p50 ms | p95 ms |")
    print("|---|---:|---:|")
    for key, values in r.items():
        if isinstance(values, list):
            print(f"| {key} | {pct(values, 50):.1f} | {pct(values, 95):.1f} |")


if __name__ == "__main__":
    main()
