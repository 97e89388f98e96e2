"""Vectors composed from pieces embedded apart (issue 23, item 2): each statement, title and
heading is embedded once; a proposition's vector is its context's and statement's, a
passage's that of its propositions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from semfind.engine.config import ComposeVectors, Settings
from semfind.engine.embed.compose import Piece, PieceCache, compose
from semfind.engine.models import switch
from semfind.engine.search.searcher import Filters, Searcher
from semfind.engine.store.embed_pieces import of_part, of_passage
from semfind.engine.store.records import EmbedPieces
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder

NOTE = (
    "# Garden notes\n\n## Tomatoes\n\nTomatoes need six hours of sun a day. "
    "Water them at the root, never on the leaves.\n\n## Compost\n\n"
    "A compost heap turns kitchen scraps into soil within a year. "
    "It should stay as damp as a wrung-out sponge.\n"
)


def _settings(db: Path, compose: ComposeVectors) -> Settings:
    return Settings(
        db=db, passage_tokens=256, segmenter="rules", units="both", compose_vectors=compose
    )


def _garden(folder: Path) -> Path:
    """A docs folder under `folder` holding the garden note."""
    docs = folder / "docs"
    docs.mkdir(parents=True)
    (docs / "garden.md").write_text(NOTE)
    return docs


def _vectors(store: Store, key: str | None = None) -> dict[str, np.ndarray]:
    """Every unit's stored vector (int8 codes, dequantised) by its embedding hash, of the
    model with `key` (else the first)."""
    model = next(m for m in store.models() if key in (None, m.key))
    rows = store.conn.execute(
        "SELECT v.id, v.text_hash FROM vectors v WHERE v.model_id = ?", (model.id,)
    ).fetchall()
    ids, codes = store.codes(model, [int(vid) for vid, _ in rows])
    by_id = dict(zip(ids.tolist(), codes, strict=True))
    return {str(h): by_id[int(vid)].astype(np.float32) for vid, h in rows}


def test_compose_is_the_token_weighted_mean_normalised() -> None:
    a = Piece(np.array([1.0, 0.0], dtype=np.float32), tokens=3)
    b = Piece(np.array([0.0, 2.0], dtype=np.float32), tokens=1)
    vector = compose([a, b])
    assert np.allclose(vector, np.array([3.0, 2.0]) / np.hypot(3.0, 2.0))
    assert np.isclose(np.linalg.norm(vector), 1.0)


def test_a_proposition_splits_at_its_context_and_a_passage_gathers_its_propositions() -> None:
    titled = "Garden notes > Tomatoes\nTomatoes need sun."
    assert of_part(titled, len("Garden notes > Tomatoes"), "all") == EmbedPieces(
        ("Garden notes > Tomatoes",), ("Tomatoes need sun.",)
    )
    assert of_part(titled, len("Garden notes > Tomatoes"), "passages") == EmbedPieces(
        (), (titled,), (len("Garden notes > Tomatoes"),)
    )
    assert of_part("Plain statement.", 0, "all") == EmbedPieces((), ("Plain statement.",))
    assert of_part("Unknown split.", None, "all") is None  # rows from before the column
    assert of_part("Unknown split.", None, "passages") == EmbedPieces((), ("Unknown split.",), (0,))
    first = EmbedPieces(("T > A",), ("One.",))
    second = EmbedPieces(("T > A",), ("Two.",))
    assert of_passage([first, second]) == EmbedPieces(("T > A",), ("One.", "Two."))
    assert of_passage([first, None]) is None
    assert of_passage([]) is None


def test_the_cache_embeds_each_piece_once_and_counts_its_tokens() -> None:
    fake = FakeEmbedder()
    cache = PieceCache(fake, limit=3)
    assert cache.add(["alpha beta", "gamma", "alpha beta"]) == {
        "alpha beta": fake.count_tokens("alpha beta"),
        "gamma": fake.count_tokens("gamma"),
    }
    assert cache.add(["gamma"]) == {}
    assert fake.embedded_texts == ["alpha beta", "gamma"]
    assert cache["gamma"].tokens == fake.count_tokens("gamma")
    cache.add(["delta", "epsilon"])  # past the limit: starts again, keeping what is asked
    assert "delta" in cache and "epsilon" in cache and "alpha beta" not in cache


def test_indexing_embeds_every_statement_and_heading_once(tmp_path: Path) -> None:
    docs = _garden(tmp_path)
    fake = FakeEmbedder()
    with Store.open(tmp_path / "index.sqlite3") as store:
        report = Indexer(store, fake, _settings(tmp_path / "index.sqlite3", "all")).index_paths(
            [docs]
        )
        texts = fake.embedded_texts
        assert len(texts) == len(set(texts)), "no text is embedded twice"
        assert "Garden notes > Tomatoes" in texts and "Garden notes > Compost" in texts
        assert "Tomatoes need six hours of sun a day." in texts
        assert not any("\n" in text for text in texts), "no whole passage, no titled statement"
        assert report.coverage is not None and report.coverage.without == 0
        assert report.shares.context == sum(
            fake.count_tokens(t) for t in texts if t.startswith("Garden notes")
        )
        assert report.shares.passages == 0 and report.shares.parts > 0

        vectors = _vectors(store)
        units = store.conn.execute(
            "SELECT id, kind, parent_id, embed_hash FROM units ORDER BY id"
        ).fetchall()
        assert len(vectors) == len({h for *_, h in units})
        raw = dict(zip(texts, fake.embed_batch(texts)[0], strict=True))

        def expected(pieces: list[str]) -> np.ndarray:
            return compose([Piece(raw[t], fake.count_tokens(t)) for t in pieces])

        sun = "Garden notes > Tomatoes\nTomatoes need six hours of sun a day."
        got = vectors[_hash(store, "Tomatoes need six hours of sun a day.")]
        want = expected(["Garden notes > Tomatoes", "Tomatoes need six hours of sun a day."])
        assert _cosine(got, want) > 0.999
        assert (
            sun
            == store.conn.execute(
                "SELECT embed_text FROM units WHERE text = ?",
                ("Tomatoes need six hours of sun a day.",),
            ).fetchone()[0]
        )


def test_search_by_meaning_finds_the_sentence_and_matches_whole_embedding(tmp_path: Path) -> None:
    results = {}
    for compose_on in ("all", "off"):
        folder = tmp_path / f"run-{compose_on}"
        docs = _garden(folder)
        settings = _settings(folder / "index.sqlite3", compose_on)
        with Store.open(settings.db_path()) as store:
            Indexer(store, FakeEmbedder(), settings).index_paths([docs])
            searcher = Searcher(store, FakeEmbedder(), settings)
            hits = searcher.search(
                "compost kitchen scraps soil", k=3, mode="vector", filters=Filters(units="both")
            )
            results[compose_on] = [hit.text for hit in hits]
    assert "kitchen scraps" in results["all"][0]
    assert results["all"][0] == results["off"][0]


@pytest.mark.parametrize("compose_on", ["all", "off"])
def test_old_rows_without_a_known_split_are_embedded_whole(
    tmp_path: Path, compose_on: ComposeVectors
) -> None:
    docs = _garden(tmp_path)
    settings = _settings(tmp_path / "index.sqlite3", compose_on)
    with Store.open(settings.db_path()) as store:
        Indexer(store, FakeEmbedder(), settings).index_paths([docs])
        model = store.models()[0]
        with store._writing():
            store.conn.execute("UPDATE units SET context_chars = NULL")
            store.conn.execute("DELETE FROM vectors")
            store.conn.execute(f"DELETE FROM {model.bits_table}")
            store.conn.execute(f"DELETE FROM {model.codes_table}")
            store.conn.execute("UPDATE files SET vectors_due = 1")
        fake = FakeEmbedder()
        report = Indexer(store, fake, settings, backlog=True).embed_backlog()
        whole = store.conn.execute("SELECT count(DISTINCT embed_hash) FROM units").fetchone()[0]
        assert report.embedded == whole and report.coverage is not None
        assert report.coverage.without == 0
        assert any("\n" in text for text in fake.embedded_texts), "titled texts, whole"


def _hash(store: Store, text: str) -> str:
    return str(
        store.conn.execute("SELECT embed_hash FROM units WHERE text = ?", (text,)).fetchone()[0]
    )


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_passages_mode_embeds_propositions_whole_and_composes_passages(tmp_path: Path) -> None:
    docs = _garden(tmp_path)
    fake = FakeEmbedder()
    settings = _settings(tmp_path / "index.sqlite3", "passages")
    with Store.open(settings.db_path()) as store:
        report = Indexer(store, fake, settings).index_paths([docs])
        texts = fake.embedded_texts
        parts = [
            str(text)
            for (text,) in store.conn.execute(
                "SELECT embed_text FROM units WHERE kind = 'proposition' ORDER BY id"
            )
        ]
        assert sorted(texts) == sorted(set(parts)), "each proposition whole, no passage"
        assert report.shares.total == sum(fake.count_tokens(t) for t in texts)
        own = sum(fake.count_tokens(t.split("\n", 1)[1]) for t in texts)
        assert report.shares.passages == 0 and report.shares.parts == own
        assert report.shares.context == report.shares.total - own > 0
        assert report.coverage is not None and report.coverage.without == 0
        vectors = _vectors(store)
        raw = dict(zip(texts, fake.embed_batch(texts)[0], strict=True))
        passage_id, passage_hash = store.conn.execute(
            "SELECT id, embed_hash FROM units WHERE kind = 'passage' ORDER BY id LIMIT 1"
        ).fetchone()
        children = [
            str(text)
            for (text,) in store.conn.execute(
                "SELECT embed_text FROM units WHERE parent_id = ? ORDER BY ord", (passage_id,)
            )
        ]
        want = compose([Piece(raw[t], fake.count_tokens(t)) for t in children])
        assert _cosine(vectors[str(passage_hash)], want) > 0.999


@pytest.mark.parametrize("mode", ["passages", "all"])
def test_a_new_model_builds_its_vectors_as_indexing_composes_them(
    tmp_path: Path, mode: ComposeVectors
) -> None:
    docs = _garden(tmp_path)
    first, second, whole = FakeEmbedder(), FakeEmbedder(key="fake-v2"), FakeEmbedder(key="v3")
    settings = _settings(tmp_path / "index.sqlite3", mode)
    with Store.open(settings.db_path()) as store:
        Indexer(store, first, settings).index_paths([docs])
        floor = settings.vector_min_parts
        assert switch.build(store, second, part_floor=floor, compose=mode)
        assert switch.build(store, whole, part_floor=floor, compose="off")
        by_model = {model.key: _vectors(store, model.key) for model in store.models()}
    assert sorted(second.embedded_texts) == sorted(first.embedded_texts)
    tokens = [sum(map(fake.count_tokens, fake.embedded_texts)) for fake in (second, whole)]
    assert tokens[0] < tokens[1], "whole units embed the title and each sentence again"
    ours, theirs = by_model["fake-v1"], by_model["fake-v2"]
    assert ours.keys() == theirs.keys() == by_model["v3"].keys()
    assert min(_cosine(ours[h], theirs[h]) for h in ours) > 0.999
