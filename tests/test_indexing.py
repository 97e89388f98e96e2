from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from semfind.engine.config import Settings
from semfind.engine.errors import UsageError
from semfind.engine.store.store import Store
from semfind.indexer.extract.document import Document
from semfind.indexer.extract.extractors import extract
from semfind.indexer.indexing import Indexer, IndexReport

from .fakes import FakeEmbedder
from .pdfgen import write_pdf


def _tree(root: Path) -> Path:
    (root / "notes").mkdir(parents=True)
    (root / "notes" / "plants.md").write_text("# Plants\n\nWater the ferns every Tuesday.\n")
    (root / "notes" / "travel.txt").write_text("Pack a charger and a passport.\n")
    (root / "code.py").write_text("def add(a, b):\n    return a + b\n")
    write_pdf(root / "report.pdf", [["Quarterly revenue grew."], ["Costs fell sharply."]])
    return root


def _run(store: Store, embedder: FakeEmbedder, settings: Settings, *roots: Path) -> IndexReport:
    return Indexer(store, embedder, settings).index_paths(list(roots))


def test_first_run_indexes_everything(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    root = _tree(tmp_path / "docs")
    report = _run(store, fake, settings, root)
    assert report.indexed == 4 and report.failed == [] and report.skipped == []
    assert report.units >= 4 and report.embedded == report.units and report.tokens > 0
    pages = store.conn.execute(
        "SELECT u.page FROM units u JOIN files f ON f.id = u.file_id"
        " WHERE f.path LIKE '%report.pdf' ORDER BY u.page"
    ).fetchall()
    assert [p[0] for p in pages] == [1, 2]


def test_rerun_skips_unchanged_and_embeds_nothing(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    root = _tree(tmp_path / "docs")
    _run(store, fake, settings, root)
    fake.calls.clear()
    report = _run(store, fake, settings, root)
    assert report.unchanged == 4 and report.indexed == 0 and fake.calls == []


def test_touched_file_with_same_content_is_not_reembedded(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    root = _tree(tmp_path / "docs")
    _run(store, fake, settings, root)
    target = root / "notes" / "travel.txt"
    os.utime(target, ns=(1, 1_000_000_000))
    fake.calls.clear()
    report = _run(store, fake, settings, root)
    assert report.unchanged == 4 and fake.calls == []


def test_changed_file_embeds_only_new_text(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    root = _tree(tmp_path / "docs")
    _run(store, fake, settings, root)
    fake.calls.clear()
    (root / "notes" / "travel.txt").write_text(
        "Pack a charger and a passport.\n\nAlso sunscreen.\n"
    )
    report = _run(store, fake, settings, root)
    assert report.indexed == 1
    assert fake.embedded_texts == ["Pack a charger and a passport.\n\nAlso sunscreen."]


def test_deleted_file_leaves_index(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    root = _tree(tmp_path / "docs")
    _run(store, fake, settings, root)
    (root / "code.py").unlink()
    report = _run(store, fake, settings, root)
    assert report.removed == 1
    assert store.file_state(str(root / "code.py")) is None
    assert (
        store.conn.execute("SELECT count(*) FROM units_fts WHERE units_fts MATCH 'add'").fetchone()[
            0
        ]
        == 0
    )


def test_renamed_file_is_reindexed_without_embedding(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    root = _tree(tmp_path / "docs")
    _run(store, fake, settings, root)
    units_before = store.counts()["units"]
    (root / "notes" / "travel.txt").rename(root / "notes" / "travel.md")
    fake.calls.clear()
    report = _run(store, fake, settings, root)
    assert report.indexed == 1 and report.removed == 1 and fake.calls == []
    assert store.file_state(str(root / "notes" / "travel.txt")) is None
    renamed = store.file_state(str(root / "notes" / "travel.md"))
    assert renamed is not None and renamed.kind == "markdown"
    assert store.counts()["units"] == units_before
    titles = store.conn.execute("SELECT count(*) FROM units_fts WHERE units_fts MATCH 'title:md'")
    assert titles.fetchone()[0] == 1


def test_renames_and_folder_moves_are_moves_without_extraction(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    root = _tree(tmp_path / "docs")
    _run(store, fake, settings, root)
    ids_before = store.conn.execute("SELECT id, text FROM units ORDER BY id").fetchall()
    (root / "notes").rename(root / "archive")
    (root / "report.pdf").rename(root / "archive" / "q3.pdf")
    extracted: list[Path] = []

    def counting(path: Path, data: bytes) -> Document:
        extracted.append(path)
        return extract(path, data)

    fake.calls.clear()
    report = Indexer(store, fake, settings, extractor=counting).index_paths([root])
    assert (report.moved, report.indexed, report.removed) == (3, 0, 0)
    assert extracted == [] and fake.calls == []
    assert store.conn.execute("SELECT id, text FROM units ORDER BY id").fetchall() == ids_before
    assert sorted(s.path for s in store.files_under(str(root))) == sorted(
        str(p) for p in root.rglob("*") if p.is_file()
    )


def test_a_copy_beside_its_original_is_indexed_not_moved(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    root = _tree(tmp_path / "docs")
    _run(store, fake, settings, root)
    original = root / "code.py"
    copy = root / "copy.py"
    copy.write_bytes(original.read_bytes())
    os.utime(copy, ns=(original.stat().st_atime_ns, original.stat().st_mtime_ns))
    report = _run(store, fake, settings, root)
    assert (report.moved, report.indexed, report.unchanged) == (0, 1, 4)
    assert store.file_state(str(original)) is not None


def test_bad_files_are_recorded_and_others_indexed(
    tmp_path: Path,
    store: Store,
    fake: FakeEmbedder,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = _tree(tmp_path / "docs")
    (root / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >>\nthis is not a pdf")
    (root / "blob.txt").write_bytes(bytes(range(256)) * 40)
    secret = root / "secret.md"
    secret.write_text("classified")
    real_read = Path.read_bytes

    def guarded(self: Path) -> bytes:
        if self.name == "secret.md":
            raise PermissionError(13, "Permission denied")
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", guarded)
    report = _run(store, fake, settings, root)
    failed = dict(report.failed)
    assert failed[str(root / "secret.md")] == "permission denied"
    assert "PDF" in failed[str(root / "broken.pdf")]
    assert str(root / "blob.txt") in dict(report.skipped)
    assert report.indexed == 4
    assert {f.path for f in store.failures()} == {
        str(root / n) for n in ("secret.md", "broken.pdf", "blob.txt")
    }


def test_ignore_files_size_limit_and_hidden(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    root = _tree(tmp_path / "docs")
    (root / ".gitignore").write_text("notes/travel.txt\n")
    (root / "notes" / ".semfindignore").write_text("*.md\n")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "x.md").write_text("hidden")
    (root / "big.txt").write_text("x " * 700_000)
    settings = dataclasses.replace(settings, max_file_mb=1.0, ignore=("*.py",))
    report = _run(store, fake, settings, root)
    indexed = {
        Path(r[0]).name for r in store.conn.execute("SELECT path FROM files WHERE status='indexed'")
    }
    assert indexed == {"report.pdf"}
    assert [Path(p).name for p, _ in report.skipped] == ["big.txt"]
    assert "1 MiB" in report.skipped[0][1]


def test_newly_ignored_file_leaves_index(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    root = _tree(tmp_path / "docs")
    _run(store, fake, settings, root)
    (root / ".semfindignore").write_text("code.py\n")
    report = _run(store, fake, settings, root)
    assert report.removed == 1 and store.file_state(str(root / "code.py")) is None


def test_missing_path_is_a_usage_error(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    with pytest.raises(UsageError, match="no such file"):
        _run(store, fake, settings, tmp_path / "nope")


def test_switching_models_keeps_old_vectors_and_backfills(
    tmp_path: Path, store: Store, settings: Settings
) -> None:
    root = _tree(tmp_path / "docs")
    first, second = FakeEmbedder(key="a"), FakeEmbedder(key="b", dim=32)
    _run(store, first, settings, root)
    report = _run(store, second, settings, root)
    assert report.unchanged == 4 and report.embedded == store.counts()["units"]
    models = {m.key: store.vector_count(m) for m in store.models()}
    assert models["a"] == models["b"] > 0
    first.calls.clear()
    _run(store, first, settings, root)
    assert first.calls == []


def test_single_file_argument(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    root = _tree(tmp_path / "docs")
    report = _run(store, fake, settings, root / "notes" / "plants.md")
    assert report.indexed == 1
