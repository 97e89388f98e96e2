from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from semfind.engine.config import Settings
from semfind.engine.errors import UsageError
from semfind.engine.search.fusion import convex, rrf
from semfind.engine.search.keyword_plan import KeywordPlanner
from semfind.engine.search.query import query_terms
from semfind.engine.search.searcher import Filters, Searcher
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder
from .helpers import garden_tree


@pytest.fixture
def searcher(tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings) -> Searcher:
    root = garden_tree(tmp_path / "docs")
    Indexer(store, fake, settings).index_paths([root])
    return Searcher(store, fake, settings)


def test_keyword_mode_ranks_matching_file_first(searcher: Searcher) -> None:
    hits = searcher.search("sourdough starter", mode="keyword")
    assert hits[0].path.endswith("kitchen.md")
    assert hits[0].score > 0


def test_vector_mode_uses_embeddings(searcher: Searcher) -> None:
    hits = searcher.search("cactus sun water", mode="vector")
    assert hits[0].path.endswith("cactus.txt")
    assert -1.0 <= hits[-1].score <= hits[0].score <= 1.0


def test_hybrid_groups_per_file_and_points_at_best_unit(searcher: Searcher) -> None:
    hits = searcher.search("water ferns", k=10)
    paths = [h.path for h in hits]
    assert len(paths) == len(set(paths))
    assert hits[0].path.endswith("ferns.md")
    assert "ferns" in hits[0].text.lower()


def test_pdf_hit_has_page_in_location(searcher: Searcher) -> None:
    hit = searcher.search("home office deductions", mode="keyword")[0]
    assert hit.page == 2
    assert hit.location.endswith("tax.pdf:2:1")


def test_filters_by_glob_and_type(searcher: Searcher) -> None:
    only_md = searcher.search("water", filters=Filters(path_glob="*.md"))
    assert only_md and all(h.path.endswith(".md") for h in only_md)
    in_garden = searcher.search("water", filters=Filters(path_glob="garden/*"))
    assert {Path(h.path).name for h in in_garden} == {"ferns.md", "cactus.txt"}
    by_kind = searcher.search("water", filters=Filters(types=("text",)))
    assert [Path(h.path).name for h in by_kind] == ["cactus.txt"]
    by_ext = searcher.search("deductions", filters=Filters(types=("pdf",)), mode="vector")
    assert all(h.path.endswith(".pdf") for h in by_ext)


@pytest.mark.parametrize("warm", [False, True])
def test_filter_by_modification_time(
    searcher: Searcher, store: Store, fake: FakeEmbedder, settings: Settings, warm: bool
) -> None:
    old = {"cactus.txt": 1_000_000_000, "ferns.md": 1_700_000_000}
    for name, seconds in old.items():
        store.conn.execute(
            "UPDATE files SET mtime_ns = ? WHERE path LIKE ?", (seconds * 10**9, f"%/{name}")
        )
    engine = Searcher(store, fake, settings, warm=warm)
    for mode in ("hybrid", "vector", "keyword"):
        recent = engine.search("water plants", mode=mode, filters=Filters(modified_since=1.6e9))
        names = {Path(h.path).name for h in recent}
        assert "cactus.txt" not in names and (mode != "keyword" or "ferns.md" in names)
        everything = engine.search("water plants", mode=mode, filters=Filters())
        assert "cactus.txt" in {Path(h.path).name for h in everything}
    engine.close()


def test_k_limits_files(searcher: Searcher) -> None:
    assert len(searcher.search("water", k=1)) == 1


def test_bad_arguments(searcher: Searcher) -> None:
    with pytest.raises(UsageError):
        searcher.search("x", mode="fuzzy")
    with pytest.raises(UsageError):
        searcher.search("x", k=0)


def test_queries_with_fts_syntax_are_safe(searcher: Searcher) -> None:
    for query in ['"unbalanced', "AND OR NOT", "ferns*", "col:umn", "(", "-water", "NEAR(a b)"]:
        searcher.search(query, mode="keyword")
    assert searcher.search("!!!", mode="keyword") == []
    plain = KeywordPlanner(searcher.store.conn, budget=0)
    assert plain.expression("units_fts", query_terms('Water "ferns" the water')) == (
        '"water" OR "ferns"'
    )
    assert plain.expression("units_fts", query_terms("to be or not to be")) == (
        '"to" OR "be" OR "or" OR "not"'
    )


@pytest.mark.parametrize("fusion", ["rrf", "convex"])
def test_both_fusion_settings_rank_the_obvious_file_first(searcher: Searcher, fusion: str) -> None:
    searcher.settings = dataclasses.replace(searcher.settings, fusion=fusion)
    hits = searcher.search("water ferns")
    assert hits[0].path.endswith("ferns.md")
    assert 0 < hits[0].score <= 2.0


def test_rrf_and_convex_fusion_math() -> None:
    keyword = [(1, 10.0), (2, 5.0)]
    vector = [(2, 0.9), (3, 0.5)]
    fused = rrf((keyword, vector), (1.0, 1.0), k=60)
    assert fused[2] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1] == pytest.approx(1 / 61) and fused[3] == pytest.approx(1 / 62)
    mixed = convex((keyword, vector), (1.0, 2.0))
    assert mixed == {1: 1.0, 2: 2.0, 3: 0.0}


def test_searching_with_an_unindexed_model_falls_back_to_keywords(
    searcher: Searcher, store: Store, settings: Settings
) -> None:
    other = Searcher(store, FakeEmbedder(key="never-used"), settings)
    assert other.model is None
    assert other.search("sourdough")[0].path.endswith("kitchen.md")


def test_common_words_are_searched_only_together_beyond_the_keyword_budget(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    root = tmp_path / "notes"
    root.mkdir()
    for n in range(12):
        (root / f"common{n}.md").write_text(f"The garden needs water, note {n}.\n")
    (root / "both.md").write_text("A garden of rare orchids.\n")
    (root / "rare.md").write_text("Orchids alone.\n")
    Indexer(store, fake, settings).index_paths([root])
    planner = KeywordPlanner(store.conn, budget=5)
    expression = planner.expression("units_fts", ["garden", "orchids"])
    assert expression == '("garden" AND "orchids") OR "orchids"'
    assert KeywordPlanner(store.conn, budget=0).expression("units_fts", ["garden", "orchids"]) == (
        '"garden" OR "orchids"'
    )
    tight = Searcher(store, fake, dataclasses.replace(settings, keyword_budget=5))
    names = [hit.path.rsplit("/", 1)[-1] for hit in tight.search("garden orchids", mode="keyword")]
    assert names[:2] == ["both.md", "rare.md"] and len(names) == 2
    loose = Searcher(store, fake, dataclasses.replace(settings, keyword_budget=0))
    assert len(loose.search("garden orchids", k=20, mode="keyword")) == 14
