"""The optional LLM rewrite of an extractive answer (Refiner style), and what keeps it honest.

The model sees only the question and the extracted sentences, and may only restate them:
every sentence of its draft is checked against those sentences and dropped unless they
plainly state it. Generation stops when the draft starts repeating itself, and is capped
by the extract's own length.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from semfind.engine.ask.citations import (
    CITATION,
    coverage,
    measures,
    numbers,
    occurs,
    quotes,
    split,
)
from semfind.engine.ask.extractive import Extract, Quote
from semfind.engine.ask.prompts import prompt
from semfind.engine.ask.words import WORD

SUPPORT = 0.6
"""Share of a draft sentence's content words that the extract must hold."""
REPEAT_NGRAM = 8
"""A run of this many words written twice means the model is looping."""
EXTRA_TOKENS = 16
"""Tokens a restatement may have beyond the extract's own length."""
STOP = ("\nQuestion:", "\nQuotations:", "\n\n")
_CITATION = re.compile(r"\s*" + CITATION.pattern)
_REFUSAL = re.compile(
    r"not in (the )?sources|(do|does) not (say|mention|contain|state)|no information"
    r"|cannot (be )?(answer|determine)|i don'?t know|not (mentioned|stated|provided)",
    re.I,
)

_NEGATION = re.compile(r"\b(not|no|never|none|nor|without|cannot)\b|n't\b", re.I)
Status = Literal["supported", "unsupported", "misquoted"]
Outcome = Literal["kept", "unsupported", "degenerate", "refused", "empty"]


@dataclass(frozen=True)
class Written:
    """A sentence of the LLM's draft and what the check found."""

    text: str
    status: Status
    quote: Quote | None
    """The extracted sentence that backs it (None when nothing does)."""
    problem: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "status": self.status,
            "source": self.quote.source if self.quote else None,
            "location": self.quote.location if self.quote else None,
            "problem": self.problem,
        }


def messages(question: str, extract: Extract) -> list[dict[str, str]]:
    """The rewrite prompt: the question and the extracted sentences, nothing else."""
    listed = "\n".join(f"- {q.text.strip()}" for q in extract.quotes)
    user = prompt("refine", "user").format(quotes=listed, question=question)
    return [
        {"role": "system", "content": prompt("refine", "system")},
        {"role": "user", "content": user},
    ]


def token_cap(extract: Extract, count_tokens: Callable[[str], int], ceiling: int) -> int:
    """A restatement needs no more tokens than the extract has, plus a few."""
    length = count_tokens(" ".join(q.text for q in extract.quotes if not q.context))
    return max(EXTRA_TOKENS, min(ceiling, length + EXTRA_TOKENS))


def degenerate(draft: str) -> bool:
    """Whether the draft repeats a sentence or a long run of words."""
    sentences = [_plain(text) for text, _ in split(draft)]
    complete = sentences[:-1] if not draft.rstrip().endswith((".", "!", "?")) else sentences
    if len(set(complete)) < len(complete):
        return True
    words = [w.lower() for w in WORD.findall(draft)]
    seen: set[tuple[str, ...]] = set()
    for i in range(len(words) - REPEAT_NGRAM + 1):
        gram = tuple(words[i : i + REPEAT_NGRAM])
        if gram in seen:
            return True
        seen.add(gram)
    return False


def refused(draft: str, extract: Extract) -> bool:
    """A refusal phrase the quotes do not use themselves ("is not provided" can be a fact)."""
    if prompt("refine", "not_found").lower() in draft.lower():
        return True
    found = _REFUSAL.search(draft)
    return found is not None and not _REFUSAL.search(extract.text)


def _negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def check(draft: str, extract: Extract) -> tuple[Written, ...]:
    """Each sentence of the draft, supported only where the extract plainly states it."""
    return tuple(
        _check(_CITATION.sub("", text).strip(), extract.quotes) for text, _ in split(draft)
    )


def outcome(draft: str, written: Sequence[Written], looping: bool, extract: Extract) -> Outcome:
    """What became of the draft: only "kept" replaces the extractive answer."""
    if looping:
        return "degenerate"
    if not draft.strip():
        return "empty"
    if refused(draft, extract):
        return "refused"
    return "kept" if any(w.status == "supported" for w in written) else "unsupported"


def _check(text: str, quotes_: Sequence[Quote]) -> Written:
    source = "\n".join(q.text for q in quotes_)
    bad = [q for q in quotes(text) if not occurs(q, source)]
    if bad:
        return Written(text, "misquoted", None, f'quote "{bad[0]}" is not in the extract')
    absent = sorted(numbers(text) - numbers(source))
    if absent:
        return Written(text, "unsupported", None, f"{', '.join(absent)} is not in the extract")
    moved = _moved_numbers(text, source)
    if moved:
        return Written(text, "unsupported", None, f'the extract does not say "{moved}"')
    best = max(quotes_, key=lambda q: coverage(text, q.text), default=None)
    if best is None or coverage(text, source) < SUPPORT:
        return Written(text, "unsupported", None, "the extract does not say this")
    if _negated(text) and not _negated(source):
        return Written(text, "unsupported", None, "it negates what the extract says")
    asked = [q.text[a:b] for q in quotes_ if (f := q.focus_in_text()) for a, b in [f]]
    if asked and not any(occurs(span, text) for span in asked):
        # It picked another name, date or number of the quotes than the one that answers.
        return Written(text, "unsupported", None, f'it does not say "{asked[0]}"')
    return Written(text, "supported", best)


def _moved_numbers(text: str, source: str) -> str:
    """A number the draft puts before another word than the extract does ("" when none)."""
    held = measures(source)
    for number, units in measures(text).items():
        known = held.get(number)
        if known and not units & known:
            return f"{number} {sorted(units)[0]}"
    return ""


def _plain(text: str) -> str:
    return " ".join(w.lower() for w in WORD.findall(_CITATION.sub("", text)))
