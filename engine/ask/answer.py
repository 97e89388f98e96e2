"""`semfind ask`: retrieve evidence, quote the sentences that answer, and optionally let
the LLM restate them (checked against them before it is shown)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from semfind.engine.ask import refine
from semfind.engine.ask.evidence import Evidence, Retrieve, Source, pack
from semfind.engine.ask.extractive import Extract, extract
from semfind.engine.config import Settings
from semfind.engine.errors import LLMTooSlowError, ModelError, UsageError
from semfind.engine.llm.base import ChatBackend, LLMStats
from semfind.engine.search.query import Filters

NOT_FOUND = "Your files don't seem to contain the answer to that."
EVIDENCE_TOKENS = 3072
"""Evidence kept per question (estimated tokens): what the extractor reads and shows."""
LLM_EXIT_S = 0.15
"""What a cold rewrite costs beyond its reply, on 2 cores: closing the model at exit
(0.04 s) and its load slowing the search beside it (0.09 s, which the wait counts twice)."""
LLM_TOKEN_S = 0.001
"""What streaming costs per token on top of llama.cpp's own generation time."""
EXTRACTIVE = "extractive"
"""The model name of an answer no LLM wrote."""

Verdict = Literal["answered", "not_found"]
VERDICTS: tuple[Verdict, ...] = ("answered", "not_found")
LLMOutcome = Literal[
    "off", "unavailable", "slow", "kept", "unsupported", "degenerate", "refused", "empty"
]
"""What became of the LLM rewrite; "off" when none was asked for (or nothing answered)."""
OpenLLM = Callable[[], ChatBackend]


@dataclass(frozen=True)
class Retrieved:
    """The sources are chosen; the answer follows."""

    sources: list[Source]
    evidence: Evidence


@dataclass(frozen=True)
class Extracted:
    """The extractive answer, ready before any LLM runs."""

    extract: Extract
    llm_follows: bool
    """Whether an LLM rewrite comes next (Pieces, then the Answer)."""


@dataclass(frozen=True)
class Piece:
    """More of the LLM's rewrite, as the model writes it (not yet checked)."""

    text: str


@dataclass(frozen=True)
class Answer:
    """The final answer: the extracted quotes, and the LLM sentences that passed the check."""

    question: str
    model: str
    """The LLM that restated the answer, or "extractive"."""
    text: str
    """What to show: the LLM's checked sentences, else the quotes, else NOT_FOUND."""
    verdict: Verdict
    sources: list[Source]
    extract: Extract
    written: tuple[refine.Written, ...] = ()
    """The LLM's sentences that the check kept (empty when it did not replace the quotes)."""
    draft: str = ""
    """Everything the LLM wrote (empty when it was not asked)."""
    checked: tuple[refine.Written, ...] = ()
    """Every sentence of the draft, with the check's verdict."""
    llm_outcome: LLMOutcome = "off"
    note: str = ""
    """Why the LLM did not answer, when that is worth saying (no model installed...)."""
    timings: dict[str, float] = field(default_factory=dict)
    llm: LLMStats = field(default_factory=LLMStats)

    @property
    def cited(self) -> tuple[int, ...]:
        """Numbers of the sources the answer quotes or its sentences rest on."""
        numbers = [q.source for q in self.extract.quotes if self.verdict == "answered"]
        numbers += [w.quote.source for w in self.written if w.quote is not None]
        return tuple(dict.fromkeys(numbers))

    def to_json(self) -> dict[str, Any]:
        cited = set(self.cited)
        return {
            "question": self.question,
            "answer": self.text,
            "verdict": self.verdict,
            "model": self.model,
            "answered_by": "llm" if self.written else EXTRACTIVE,
            "sentences": self._sentences(),
            "extract": self.extract.to_json(),
            "llm": {
                "outcome": self.llm_outcome,
                "draft": self.draft,
                "check": [w.to_json() for w in self.checked],
                "note": self.note,
            },
            "citations": [s.to_json() for s in self.sources if s.number in cited],
            "sources": [s.to_json() for s in self.sources],
            "timings": {name: round(value, 4) for name, value in self.timings.items()},
            "tokens": self.llm.to_json(),
        }

    def _sentences(self) -> list[dict[str, Any]]:
        if self.verdict != "answered":
            return []
        quoted = [
            {"origin": "extracted", **q.to_json(), "status": "quoted"} for q in self.extract.quotes
        ]
        if not self.written:
            return quoted
        rewritten = [
            {"origin": "llm", **(w.quote.to_json() if w.quote else {}), **w.to_json()}
            for w in self.written
        ]
        return rewritten + quoted


AskEvent = Retrieved | Extracted | Piece | Answer


