"""The extractive answer: the evidence sentences that answer the question, quoted exactly.

No LLM is involved. Each sentence of the evidence passages is scored on four signals:
  - similarity: the best cosine of its propositions' vectors to the question;
  - overlap: the share of the question's content words it holds, weighted by rarity;
  - typed: it holds the kind of thing asked for ("who" a name, "when" a date, "how many"
    a number) that the question does not already name;
  - rank: how its passage ranked in the hybrid search, relative to the best one.
The best sentence is the answer; a close second joins it, and a sentence opening with a
pronoun brings the sentence before it. When even the best scores below the floor, the
files are taken not to hold the answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from semfind.engine.ask.question_kind import QuestionKind, question_kind, typed_spans
from semfind.engine.ask.sentences import Sentence, sentences
from semfind.engine.ask.words import WORD, question_stems, stem, stems

if TYPE_CHECKING:
    from semfind.engine.ask.evidence import Evidence, Source
    from semfind.engine.search.aggregate import Hit


@dataclass(frozen=True)
class Weights:
    """How the signals add up to a sentence's score (fitted on bench/rag.py's sample)."""

    similarity: float = 1.0
    overlap: float = 0.8
    typed: float = 0.2
    rank: float = 0.2
    margin: float = 0.04
    """A second sentence joins the answer when it scores within this of the best."""


WEIGHTS = Weights()
_ANAPHOR = re.compile(r"(it|they|he|she|this|these|those|its|their|his|her|such)\b", re.I)
MAX_QUOTES = 2
"""Answer sentences at most (a pronoun opener's antecedent comes on top)."""


@dataclass(frozen=True)
class Candidate:
    """One evidence sentence and its signals."""

    source: Source
    sentence: Sentence
    similarity: float
    overlap: float
    typed: tuple[tuple[int, int], ...]
    """Spans (in the page's text) of the kind of thing asked for."""
    rank: float
    score: float = 0.0

    @property
    def hit(self) -> Hit:
        return self.source.hit

    @property
    def text(self) -> str:
        passage = self.hit.passage
        base = passage.char_start
        return passage.text[self.sentence.start - base : self.sentence.end - base]


@dataclass(frozen=True)
class Quote:
    """A sentence of the answer, exactly as it is in the file, with where it is."""

    source: int
    """Number of the source (passage) it is from."""
    hit: Hit
    text: str
    char_start: int
    char_end: int
    line_start: int
    line_end: int
    score: float
    focus: tuple[int, int] | None = None
    """The span (in the page's text) that holds what was asked for, to highlight."""
    context: bool = False
    """True for the sentence before a pronoun opener: shown, but not itself the answer."""

    @property
    def location(self) -> str:
        """file:page:line (file:line outside PDFs) of the sentence's first line."""
        return self.hit.location_at(self.line_start)

    def focus_in_text(self) -> tuple[int, int] | None:
        """The focus as offsets into `text`."""
        if self.focus is None:
            return None
        return self.focus[0] - self.char_start, self.focus[1] - self.char_start

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "text": self.text,
            "location": self.location,
            "path": self.hit.path,
            "page": self.hit.page,
            "line_start": self.line_start,
            "line_end": self.line_end,
            "char_start": self.char_start,
            "char_end": self.char_end,
            "focus": list(self.focus) if self.focus else None,
            "score": round(self.score, 4),
            "context": self.context,
        }


@dataclass(frozen=True)
class Extract:
    """The extractive answer (empty when nothing answers) and how it was reached."""

    quotes: tuple[Quote, ...]
    best_score: float
    """Score of the best sentence in the evidence; -1 when there was none."""
    kind: QuestionKind
    seconds: float = 0.0

    @property
    def found(self) -> bool:
        return bool(self.quotes)

    @property
    def text(self) -> str:
        """The quoted sentences, each followed by its source number."""
        return " ".join(f"{q.text.strip()} [{q.source}]" for q in self.quotes)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "best_score": round(self.best_score, 4),
            "quotes": [q.to_json() for q in self.quotes],
        }


def extract(
    question: str,
    sources: Sequence[Source],
    evidence: Evidence,
    min_score: float,
    weights: Weights = WEIGHTS,
) -> Extract:
    """The sentences of `sources` that answer `question`, best first."""
    start = time.perf_counter()
    kind = question_kind(question)
    ranked = score_all(candidates(question, sources, evidence), weights)
    best = ranked[0].score if ranked else -1.0
    asked = question_stems(question)
    quotes = choose(ranked, evidence, min_score, weights, asked) if ranked else ()
    return Extract(quotes, best, kind, time.perf_counter() - start)


