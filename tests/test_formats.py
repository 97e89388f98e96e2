"""Word, OpenDocument, EPUB, PowerPoint, Org, notebooks, e-mail and RTF: real files written
with the libraries' own writers, extracted, indexed and found at a location in the format's
own terms; hostile containers fail alone, with a reason."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from semfind.engine.config import Settings
from semfind.engine.errors import ExtractionError
from semfind.engine.search.query import Filters
from semfind.engine.search.searcher import Searcher
from semfind.engine.store.store import Store
from semfind.indexer.extract.extractors import detect_kind, extract
from semfind.indexer.extract.sandbox import SandboxedExtractor
from semfind.indexer.indexing import Indexer

from . import docgen
from .fakes import FakeEmbedder
from .helpers import semfind_cli


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Propositions as well as passages, as by default: a passage starts at its first
    paragraph, a proposition's location is the paragraph it is in."""
    return Settings(db=tmp_path / "index.sqlite3", passage_tokens=64)


@pytest.fixture
def corpus(tmp_path: Path) -> dict[Path, tuple[str, str, str, str]]:
    return docgen.formats_corpus(tmp_path / "docs")


def _index(store: Store, fake: FakeEmbedder, settings: Settings, root: Path) -> None:
    report = Indexer(store, fake, settings).index_paths([root])
    assert report.failed == [] and report.skipped == []


@pytest.fixture
def searcher(
    corpus: dict[Path, tuple[str, str, str, str]],
    store: Store,
    fake: FakeEmbedder,
    settings: Settings,
) -> Searcher:
    """The corpus indexed with the fake embedder, and a searcher over it."""
    _index(store, fake, settings, next(iter(corpus)).parent)
    return Searcher(store, fake, settings)


def test_every_kind_is_extracted_with_its_title_and_fact(
    corpus: dict[Path, tuple[str, str, str, str]],
) -> None:
    titles = {
        "report.docx": "Greenhouse trial",
        "minutes.odt": "Board minutes",
        "novel.epub": "The Coast",
        "plans.pptx": "Team plans",
        "journal.org": "Journal",
        "analysis.ipynb": "Sales analysis",
        "invoice.eml": "Domain renewal",
        "memo.rtf": "Safety memo",
    }
    for path, (fact, *_rest) in corpus.items():
        doc = extract(path)
        text = "\n".join(page.text for page in doc.pages)
        assert " ".join(fact.split()) in " ".join(text.split()), path.name
        if path.name in titles:
            assert doc.title == titles[path.name] and doc.has_real_title
        else:
            assert not doc.has_real_title  # an mbox has no one subject
    assert detect_kind(Path("a.MBOX")) == "email" and detect_kind(Path("b.eml")) == "email"


def test_what_stays_out_of_the_text(corpus: dict[Path, tuple[str, str, str, str]]) -> None:
    root = next(iter(corpus)).parent
    org = extract(root / "journal.org").pages[0]
    assert "drawer-secret-id" not in org.text and "#+TITLE" not in org.text
    assert "## Compost" in org.text  # headings as Markdown, for the heading path
    assert len(org.text.split("\n")) == len((root / "journal.org").read_text().split("\n"))
    assert "OUTPUT-ONLY-WORD" not in extract(root / "analysis.ipynb").pages[0].text
    slide = extract(root / "plans.pptx").pages[1]
    assert slide.number == 2 and "interviews start soon" in slide.text  # speaker notes
    docx = extract(root / "report.docx").pages[0].text
    assert "beans | 12 kg" in docx and "# Results" in docx  # table rows, headings
    messages = extract(root / "inbox.mbox").pages
    assert [p.number for p in messages] == [1, 2, 3]
    assert messages[1].text.startswith("Subject: Boiler repair\nFrom: Ann")


def test_each_kind_is_found_at_its_own_location(
    corpus: dict[Path, tuple[str, str, str, str]], searcher: Searcher
) -> None:
    for path, (_fact, word, _question, place) in corpus.items():
        hits = searcher.search(word, k=3, mode="keyword")
        assert hits and hits[0].path == str(path), (word, hits[:1])
        hit = hits[0]
        assert hit.location.startswith(str(path)), hit.location
        assert place in hit.location.removeprefix(str(path)), hit.location
        assert hit.to_json()["location"] == hit.location
        assert "{line}" not in hit.location


def test_the_location_names_the_line_where_the_format_has_lines(
    corpus: dict[Path, tuple[str, str, str, str]], searcher: Searcher
) -> None:
    root = next(iter(corpus)).parent
    org = searcher.search("fortnight", k=1, mode="keyword")[0]
    lines = (root / "journal.org").read_text().split("\n")
    line = next(i for i, text in enumerate(lines, start=1) if "fortnight" in text)
    assert org.location == f"{root / 'journal.org'}:{line} § Garden \u203a Compost"
    mail = searcher.search("plumber", k=1, mode="keyword")[0]
    # Subject, From, Date, a blank line, "Hello,", a blank line, then the fact
    assert mail.location.endswith(' #2 "Boiler repair":7')