class Asker:
    """Answers questions from the index: quotes first, then an optional LLM restatement."""

    def __init__(self, open_llm: OpenLLM | None, retrieve: Retrieve, settings: Settings) -> None:
        self.open_llm, self.retrieve, self.settings = open_llm, retrieve, settings
        self._llm: ChatBackend | None = None

    @property
    def uses_llm(self) -> bool:
        return self.open_llm is not None and self.settings.ask_llm

    def ask(
        self, question: str, filters: Filters | None = None, began: float | None = None
    ) -> Iterator[AskEvent]:
        """Retrieved, Extracted, then (with an LLM) Pieces as they stream, then the Answer.

        `began` is when the user started waiting (a `time.perf_counter()` instant; the
        CLI's process start): the built-in LLM then gets as long again to begin its
        restatement (setting `ask_llm_wait_s`)."""
        question = question.strip()
        if not question:
            raise UsageError("ask needs a question")
        start = time.perf_counter()
        filters = filters or Filters(units=self.settings.units)
        evidence = self.retrieve(question, self.settings.ask_sources, filters)
        sources = pack(evidence.hits, EVIDENCE_TOKENS, _estimate_tokens)
        yield Retrieved(sources, evidence)
        timings = {"retrieve_s": evidence.seconds}
        found = self._extract(question, sources, evidence)
        timings["extract_s"] = found.seconds
        asking = found.found and self.uses_llm
        yield Extracted(found, asking)
        base = Answer(question, EXTRACTIVE, _shown(found), _verdict(found), sources, found)
        if not asking:
            timings["total_s"] = time.perf_counter() - start
            yield _with(base, timings)
            return
        yield from self._rewrite(question, base, timings, start, began)

    def _extract(self, question: str, sources: list[Source], evidence: Evidence) -> Extract:
        settings = self.settings
        if not sources or not evidence.relevant(settings.ask_min_similarity):
            return Extract((), -1.0, "other")
        return extract(question, sources, evidence, settings.ask_min_score)

    def _rewrite(
        self,
        question: str,
        base: Answer,
        timings: dict[str, float],
        start: float,
        began: float | None,
    ) -> Iterator[AskEvent]:
        shown = loading = time.perf_counter()  # the quotes are on screen
        try:
            llm = self._ensure_llm()
        except ModelError as exc:
            timings["total_s"] = time.perf_counter() - start
            yield _with(base, timings, llm_outcome="unavailable", note=str(exc))
            return
        timings["llm_load_s"] = time.perf_counter() - loading
        found = base.extract
        cap = refine.token_cap(found, llm.count_tokens, self.settings.ask_max_tokens)
        asked = time.perf_counter()
        draft, looping = "", False
        start_by = self._start_by(llm, shown, began, cap)
        if start_by is not None:
            timings["llm_wait_s"] = start_by - shown
        pieces = llm.stream(refine.messages(question, found), cap, refine.STOP, start_by)
        try:
            for piece in pieces:
                if not draft:
                    timings["first_token_s"] = time.perf_counter() - asked
                draft += piece
                yield Piece(piece)
                if refine.degenerate(draft):
                    looping = True
                    break
        except LLMTooSlowError as exc:
            timings["total_s"] = time.perf_counter() - start
            yield _with(base, timings, model=llm.name, llm_outcome="slow", note=str(exc))
            return
        except ModelError as exc:  # a model server gone mid-answer: the quotes still stand
            timings["total_s"] = time.perf_counter() - start
            yield _with(base, timings, model=llm.name, llm_outcome="unavailable", note=str(exc))
            return
        finally:
            with suppress(Exception):
                pieces.close()  # type: ignore[attr-defined]
        timings["generate_s"] = time.perf_counter() - asked
        timings["total_s"] = time.perf_counter() - start
        checked = refine.check(draft, found) if not looping else ()
        outcome = refine.outcome(draft, checked, looping, found)
        kept = tuple(w for w in checked if w.status == "supported") if outcome == "kept" else ()
        text = " ".join(f"{w.text} [{w.quote.source}]" for w in kept if w.quote) or base.text
        yield _with(
            base,
            timings,
            model=llm.name,
            text=text,
            written=kept,
            draft=draft.strip(),
            checked=checked,
            llm_outcome=outcome,
            llm=llm.stats,
        )

    def _start_by(
        self, llm: ChatBackend, shown: float, began: float | None, cap: int
    ) -> float | None:
        """When the LLM must have begun its reply (the quotes were shown at `shown`), or
        None for no limit."""
        given = self.settings.ask_llm_wait_s
        if given > 0:
            return shown + given
        if given < 0 and llm.builtin and began is not None:
            return shown + (shown - began) - LLM_EXIT_S - cap * LLM_TOKEN_S
        return None

    def _ensure_llm(self) -> ChatBackend:
        if self._llm is None:
            assert self.open_llm is not None
            self._llm = self.open_llm()
        return self._llm

    def close(self) -> None:
        """Close the LLM, if this asker opened one."""
        if self._llm is not None:
            self._llm.close()
            self._llm = None


def _with(answer: Answer, timings: dict[str, float], **changes: Any) -> Answer:
    return replace(answer, timings=timings, **changes)


def _verdict(found: Extract) -> Verdict:
    return "answered" if found.found else "not_found"


def _shown(found: Extract) -> str:
    return found.text if found.found else NOT_FOUND


def _estimate_tokens(text: str) -> int:
    """Tokens of English text for a BERT-style or chat tokenizer, near enough to pack."""
    return len(text) // 4 + 1
