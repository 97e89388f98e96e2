"""Content words, lightly stemmed: what the answer checks and the sentence scorer compare."""

from __future__ import annotations

import re

from semfind.engine.search.query import STOPWORDS

WORD = re.compile(r"\w+", re.UNICODE)
_QUESTION_LIST = (
    "what which who whom whose when where why how does do did can could would should "
    "has have had were been being its it's also about i me my we our you your one this that"
)
_QUESTION_WORDS = frozenset(_QUESTION_LIST.split())
"""Words a question is phrased with; they say nothing about what the answer holds."""


def stem(word: str) -> str:
    """A crude English stem, enough to match "waters", "watered" and "watering"."""
    for suffix in ("ies", "es", "s", "ing", "ed"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def stems(text: str) -> set[str]:
    """The stems of `text`'s words, stopwords left out."""
    return {stem(w.lower()) for w in WORD.findall(text)} - STOPWORDS


def question_stems(text: str) -> set[str]:
    """The stems of a question's content words (without "what", "how", "does"...)."""
    words = {w.lower() for w in WORD.findall(text)} - STOPWORDS - _QUESTION_WORDS
    return {stem(w) for w in words} - _QUESTION_WORDS
