"""Keyword search in Chinese, Japanese and Korean text, which has no spaces between words
(issue 20, item 7), and the migration that brings older indexes along."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from semfind.engine.config import Settings
from semfind.engine.search.query import query_terms, term_pattern
from semfind.engine.search.searcher import Searcher
from semfind.engine.store import store as store_module
from semfind.engine.store.cjk import fts_term, fts_text
from semfind.engine.store.migrations import LATEST_VERSION
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder

FIXTURE = Path(__file__).parent / "fixtures" / "index-v6.sqlite3"
TEXTS = {
    "kyoto.txt": "私は昨年の秋に京都へ行きました。金閣寺はとても美しかったです。\n",
    "beijing.txt": "我们明天去北京参观故宫博物院。然后吃烤鸭。\n",
    "seoul.txt": "서울에서 친구를 만났습니다. 경복궁은 아름다웠어요.\n",
    "mixed.md": "# Trip\n\nThe iPhone東京 launch, and a note in English about PagerDuty.\n",
}


def _write(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for name, text in TEXTS.items():
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def cjk(tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings) -> Searcher:
    Indexer(store, fake, settings).index_paths([_write(tmp_path / "docs")])
    return Searcher(store, fake, settings)


def _found(searcher: Searcher, query: str) -> list[str]:
    return [Path(h.path).name for h in searcher.search(query, mode="keyword")]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("金閣寺", "kyoto.txt"),  # Japanese: kanji inside a sentence of kana
        ("京都", "kyoto.txt"),
        ("美しかった", "kyoto.txt"),
        ("故宫", "beijing.txt"),  # Chinese
        ("故宫博物院", "beijing.txt"),
        ("烤鸭", "beijing.txt"),
        ("서울", "seoul.txt"),  # Korean: a particle follows the word
        ("경복궁", "seoul.txt"),
        ("東京", "mixed.md"),  # a run right after Latin letters
        ("鸭", "beijing.txt"),  # one character: the last of its run
        ("宫", "beijing.txt"),  # one character inside a run
    ],
)
def test_words_inside_unspaced_text_are_found(cjk: Searcher, query: str, name: str) -> None:
    assert _found(cjk, query) == [name]


def test_a_run_matches_only_in_order(cjk: Searcher) -> None:
    assert _found(cjk, "寺閣金") == []
    assert _found(cjk, "北京故宫") == []  # both words are there, not next to each other


def test_english_is_tokenized_as_before(cjk: Searcher) -> None:
    assert fts_text("PagerDuty at night") == "PagerDuty at night"
    assert _found(cjk, "pagerduty") == ["mixed.md"]
    assert _found(cjk, "iphone") == ["mixed.md"]


def test_query_terms_and_highlighting_split_scripts() -> None:
    assert query_terms("iPhone東京 金閣寺") == ["iphone", "東京", "金閣寺"]
    assert fts_term("金閣寺") == '"金閣 閣寺"' and fts_term("猫") == '"猫"*'
    pattern = term_pattern("金閣寺")
    assert pattern is not None
    assert pattern.search("私は金閣寺に行きました") is not None


def test_an_index_from_before_keeps_everything_and_finds_cjk_after_the_upgrade(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "old.sqlite3"
    shutil.copyfile(FIXTURE, db)
    docs = _write(tmp_path / "docs")
    # Schema 6 wrote text to the keyword tables as it is: add CJK files that way, go back.
    with monkeypatch.context() as patch:
        patch.setattr(store_module, "fts_text", lambda text: text)
        with Store.open(db) as store:
            Indexer(store, FakeEmbedder(), Settings(db=db)).index_paths([docs])
            store.conn.execute("ALTER TABLE units DROP COLUMN context_chars")  # schema 12
            store.conn.execute("ALTER TABLE embed_models DROP COLUMN part_floor")  # schema 11
            store.conn.execute("DROP INDEX files_vectors_due")  # schema 10
            store.conn.execute("ALTER TABLE files DROP COLUMN vectors_due")
            store.conn.execute("ALTER TABLE units DROP COLUMN label")  # schema 9
            store.conn.execute("DROP TABLE roots")  # schema 8
            store.conn.execute("PRAGMA user_version = 6")
            before = store.counts()
            assert _found(Searcher(store, None, Settings(db=db)), "金閣寺") == []
    with Store.open(db) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        assert store.counts() == before
        searcher = Searcher(store, None, Settings(db=db))
        assert _found(searcher, "金閣寺") == ["kyoto.txt"]
        assert _found(searcher, "경복궁") == ["seoul.txt"]
        assert _found(searcher, "sourdough starter") == ["kitchen.md"]  # the fixture's own
        assert _found(searcher, "pagerduty") == ["mixed.md"]
