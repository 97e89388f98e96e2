"""`semfind ask`: retrieve evidence, stream the LLM's answer, check its citations."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .citations import Check, check_answer
from .config import Settings
from .errors import UsageError
from .evidence import Evidence, Retrieve, Source, context_block, pack
from .llm import ChatBackend, LLMStats
from .prompts import prompt
from .query import Filters

PROMPT_RESERVE = 256
"""Tokens of system prompt, question and chat template around the sources."""
NOT_FOUND = "Your files don't seem to contain the answer to that."
STOP = ("\nQuestion:", "\nSources:", "\n\n[")
"""Where a small model starts repeating the prompt instead of answering."""
VERDICTS = ("answered", "partial", "not_found")


@dataclass(frozen=True)
class Retrieved:
    """The sources are chosen; the answer follows."""

    sources: list[Source]
    evidence: Evidence


@dataclass(frozen=True)
class Piece:
    """More of the answer, as the model writes it (not yet checked)."""

    text: str


@dataclass(frozen=True)
class Answer:
    """The final, checked answer."""

    question: str
    model: str
    text: str
    """What to show: the model's answer, or NOT_FOUND."""
    draft: str
    """Everything the model wrote (empty when it was not asked)."""
    verdict: str
    """"answered" (every sentence supported), "partial" (some sentences unsupported or
    wrongly cited: they are marked) or "not_found"."""
    sources: list[Source]
    check: Check
    timings: dict[str, float] = field(default_factory=dict)
    llm: LLMStats = field(default_factory=LLMStats)

    def to_json(self) -> dict[str, Any]:
        cited = set(self.check.cited)
        return {
            "question": self.question,
            "answer": self.text,
            "draft": self.draft,
            "verdict": self.verdict,
            "model": self.model,
            "citations": [s.to_json() for s in self.sources if s.number in cited],
            "sources": [s.to_json() for s in self.sources],
            "check": self.check.to_json(),
            "timings": {name: round(value, 4) for name, value in self.timings.items()},
            "tokens": self.llm.to_json(),
        }


AskEvent = Retrieved | Piece | Answer


class Asker:
    """Answers questions from the index with a chat model, citing numbered sources."""

    def __init__(self, llm: ChatBackend, retrieve: Retrieve, settings: Settings) -> None:
        self.llm, self.retrieve, self.settings = llm, retrieve, settings

    @property
    def name(self) -> str:
        return self.llm.name

    def ask(self, question: str, filters: Filters | None = None) -> Iterator[AskEvent]:
        """Retrieved, then Pieces as they stream, then the checked Answer."""
        question = question.strip()
        if not question:
            raise UsageError("ask needs a question")
        start = time.perf_counter()
        filters = filters or Filters(units=self.settings.units)
        evidence = self.retrieve(question, self.settings.ask_sources, filters)
        sources = pack(evidence.hits, self._source_budget(question), self.llm.count_tokens)
        yield Retrieved(sources, evidence)
        timings = {"retrieve_s": evidence.seconds}
        if not sources or not evidence.relevant(self.settings.ask_min_similarity):
            timings["total_s"] = time.perf_counter() - start
            yield self._not_found(question, sources, "", timings)
            return
        draft = ""
        asked = time.perf_counter()
        messages = self._messages(question, sources)
        for piece in self.llm.stream(messages, self._max_tokens(), STOP):
            if not draft:
                timings["first_token_s"] = time.perf_counter() - asked
            draft += piece
            yield Piece(piece)
        timings["generate_s"] = time.perf_counter() - asked
        timings["total_s"] = time.perf_counter() - start
        yield self._final(question, sources, draft.strip(), timings)

    def _max_tokens(self) -> int:
        return min(self.settings.ask_max_tokens, self.llm.n_ctx // 4)

    def _source_budget(self, question: str) -> int:
        used = PROMPT_RESERVE + self._max_tokens() + self.llm.count_tokens(question)
        return max(0, self.llm.n_ctx - used)

    def _messages(self, question: str, sources: list[Source]) -> list[dict[str, str]]:
        user = prompt("ask", "user").format(sources=context_block(sources), question=question)
        return [
            {"role": "system", "content": prompt("ask", "system")},
            {"role": "user", "content": prompt("ask", "example_user")},
            {"role": "assistant", "content": prompt("ask", "example_answer")},
            {"role": "user", "content": user},
        ]

    def _final(
        self, question: str, sources: list[Source], draft: str, timings: dict[str, float]
    ) -> Answer:
        check = check_answer(draft, {s.number: s.text for s in sources}, attribute=True)
        if prompt("ask", "not_found").lower() in draft.lower() or not check.supported:
            return self._not_found(question, sources, draft, timings, check)
        verdict = "answered" if check.supported == len(check.sentences) else "partial"
        return Answer(
            question, self.llm.name, draft, draft, verdict, sources, check, timings, self.llm.stats
        )

    def _not_found(
        self,
        question: str,
        sources: list[Source],
        draft: str,
        timings: dict[str, float],
        check: Check | None = None,
    ) -> Answer:
        return Answer(
            question,
            self.llm.name,
            NOT_FOUND,
            draft,
            "not_found",
            sources,
            check or Check(()),
            timings,
            self.llm.stats if draft else LLMStats(),
        )
