"""From scored units to results: propositions roll up into their passage, passages into files."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from semfind.engine.store.records import decode_spans
from semfind.engine.store.rows import named_rows
from semfind.engine.store.store import Store, in_batches


@dataclass(frozen=True)
class Match:
    """A unit that matched the query, with its exact place in the source."""

    unit_id: int
    kind: str
    text: str
    score: float
    char_start: int
    char_end: int
    line_start: int
    line_end: int
    spans: tuple[tuple[int, int], ...]
    """Exact character spans (in the page's text) that make up the unit."""


@dataclass(frozen=True)
class Passage:
    """The passage a result's matches belong to: the context shown around them."""

    id: int
    text: str
    char_start: int
    char_end: int
    line_start: int
    line_end: int


@dataclass(frozen=True)
class Hit:
    """One result: a file, its best passage, and the matches inside that passage."""

    path: str
    title: str | None
    file_kind: str | None
    score: float
    page: int | None
    passage: Passage
    matches: tuple[Match, ...]
    """Best first; matches[0] is the evidence to highlight."""
    cosine: float | None = None
    """The highest cosine similarity of a match to the query (the vector leg's own score:
    comparable across queries, unlike the fused `score`); None without a vector leg or
    where no match was among the query's nearest units."""
    bm25: float | None = None
    """The highest BM25 of a match (FTS5's bm25() negated, higher is better); None where
    no match holds a query word."""
    close: bool | None = None
    """Whether this is a close match: `cosine` reaches the close-match floor or the passage
    holds every content word of the query; None where there is no vector leg."""

    @property
    def best(self) -> Match:
        return self.matches[0]

    def evidence_spans(self) -> list[tuple[int, int]]:
        """The best match's exact spans as offsets into the passage text (those inside it)."""
        base, length = self.passage.char_start, len(self.passage.text)
        spans = self.best.spans or ((self.best.char_start, self.best.char_end),)
        return [(s - base, e - base) for s, e in spans if base <= s and e - base <= length]

    @property
    def text(self) -> str:
        return self.best.text

    @property
    def location(self) -> str:
        """path:page:line of the best match (path:line outside PDFs)."""
        return self.location_at(self.best.line_start)

    def location_at(self, line: int) -> str:
        """path:page:line for PDFs, path:line otherwise."""
        if self.page is not None:
            return f"{self.path}:{self.page}:{line}"
        return f"{self.path}:{line}"

    def to_json(self) -> dict[str, Any]:
        best = self.best
        return {
            "path": self.path,
            "location": self.location,
            "title": self.title,
            "file_kind": self.file_kind,
            "score": self.score,
            "cosine": self.cosine,
            "bm25": self.bm25,
            "close": self.close,
            "page": self.page,
            "unit_id": best.unit_id,
            "unit_kind": best.kind,
            "text": best.text,
            "line_start": best.line_start,
            "line_end": best.line_end,
            "char_start": best.char_start,
            "char_end": best.char_end,
            "passage": asdict(self.passage),
            "matches": [asdict(m) for m in self.matches],
        }


@dataclass(frozen=True)
class _Row:
    id: int
    parent_id: int | None
    file_id: int
    path: str
    title: str | None
    file_kind: str | None
    kind: str
    text: str
    page: int | None
    char_start: int
    char_end: int
    line_start: int
    line_end: int
    spans: tuple[tuple[int, int], ...]


RowCache = dict[int, "_Row"]


def rank_files(
    store: Store, scores: Mapping[int, float], k: int, bonus: float, cache: RowCache | None = None
) -> list[Hit]:
    """The k best files. A passage scores its best unit plus a capped bonus for more matches.

    Scoring needs only each unit's passage and file, so full rows (with text) are read for
    the k winning passages alone. `cache` lets a caller that ranks the same units many times
    (fusion tuning) read each unit's row once.
    """
    keys = _keys(store, scores, cache)
    groups = _groups(scores, keys)
    best: dict[int, tuple[float, int]] = {}
    for passage_id, (score, file_id) in _passage_scores(groups, keys, bonus).items():
        if file_id not in best or score > best[file_id][0]:
            best[file_id] = (score, passage_id)
    ranked = sorted(best.values(), key=lambda item: (-item[0], item[1]))[:k]
    return _hits(store, ranked, groups, cache)


def rank_passages(
    store: Store, scores: Mapping[int, float], k: int, bonus: float, per_file: int
) -> list[Hit]:
    """The k best passages across files, at most `per_file` of them from one file, each
    with the matches inside it: the evidence `semfind ask` answers from, where one long
    document may hold the answer in several places."""
    keys = _keys(store, scores, None)
    groups = _groups(scores, keys)
    ranked: list[tuple[float, int]] = []
    taken: dict[int, int] = defaultdict(int)
    passages = _passage_scores(groups, keys, bonus)
    for passage_id, (score, file_id) in sorted(passages.items(), key=lambda i: (-i[1][0], i[0])):
        if taken[file_id] < per_file:
            taken[file_id] += 1
            ranked.append((score, passage_id))
            if len(ranked) == k:
                break
    return _hits(store, ranked, groups, None)


def _groups(
    scores: Mapping[int, float], keys: Mapping[int, tuple[int, int]]
) -> dict[int, list[tuple[float, int]]]:
    """passage id -> its matching units as (score, unit id), best first."""
    groups: dict[int, list[tuple[float, int]]] = defaultdict(list)
    for unit_id, score in scores.items():
        if unit_id in keys:
            groups[keys[unit_id][0]].append((score, unit_id))
    for passage_id, members in groups.items():
        # On a tie the passage's parts go first: they point at the exact lines.
        members.sort(key=lambda m: (-m[0], m[1] == passage_id, m[1]))
    return groups


def _passage_scores(
    groups: Mapping[int, list[tuple[float, int]]],
    keys: Mapping[int, tuple[int, int]],
    bonus: float,
) -> dict[int, tuple[float, int]]:
    """passage id -> (its score, its file id)."""
    return {
        passage_id: (_passage_score([s for s, _ in members], bonus), keys[members[0][1]][1])
        for passage_id, members in groups.items()
    }


def _hits(
    store: Store,
    ranked: list[tuple[float, int]],
    groups: Mapping[int, list[tuple[float, int]]],
    cache: RowCache | None,
) -> list[Hit]:
    wanted = {pid for _, pid in ranked} | {u for _, pid in ranked for _, u in groups[pid]}
    rows = _cached_rows(store, wanted, cache)
    return [_hit(rows[pid], score, [(s, rows[u]) for s, u in groups[pid]]) for score, pid in ranked]


def _keys(
    store: Store, unit_ids: Iterable[int], cache: RowCache | None
) -> dict[int, tuple[int, int]]:
    """unit id -> (its passage id, its file id)."""
    if cache is not None:
        rows = _cached_rows(store, unit_ids, cache)
        return {i: (r.parent_id or i, r.file_id) for i, r in rows.items()}
    found: dict[int, tuple[int, int]] = {}
    for part, marks in in_batches(unit_ids):
        cursor = store.conn.execute(
            f"SELECT id, parent_id, file_id FROM units WHERE id IN ({marks})", tuple(part)
        )
        for unit_id, parent_id, file_id in cursor:
            found[int(unit_id)] = (int(parent_id or unit_id), int(file_id))
    return found


def _passage_score(scores: list[float], bonus: float) -> float:
    extra = bonus * sum(max(0.0, s) for s in scores[1:3])
    return scores[0] + min(bonus, extra)


def _hit(passage: _Row, score: float, members: list[tuple[float, _Row]]) -> Hit:
    matches = tuple(
        Match(r.id, r.kind, r.text, s, r.char_start, r.char_end, r.line_start, r.line_end, r.spans)
        for s, r in members
    )
    return Hit(
        path=passage.path,
        title=passage.title,
        file_kind=passage.file_kind,
        score=score,
        page=passage.page,
        passage=Passage(
            passage.id,
            passage.text,
            passage.char_start,
            passage.char_end,
            passage.line_start,
            passage.line_end,
        ),
        matches=matches,
    )


def _cached_rows(store: Store, unit_ids: Iterable[int], cache: RowCache | None) -> dict[int, _Row]:
    if cache is None:
        return _rows(store, unit_ids)
    ids = list(unit_ids)
    cache.update(_rows(store, [i for i in ids if i not in cache]))
    return {i: cache[i] for i in ids if i in cache}


def _rows(store: Store, unit_ids: Iterable[int]) -> dict[int, _Row]:
    found: dict[int, _Row] = {}
    for part, marks in in_batches(unit_ids):
        cursor = store.conn.execute(
            "SELECT u.id, u.parent_id, f.path, f.title, f.kind AS file_kind, u.kind, u.text,"
            " u.page, u.char_start, u.char_end, u.line_start, u.line_end, u.spans, u.file_id"
            " FROM units u JOIN files f ON f.id = u.file_id"
            f" WHERE u.id IN ({marks})",
            tuple(part),
        )
        for r in named_rows(cursor):
            found[int(r["id"])] = _row(r)
    return found


def _row(r: Mapping[str, Any]) -> _Row:
    spans = decode_spans(r["spans"], r["char_start"], r["char_end"])
    return _Row(
        id=int(r["id"]),
        parent_id=r["parent_id"],
        file_id=int(r["file_id"]),
        path=r["path"],
        title=r["title"],
        file_kind=r["file_kind"],
        kind=r["kind"],
        text=r["text"],
        page=r["page"],
        char_start=r["char_start"],
        char_end=r["char_end"],
        line_start=r["line_start"],
        line_end=r["line_end"],
        spans=spans,
    )
