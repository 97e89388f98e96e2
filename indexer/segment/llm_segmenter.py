"""Abstractive proposition segmentation (APS-style) with a local LLM, checked against the source.

Each sentence goes to the LLM wrapped in <s>…</s>; its answer lists the sentence's
propositions. A proposition is kept only if the sentence lexically supports it; a sentence
with no supported proposition falls back to the rule-based statements.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from semfind.indexer.segment.propositions import RuleSegmenter, clean
from semfind.indexer.segment.sentences import Piece
from semfind.indexer.segment.spans import Span

SYSTEM = (
    "Split the sentence in <s>...</s> into short self-contained facts. Write each fact on "
    "its own line starting with '- '. Use only words from the sentence."
)
EXAMPLE = (
    "<s>Tomatoes need full sun, and they should be watered daily.</s>",
    "- Tomatoes need full sun.\n- Tomatoes should be watered daily.",
)
SUPPORT = 0.8
"""Share of a proposition's content words that must occur in its sentence."""
_WORD = re.compile(r"[a-z0-9]+")
_FUNCTION_LIST = (
    "a an and are as at be but by for if in into is it its of on or that the their then there "
    "these they this to was were will with which who has have had not no do does did"
)
_FUNCTION_WORDS = frozenset(_FUNCTION_LIST.split())


class Chat(Protocol):
    def complete(self, messages: Sequence[dict[str, str]], max_tokens: int = 256) -> str: ...

    def close(self) -> None: ...


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _FUNCTION_WORDS}


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def supported(proposition: str, sentence: str, threshold: float = SUPPORT) -> bool:
    """True when the sentence contains enough of the proposition's content words."""
    words = content_words(proposition)
    if len(_WORD.findall(proposition.lower())) < 3 or not words:
        return False
    return len(words & content_words(sentence)) / len(words) >= threshold


def parse(answer: str) -> list[str]:
    """Propositions from the LLM's answer: bullet lines, tags and numbering removed."""
    answer = answer.replace("<s>", "\n").replace("</s>", "\n")
    lines = [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", line).strip() for line in answer.splitlines()]
    return [line for line in lines if line]


@dataclass
class LLMSegmenter(RuleSegmenter):
    """Rule-based traversal and context, with the LLM writing each sentence's statements."""

    chat: Chat | None = None
    accepted: int = field(default=0, compare=False)
    rejected: int = field(default=0, compare=False)

    @property
    def name(self) -> str:
        return "llm"

    def statements(self, text: str, piece: Piece) -> list[tuple[tuple[Span, ...], str]]:
        sentence = clean(text[piece.start : piece.end])
        propositions = self._ask(sentence)
        good = [p for p in propositions if supported(p, sentence)]
        self.accepted += len(good)
        self.rejected += len(propositions) - len(good)
        if not good:
            return super().statements(text, piece)
        span = ((piece.start, piece.end),)
        return [(span, proposition) for proposition in good]

    def _ask(self, sentence: str) -> list[str]:
        if self.chat is None or len(sentence.split()) < 4:
            return []
        messages = [
            {"role": "system", "content": SYSTEM},
            {"role": "user", "content": EXAMPLE[0]},
            {"role": "assistant", "content": EXAMPLE[1]},
            {"role": "user", "content": f"<s>{sentence}</s>"},
        ]
        return parse(self.chat.complete(messages, max_tokens=160))
