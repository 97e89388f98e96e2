"""End to end with the real default model: all-MiniLM-L6-v2 converted to GGUF, run by llama.cpp."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from semfind.engine.embed.compose import Piece, compose
from semfind.engine.embed.llama import LlamaEmbedder
from semfind.engine.models.default_embedder import (
    DEFAULT_EMBEDDER,
    PREVIOUS_EMBEDDER,
    ensure_default_gguf,
)

from .helpers import semfind_cli
from .pdfgen import write_pdf

pytestmark = pytest.mark.real_model
REFERENCE = json.loads((Path(__file__).parent / "fixtures" / "minilm_reference.json").read_text())


@pytest.fixture(scope="module")
def embedder(real_data_dir: Path) -> Iterator[LlamaEmbedder]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEMFIND_DATA_DIR", str(real_data_dir))
        path, digest = ensure_default_gguf()
    model = LlamaEmbedder(path, name="default", key=digest, n_threads=2)
    yield model
    model.close()


def _docs(root: Path) -> Path:
    root.mkdir()
    (root / "plants.md").write_text(
        "# Houseplants\n\nBefore a long trip, move the ferns away from the sunny window and stand "
        "the pots in a tray of wet pebbles. A cotton wick in a jar of water keeps the soil damp "
        "for two weeks.\n"
    )
    (root / "bread.txt").write_text(
        "Sourdough needs a lively starter. Feed it flour and water twelve hours before you bake, "
        "and keep it somewhere warm.\n"
    )
    (root / "backup.py").write_text(
        "def rotate_backups(folder, keep=7):\n"
        '    """Delete all but the newest `keep` archive files in folder."""\n'
        "    archives = sorted(folder.glob('*.tar.gz'))\n"
        "    for old in archives[:-keep]:\n        old.unlink()\n"
    )
    write_pdf(
        root / "taxes.pdf",
        [
            ["Household paperwork 2025"],
            [
                "If you work from home you may deduct a share of your rent",
                "and utilities for the room used only as an office.",
            ],
        ],
        title="Taxes",
    )
    (root / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <</Type/Catalog/Pages 2 0 R>>\ntrailer\n")
    return root


@pytest.mark.parametrize(
    ("name", "lowest"), [(DEFAULT_EMBEDDER, 0.94), (PREVIOUS_EMBEDDER, 0.99)], ids=["Q4_0", "Q8_0"]
)
def test_batched_embeddings_match_sentence_transformers(
    real_data_dir: Path, tmp_path: Path, name: str, lowest: float
) -> None:
    # The previous default goes elsewhere: in the shared folder it would stay in use there.
    folder = real_data_dir if name == DEFAULT_EMBEDDER else tmp_path
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEMFIND_DATA_DIR", str(folder))
        path, digest = ensure_default_gguf(name)
    embedder = LlamaEmbedder(path, name=name, key=digest, n_threads=2)
    texts = [case["text"] for case in REFERENCE["sentences"]]
    try:
        vectors = embedder.embed(texts)
    finally:
        embedder.close()
    for vector, case in zip(vectors, REFERENCE["sentences"], strict=True):
        reference = np.asarray(case["embedding"], dtype=np.float32)
        cosine = float(vector @ reference / np.linalg.norm(reference))
        assert cosine >= lowest, case["text"][:40]
    assert embedder.stats.tokens > 0 and embedder.stats.seconds > 0


def test_texts_past_the_trained_context_are_truncated_not_fatal(embedder: LlamaEmbedder) -> None:
    long = " ".join(f"word{i} about gardening" for i in range(1500))
    assert embedder.count_tokens(long) > embedder.n_ctx_train
    together = embedder.embed([long, "a short note", long + " tail"])
    alone = embedder.embed_one(long)
    assert together.shape == (3, 384)
    assert float(together[0] @ alone) > 0.999


def test_index_search_delete_and_failures_through_thesemfind_cli(
    real_data_dir: Path, tmp_path: Path
) -> None:
    docs = _docs(tmp_path / "docs")
    env = {
        **os.environ,
        "SEMFIND_DATA_DIR": str(real_data_dir),
        "SEMFIND_DB": str(tmp_path / "i.db"),
    }
    indexed = semfind_cli(env, "index", str(docs))
    assert indexed.returncode == 0, indexed.stderr
    assert "tokens/s" in indexed.stderr and "n_gpu_layers=0" in indexed.stderr
    assert "broken.pdf" in indexed.stderr and "failed (1)" in indexed.stderr

    expectations = {
        "keeping my potted plants watered while I am on holiday": "plants.md",
        "claiming part of my apartment costs because I work remotely": "taxes.pdf",
        "how to feed the fermented dough culture": "bread.txt",
        "remove old archive files except the most recent ones": "backup.py",
    }
    for query, expected in expectations.items():
        found = semfind_cli(env, "search", query, "--json", "-k", "3")
        assert found.returncode == 0, found.stderr
        results = [json.loads(line) for line in found.stdout.splitlines()]
        assert Path(results[0]["path"]).name == expected, (query, results)
    pdf_hit = json.loads(
        semfind_cli(env, "search", "deduct rent home office", "--json").stdout.split("\n")[0]
    )
    assert pdf_hit["page"] == 2 and pdf_hit["location"].endswith("taxes.pdf:2:1")

    failed = semfind_cli(env, "status", "--failed")
    assert "broken.pdf" in failed.stdout and "PDF" in failed.stdout

    (docs / "bread.txt").unlink()
    assert semfind_cli(env, "index", str(docs)).returncode == 0
    after = semfind_cli(env, "search", "sourdough starter", "--json", "--mode", "keyword")
    assert "bread.txt" not in after.stdout


def test_cli_errors_are_clear(real_data_dir: Path, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SEMFIND_DATA_DIR": str(real_data_dir),
        "SEMFIND_DB": str(tmp_path / "i.db"),
    }
    missing = semfind_cli(env, "index", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    assert "Traceback" not in missing.stderr
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"definitely not sqlite" * 100)
    env["SEMFIND_DB"] = str(junk)
    corrupt = semfind_cli(env, "search", "anything")
    assert corrupt.returncode == 1 and "not a SQLite database" in corrupt.stderr
    assert junk.read_bytes() == b"definitely not sqlite" * 100


@pytest.mark.skipif(not Path("/proc/self/fd/1").exists(), reason="needs /proc")
def test_a_model_loading_in_a_worker_thread_leaves_stdout_alone(real_data_dir: Path) -> None:
    """llama-cpp-python points fds 1 and 2 at /dev/null while a model loads; from a worker
    thread (the TUI's) that hid whatever the UI drew meanwhile."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEMFIND_DATA_DIR", str(real_data_dir))
        path, digest = ensure_default_gguf()
    targets: set[str] = set()
    loaded: list[LlamaEmbedder] = []
    worker = threading.Thread(
        target=lambda: loaded.append(LlamaEmbedder(path, name="d", key=digest, n_threads=1))
    )
    before = os.readlink("/proc/self/fd/1")
    worker.start()
    while worker.is_alive():
        targets.add(os.readlink("/proc/self/fd/1"))
    worker.join()
    assert loaded and targets <= {before}
    loaded[0].close()


def test_composed_vectors_stand_for_the_whole_texts(embedder: LlamaEmbedder) -> None:
    title = "Houseplants"
    sentences = [
        "Before a long trip, move the ferns away from the sunny window.",
        "Stand the pots in a tray of wet pebbles.",
        "A cotton wick in a jar of water keeps the soil damp for two weeks.",
        "Sourdough needs a lively starter fed twelve hours before baking.",
    ]
    raw, counts = embedder.embed_pooled([title, *sentences])
    assert counts == [embedder.count_tokens(t) for t in [title, *sentences]]
    pieces = [Piece(vector, count) for vector, count in zip(raw, counts, strict=True)]
    whole = embedder.embed([f"{title}\n{s}" for s in sentences])
    composed = np.stack([compose([pieces[0], piece]) for piece in pieces[1:]])
    similarity = composed @ whole.T
    assert np.all(np.diag(similarity) >= 0.85)
    assert np.all(np.argmax(similarity, axis=1) == np.arange(len(sentences))), "each its own"
    passage = compose(pieces[:4])
    assert float(passage @ embedder.embed_one(f"{title}\n\n{' '.join(sentences[:3])}")) >= 0.85
