"""Two-pass indexing (issue 23, item 1): files are committed keyword-searchable at once, their
vectors follow in a second pass that resumes after a stop or a crash."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import apsw
import pytest

from semfind.engine.config import ComposeVectors, Settings
from semfind.engine.errors import StoreError
from semfind.engine.search.searcher import Filters, Searcher
from semfind.engine.store.hashing import text_hash
from semfind.engine.store.index_facts import model_vectors
from semfind.engine.store.records import VectorCoverage
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer, IndexReport

from .fakes import FakeEmbedder
from .helpers import semfind_cli

FILES = {
    "otters.md": "# Otters\n\nSea otters crack open clams on their bellies with a stone.\n",
    "bread.md": "# Bread\n\nSourdough needs a lively starter fed twelve hours before baking.\n",
    "taxes.txt": "Working from home, you may deduct a share of the rent for the office room.\n",
}


def _docs(root: Path, count: int = 0) -> Path:
    root.mkdir(parents=True)
    for name, text in FILES.items():
        (root / name).write_text(text)
    for number in range(count):
        (root / f"n{number:03}.md").write_text(
            f"# Note {number}\n\nThe heron number {number} waits by the river at dawn. "
            f"It caught {number} fish before the tide turned. The reeds were wet.\n"
        )
    return root


def _stopped_in_pass_two(
    store: Store, settings: Settings, root: Path, after: int
) -> tuple[IndexReport, FakeEmbedder]:
    """A run stopped once `after` embedder calls of its vector pass are done."""
    embedder = FakeEmbedder()
    report = IndexReport()

    def cancelled() -> bool:
        return report.phase == "vectors" and len(embedder.calls) >= after

    indexer = Indexer(store, embedder, settings, cancelled=cancelled)
    report = indexer.report
    return indexer.index_paths([root]), embedder


def _paths(searcher: Searcher, query: str, mode: str) -> list[str]:
    filters = Filters(units="both")
    return [Path(hit.path).name for hit in searcher.search(query, k=5, mode=mode, filters=filters)]


def test_a_file_is_found_by_keyword_before_its_vectors_exist_and_by_meaning_after(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    root = _docs(tmp_path / "docs")
    report, _ = _stopped_in_pass_two(store, settings, root, after=0)

    assert report.cancelled and report.indexed == 3 and report.embedded == 0
    assert report.first_searchable_s is not None and report.pass1_s is not None
    model = store.models()[0]
    assert store.vector_coverage(model) == VectorCoverage(units=3, without=3)
    fake = FakeEmbedder()
    searcher = Searcher(store, fake, settings)
    assert _paths(searcher, "otters clams", "keyword") == ["otters.md"]
    assert _paths(searcher, "otters clams", "hybrid") == ["otters.md"]  # by its keywords
    assert _paths(searcher, "otters clams", "vector") == []  # no vector to find it by yet

    done = Indexer(store, fake, settings).index_paths([root])

    assert done.unchanged == 3 and done.indexed == 0 and done.embedded == 3
    assert done.coverage == VectorCoverage(units=3, without=0)
    assert not store.has_vectors_due()
    searcher = Searcher(store, FakeEmbedder(), settings)
    assert _paths(searcher, "otters clams", "vector")[0] == "otters.md"


def test_the_coverage_says_how_much_is_found_by_keyword_only(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    root = _docs(tmp_path / "docs", count=9)
    report, _ = _stopped_in_pass_two(store, settings, root, after=1)  # one call: 8 of 12

    coverage = store.vector_coverage(store.models()[0])
    assert report.coverage == coverage == VectorCoverage(units=12, without=4)
    assert coverage.describe() == (
        "vectors for 67 % of the index: results by keyword only for the rest"
    )
    [counted] = model_vectors(store)  # the exact scan `semfind status` runs agrees
    assert (counted.units, counted.units_without, counted.texts_to_build) == (12, 4, 4)


def test_passages_of_every_file_are_embedded_before_propositions(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    root = _docs(tmp_path / "docs", count=6)
    settings = Settings(
        db=settings.db, passage_tokens=64, segmenter="rules", units="both", compose_vectors="off"
    )
    embedder = FakeEmbedder()
    Indexer(store, embedder, settings).index_paths([root])

    # A proposition that is its passage's whole text shares its vector: it counts as one.
    kinds = dict(store.conn.execute("SELECT embed_hash, kind FROM units ORDER BY kind DESC"))
    order = [kinds[text_hash(text)] for text in embedder.embedded_texts]
    assert order.count("passage") == 9 and "proposition" in order
    assert order == sorted(order), "every passage came before any proposition"


def _snapshot(db: Path) -> tuple[object, ...]:
    """What a clean run and a resumed one must agree on: units, vectors by text hash."""
    with Store.open(db, readonly=True) as store:
        units = store.conn.execute(
            "SELECT f.path, u.kind, u.ord, u.text, u.embed_hash FROM units u"
            " JOIN files f ON f.id = u.file_id ORDER BY f.path, u.ord"
        ).fetchall()
        model = store.models()[0]
        vectors = store.conn.execute(
            f"SELECT v.text_hash, c.code FROM vectors v JOIN {model.codes_table} c"
            " ON c.id = v.id ORDER BY v.text_hash"
        ).fetchall()
        due = store.has_vectors_due()
    return tuple(units), tuple(vectors), due


@pytest.mark.parametrize("compose", ["all", "off"])
def test_a_run_stopped_in_its_vector_pass_resumes_to_what_a_clean_run_builds(
    tmp_path: Path, compose: ComposeVectors
) -> None:
    root = _docs(tmp_path / "docs", count=12)
    clean = Settings(
        db=tmp_path / "clean.db", passage_tokens=64, segmenter="rules", units="both",
        compose_vectors=compose,
    )  # fmt: skip
    resumed = dataclasses.replace(clean, db=tmp_path / "resumed.db")
    with Store.open(clean.db_path()) as store:
        Indexer(store, FakeEmbedder(), clean).index_paths([root])
    with Store.open(resumed.db_path()) as store:
        # Composed, one call embeds the pieces of several passages and their propositions.
        first, before = _stopped_in_pass_two(
            store, resumed, root, after=1 if compose == "all" else 3
        )
        assert first.cancelled and 0 < first.embedded < store.distinct_texts()
    with Store.open(resumed.db_path()) as store:
        embedder = FakeEmbedder()
        again = Indexer(store, embedder, resumed).index_paths([root])
        assert again.unchanged == 15 and again.indexed == 0
        assert first.embedded + again.embedded == store.distinct_texts(), "each unit once"
        if compose == "off":
            assert again.embedded == len(embedder.embedded_texts) > 0
            assert not set(embedder.embedded_texts) & set(before.embedded_texts), "twice"

    assert _snapshot(clean.db_path()) == _snapshot(resumed.db_path())
    for queries in ("heron river", "sourdough starter", "deduct rent office"):
        with (
            Store.open(clean.db_path(), readonly=True) as a,
            Store.open(resumed.db_path(), readonly=True) as b,
        ):
            assert _paths(Searcher(a, FakeEmbedder(), clean), queries, "hybrid") == _paths(
                Searcher(b, FakeEmbedder(), resumed), queries, "hybrid"
            )


def test_an_unchanged_rerun_costs_no_vector_pass(
    tmp_path: Path, settings: Settings, store: Store
) -> None:
    root = _docs(tmp_path / "docs", count=3)
    Indexer(store, FakeEmbedder(), settings).index_paths([root])
    embedder = FakeEmbedder()
    report = Indexer(store, embedder, settings).index_paths([root])
    assert report.unchanged == 6 and embedder.calls == [] and report.phase == "files"
    assert report.coverage == VectorCoverage(units=6, without=0)


# -- the real command, killed with SIGKILL between the passes --------------------------------


@pytest.mark.real_model
def test_kill_9_between_the_passes_then_a_rerun_equals_a_clean_run(
    real_data_dir: Path, tmp_path: Path
) -> None:
    root = _docs(tmp_path / "docs", count=100)
    env = {**os.environ, "SEMFIND_DATA_DIR": str(real_data_dir)}
    clean, killed = tmp_path / "clean.db", tmp_path / "killed.db"
    assert semfind_cli(env, "--db", str(clean), "index", str(root)).returncode == 0

    child = subprocess.Popen(
        [sys.executable, "-m", "semfind.app", "--db", str(killed), "index", "-q", str(root)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while not _in_pass_two(killed, files=103):
            assert child.poll() is None, "the run ended before it could be killed in pass 2"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(30)
    units, vectors, due = _snapshot(killed)
    assert due and len(units) == len(_snapshot(clean)[0])  # every file searchable by keyword
    assert len(vectors) < len(_snapshot(clean)[1])

    rerun = semfind_cli(env, "--db", str(killed), "index", str(root))
    assert rerun.returncode == 0, rerun.stderr
    assert "103 unchanged" in rerun.stderr and "units/s" in rerun.stderr

    a, b = _snapshot(clean), _snapshot(killed)
    assert a[0] == b[0] and not b[2]
    assert [h for h, _ in a[1]] == [h for h, _ in b[1]]  # the same texts have vectors
    for query in ("otters opening shellfish", "bread starter", "home office deduction"):
        found = [
            semfind_cli(env, "--db", str(db), "search", query, "--json", "-k", "3").stdout
            for db in (clean, killed)
        ]
        assert found[0] == found[1] and found[0]


def _in_pass_two(db: Path, files: int) -> bool:
    """Every file committed, and some vector still missing."""
    if not db.exists():
        return False
    try:
        with Store.open(db, readonly=True) as store:
            model = store.models()
            if not model or store.counts()["files"] < files:
                return False
            return store.has_vectors_due() and store.units_lacking_vectors(model[0]) > 0
    except (StoreError, apsw.Error):  # not created, or its schema is being written now
        return False