def candidates(question: str, sources: Sequence[Source], evidence: Evidence) -> list[Candidate]:
    """Every sentence of the sources' passages, with its signals (score not yet set)."""
    kind = question_kind(question)
    asked = question_stems(question)
    weights = _stem_weights(asked, evidence.term_weights)
    top = max((s.hit.score for s in sources), default=0.0)
    found: list[Candidate] = []
    for source in sources:
        passage = source.hit.passage
        held = evidence.parts.get(passage.id)
        if held is None:
            continue
        rank = source.hit.score / top if top > 0 else 0.0
        for sentence in sentences(passage, held.parts):
            text = passage.text[
                sentence.start - passage.char_start : sentence.end - passage.char_start
            ]
            similarity = sentence.similarity
            if similarity is None:
                similarity = held.similarity if held.similarity is not None else 0.0
            typed = tuple(
                (sentence.start + a, sentence.start + b) for a, b in typed_spans(kind, text, asked)
            )
            found.append(
                Candidate(source, sentence, similarity, _overlap(text, weights), typed, rank)
            )
    return found


def score_all(found: Sequence[Candidate], weights: Weights) -> list[Candidate]:
    """The candidates scored and sorted best first."""
    scored = [
        replace(
            c,
            score=weights.similarity * c.similarity
            + weights.overlap * c.overlap
            + weights.typed * (1.0 if c.typed else 0.0)
            + weights.rank * c.rank,
        )
        for c in found
    ]
    scored.sort(key=lambda c: (-c.score, c.source.number, c.sentence.start))
    return scored


def choose(
    ranked: Sequence[Candidate],
    evidence: Evidence,
    min_score: float,
    weights: Weights,
    asked: set[str],
) -> tuple[Quote, ...]:
    """The answer's quotes from the ranked candidates; none below `min_score`."""
    best = ranked[0]
    if best.score < min_score:
        return ()
    chosen = [best]
    for other in ranked[1:]:
        if len(chosen) == MAX_QUOTES or other.score < best.score - weights.margin:
            break
        if other.text.strip() != best.text.strip():
            chosen.append(other)
    quotes: list[Quote] = []
    for candidate in chosen:
        before = _antecedent(candidate, evidence)
        if before is not None and _held(quotes, candidate.hit, before) is None:
            quotes.append(_quote(candidate, before, None, context=True))
        answer = _quote(candidate, candidate.sentence, _focus(candidate, asked))
        at = _held(quotes, candidate.hit, candidate.sentence)
        if at is None:
            quotes.append(answer)
        elif quotes[at].context:  # another answer's antecedent is itself an answer
            quotes[at] = answer
    return tuple(quotes)


def _held(quotes: Sequence[Quote], hit: Hit, sentence: Sentence) -> int | None:
    """Where that sentence of that file's page is quoted already (offsets are per page)."""
    for at, q in enumerate(quotes):
        if (q.hit.path, q.hit.page, q.char_start) == (hit.path, hit.page, sentence.start):
            return at
    return None


def _antecedent(candidate: Candidate, evidence: Evidence) -> Sentence | None:
    """The sentence before one that opens with a pronoun, in the same passage."""
    if not _ANAPHOR.match(candidate.text.lstrip()):
        return None
    passage = candidate.hit.passage
    held = evidence.parts.get(passage.id)
    if held is None:
        return None
    previous = [s for s in sentences(passage, held.parts) if s.end <= candidate.sentence.start]
    return previous[-1] if previous else None


def _quote(
    candidate: Candidate, sentence: Sentence, focus: tuple[int, int] | None, context: bool = False
) -> Quote:
    """`sentence` of the candidate's passage as a quote (the antecedent when `context`)."""
    passage = candidate.hit.passage
    base = passage.char_start
    text = passage.text[sentence.start - base : sentence.end - base]
    return Quote(
        candidate.source.number,
        candidate.hit,
        text,
        sentence.start,
        sentence.end,
        sentence.line_start,
        sentence.line_end,
        candidate.score,
        focus,
        context,
    )


def _focus(candidate: Candidate, asked: set[str]) -> tuple[int, int] | None:
    """The typed span nearest to the question's words in the sentence (the first, if the
    sentence holds none of them)."""
    if not candidate.typed:
        return None
    start = candidate.sentence.start
    near = [
        start + m.start() for m in WORD.finditer(candidate.text) if stem(m.group().lower()) in asked
    ]
    if not near:
        return candidate.typed[0]
    return min(candidate.typed, key=lambda span: min(_gap(span, at) for at in near))


def _gap(span: tuple[int, int], at: int) -> int:
    return 0 if span[0] <= at < span[1] else min(abs(at - span[0]), abs(at - span[1]))


def _stem_weights(asked: set[str], term_weights: Mapping[str, float]) -> dict[str, float]:
    by_stem = {stem(term): weight for term, weight in term_weights.items()}
    fallback = max(by_stem.values(), default=1.0)
    return {s: by_stem.get(s, fallback) for s in asked}


def _overlap(text: str, weights: Mapping[str, float]) -> float:
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    held = stems(text)
    return sum(w for s, w in weights.items() if s in held) / total
