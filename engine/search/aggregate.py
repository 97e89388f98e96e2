"""From scored units to results: propositions roll up into their passage, passages into files."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from semfind.engine.store.records import decode_spans
from semfind.engine.store.rows import named_rows

# The store (apsw, numpy: 0.2 s) is imported when rows are read, so that a front end that only
# shows hits (the CLI answered by the daemon) does not load it.
if TYPE_CHECKING:
    from semfind.engine.store.store import Store


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
    label: str | None = None
    """Where the unit is in a document's own terms (see UnitDraft.label)."""


@dataclass(frozen=True)
class Passage:
    """The passage a result's matches belong to: the context shown around them."""

    id: int
    text: str
    char_start: int
    char_end: int
    line_start: int
    line_end: int
    label: str | None = None


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
        """path:page:line of the best match (path:line outside PDFs; the path and the
        match's label in documents that have labels)."""
        return self.location_at(self._anchor().line_start)

    def location_at(self, line: int) -> str:
        """path:page:line for PDFs, path:line for text, the path and the label of the
        match (else the passage) holding `line` in labelled documents."""
        label = self._label_at(line)
        if label is not None:
            return self.path + label.replace("{line}", str(line))
        if self.page is not None:
            return f"{self.path}:{self.page}:{line}"
        return f"{self.path}:{line}"

    @property
    def place(self) -> str | None:
        """Where the best match is in a labelled document, without the path ("§ Methods
        ¶12", "slide 7"); None where the location is file:page:line."""
        line = self._anchor().line_start
        label = self._label_at(line)
        return None if label is None else label.replace("{line}", str(line))

    def _anchor(self) -> Match:
        """The best match; in a labelled document where that is a whole passage, its best
        part, which names the paragraph, cell or line rather than the passage's first."""
        if self.best.label is not None and self.best.kind == "passage":
            return next((m for m in self.matches if m.kind != "passage"), self.best)
        return self.best

    def _label_at(self, line: int) -> str | None:
        for match in sorted(self.matches, key=lambda m: m.kind == "passage"):
            if match.label is not None and match.line_start <= line <= match.line_end:
                return match.label
        return self.best.label or self.passage.label

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
    label: str | None = None


RowCache = dict[int, "_Row"]
Result = tuple[int, int]
"""What one result stands for: (file id, message number in a mail archive, else 0)."""
_SPLIT_KINDS = ("email",)
"""File kinds whose pages (the messages of an mbox) are results of their own."""


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
    best: dict[Result, tuple[float, int]] = {}
    for passage_id, (score, result) in _passage_scores(groups, keys, bonus).items():
        if result not in best or score > best[result][0]:
            best[result] = (score, passage_id)
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
    taken: dict[Result, int] = defaultdict(int)
    passages = _passage_scores(groups, keys, bonus)
    for passage_id, (score, result) in sorted(passages.items(), key=lambda i: (-i[1][0], i[0])):
        if taken[result] < per_file:
            taken[result] += 1
            ranked.append((score, passage_id))
            if len(ranked) == k:
                break
    return _hits(store, ranked, groups, None)


def _groups(
    scores: Mapping[int, float], keys: Mapping[int, tuple[int, Result]]
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
    keys: Mapping[int, tuple[int, Result]],
    bonus: float,
) -> dict[int, tuple[float, Result]]:
    """passage id -> (its score, the result it belongs to)."""
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
) -> dict[int, tuple[int, Result]]:
    """unit id -> (its passage id, the result it belongs to)."""
    if cache is not None:
        rows = _cached_rows(store, unit_ids, cache)
        return {
            i: (r.parent_id or i, _result(r.file_id, r.file_kind, r.page)) for i, r in rows.items()
        }
    from semfind.engine.store.rows import in_batches

    found: dict[int, tuple[int, Result]] = {}
    for part, marks in in_batches(unit_ids):
        cursor = store.conn.execute(
            "SELECT u.id, u.parent_id, u.file_id, f.kind, u.page FROM units u"
            f" JOIN files f ON f.id = u.file_id WHERE u.id IN ({marks})",
            tuple(part),
        )
        for unit_id, parent_id, file_id, kind, page in cursor:
            found[int(unit_id)] = (int(parent_id or unit_id), _result(int(file_id), kind, page))
    return found


def _result(file_id: int, kind: str | None, page: int | None) -> Result:
    return (file_id, page or 0) if kind in _SPLIT_KINDS else (file_id, 0)


def _passage_score(scores: list[float], bonus: float) -> float:
    extra = bonus * sum(max(0.0, s) for s in scores[1:3])
    return scores[0] + min(bonus, extra)


def _hit(passage: _Row, score: float, members: list[tuple[float, _Row]]) -> Hit:
    matches = tuple(
        Match(
            r.id,
            r.kind,
            r.text,
            s,
            r.char_start,
            r.char_end,
            r.line_start,
            r.line_end,
            r.spans,
            r.label,
        )
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
            passage.label,
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
    from semfind.engine.store.rows import in_batches

    found: dict[int, _Row] = {}
    for part, marks in in_batches(unit_ids):
        cursor = store.conn.execute(
            "SELECT u.id, u.parent_id, f.path, f.title, f.kind AS file_kind, u.kind, u.text,"
            " u.page, u.char_start, u.char_end, u.line_start, u.line_end, u.spans, u.file_id,"
            " u.label"
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
        label=r["label"],
    )