def test_each_mbox_message_is_a_result_of_its_own(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    root = tmp_path / "mail"
    root.mkdir()
    docgen.write_mbox(
        root / "box.mbox",
        [
            docgen.message(f"Walk {n}", "a@example.org", f"The heron walk number {n}.")
            for n in (1, 2)
        ],
    )
    _index(store, fake, settings, root)
    hits = Searcher(store, fake, settings).search("heron", k=5, mode="keyword")
    assert sorted(h.place or "" for h in hits) == [' #1 "Walk 1":5', ' #2 "Walk 2":5']


def test_type_filter_knows_the_new_kinds(searcher: Searcher, settings: Settings) -> None:
    for kind, name in (("docx", "report.docx"), ("email", "inbox.mbox"), ("mbox", "inbox.mbox")):
        filters = Filters(units=settings.units, types=(kind,))
        hits = searcher.search("the", k=20, mode="keyword", filters=filters)
        assert hits and all(Path(h.path).suffix in (".docx", ".eml", ".mbox") for h in hits)
        assert any(Path(h.path).name == name for h in hits)


def test_a_new_kind_is_updated_renamed_and_deleted_like_the_old_ones(
    corpus: dict[Path, tuple[str, str, str, str]],
    searcher: Searcher,
    store: Store,
    fake: FakeEmbedder,
    settings: Settings,
) -> None:
    root = next(iter(corpus)).parent
    report = root / "report.docx"
    docgen.write_docx(report, "Greenhouse trial", [("Results", ["The marrows were enormous."])])
    _index(store, fake, settings, root)
    assert not searcher.search("tomatoes", k=3, mode="keyword")
    assert searcher.search("marrows", k=1, mode="keyword")[0].place == " § Results ¶2"
    fake.calls.clear()
    report.rename(root / "renamed.docx")
    done = Indexer(store, fake, settings).index_paths([root])
    assert (done.moved, done.indexed, done.removed) == (1, 0, 0) and fake.calls == []
    moved = searcher.search("marrows", k=1, mode="keyword")[0]
    assert moved.location == f"{root / 'renamed.docx'} § Results ¶2"
    (root / "renamed.docx").unlink()
    assert Indexer(store, fake, settings).index_paths([root]).removed == 1
    assert not searcher.search("marrows", k=3, mode="keyword")


def test_hostile_containers_fail_alone_with_a_reason(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRETWORD")
    cases = {
        docgen.docx_with(tmp_path / "laughs.docx", docgen.BILLION_LAUGHS): "declares XML entities",
        docgen.docx_with(tmp_path / "xxe.docx", docgen.xxe(secret)): "declares XML entities",
        docgen.docx_with(tmp_path / "deep.docx", docgen.deep_xml(5000)): "depth",
        docgen.zip_bomb(tmp_path / "big.docx", "word/document.xml", 70 << 20): "zip bomb",
        docgen.zip_bomb(tmp_path / "dense.epub", "OEBPS/a.xhtml", 8 << 20): "zip bomb",
        docgen.encrypted_office(tmp_path / "locked.pptx"): "encrypted PowerPoint file",
        docgen.encrypted_office(tmp_path / "locked.docx"): "encrypted Word file",
    }
    (tmp_path / "bad.ipynb").write_text("[" * 100_000)
    (tmp_path / "bad.odt").write_bytes(b"PK\x03\x04 not really")
    cases[tmp_path / "bad.ipynb"] = "corrupt notebook"
    cases[tmp_path / "bad.odt"] = "corrupt OpenDocument file"
    sandbox = SandboxedExtractor(timeout=30, memory_mb=512)
    try:
        for path, reason in cases.items():
            with pytest.raises(ExtractionError, match=reason):
                sandbox(path, path.read_bytes())
        good = docgen.write_docx(tmp_path / "fine.docx", "Fine", [("H", ["Still readable."])])
        assert "Still readable." in sandbox(good, good.read_bytes()).pages[0].text
    finally:
        sandbox.close()


def test_status_counts_files_per_kind(
    corpus: dict[Path, tuple[str, str, str, str]], tmp_path: Path
) -> None:
    env = {**os.environ, "SEMFIND_DB": str(tmp_path / "i.db"), "SEMFIND_EMBEDDER": "fake"}
    root = next(iter(corpus)).parent
    from semfind.engine.store.index_facts import kind_counts

    with Store.open(tmp_path / "i.db") as store:
        _index(store, FakeEmbedder(), Settings(db=tmp_path / "i.db"), root)
        assert kind_counts(store) == {
            "email": 2, "docx": 1, "epub": 1, "ipynb": 1, "odt": 1, "org": 1, "pptx": 1, "rtf": 1,
        }  # fmt: skip
    status = semfind_cli(env, "status")
    assert status.returncode == 0, status.stderr
    assert "by kind: email 2, docx 1, epub 1, ipynb 1, odt 1, org 1, pptx 1, rtf 1" in status.stdout


@pytest.mark.real_model
def test_a_paraphrased_question_finds_each_kind_at_its_place_with_the_real_model(
    corpus: dict[Path, tuple[str, str, str, str]], real_data_dir: Path, tmp_path: Path
) -> None:
    root = next(iter(corpus)).parent
    env = {
        **os.environ,
        "SEMFIND_DATA_DIR": str(real_data_dir),
        "SEMFIND_DB": str(tmp_path / "r.db"),
    }
    indexed = semfind_cli(env, "index", str(root))
    assert indexed.returncode == 0, indexed.stderr
    for path, (_fact, _word, question, place) in corpus.items():
        found = semfind_cli(env, "search", question, "-k", "1", "--json")
        assert found.returncode == 0, found.stderr
        hit = json.loads(found.stdout.splitlines()[0])
        assert hit["path"] == str(path), (question, hit["location"])
        assert place in hit["location"].removeprefix(str(path)), (question, hit["location"])
