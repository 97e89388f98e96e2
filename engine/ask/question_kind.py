"""What kind of thing a question asks for, and where a sentence holds such a thing.

"Who" wants a name, "when" a date, "how many" a number. A sentence that holds one the
question does not already name is more likely the answer, and that is the span to show.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal

from semfind.engine.ask.words import stem

QuestionKind = Literal["person", "place", "time", "number", "other"]

_KINDS: tuple[tuple[QuestionKind, re.Pattern[str]], ...] = (
    (
        "number",
        re.compile(
            r"\bhow (many|much|long|far|old|large|big|tall|high|fast|often)\b"
            r"|\bwhat (percentage|percent|proportion|fraction|number|amount)\b",
            re.I,
        ),
    ),
    (
        "time",
        re.compile(
            r"\bwhen\b|\b(what|which|in what|in which) (year|years|century|decade|date|day|"
            r"month|period|era)\b",
            re.I,
        ),
    ),
    ("person", re.compile(r"\bwho(m|se)?\b", re.I)),
    ("place", re.compile(r"\bwhere\b|\b(what|which) (city|country|state|place|region)\b", re.I)),
)
# "may", "march" and "august" are also a verb and an adjective: only their capitalised
# forms are months.
_MONTHS = (
    "(?i:january|february|april|june|july|september|october|november|december)|March|May|August"
)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
    "fifty|hundred|hundreds|thousand|thousands|million|millions|billion|billions|dozen|half|"
    "once|twice|thrice|daily|weekly|monthly|yearly|annually"
)
_TIME = re.compile(
    rf"\b(?:(?:{_MONTHS})\s+\d{{1,2}}(?:,\s*\d{{4}})?|\d{{1,2}}\s+(?:{_MONTHS})(?:\s+\d{{4}})?"
    rf"|(?:1\d|20)\d{{2}}s?|\d{{1,2}}(?i:st|nd|rd|th)\s+(?i:century)|(?:{_MONTHS}))\b"
)
_NUMBER = re.compile(rf"\d[\d,.]*\s*%?|\b(?:{_NUMBER_WORDS})\b", re.I)


@cache
def _name_pattern() -> re.Pattern[str]:
    """A run of capitalised words, in any script that has capitals ("Émile Durkheim")."""
    # Latin (with its extensions), Greek and Cyrillic: the scripts with capital letters.
    upper = "".join(re.escape(chr(c)) for c in range(0x530) if chr(c).isupper())
    word = f"[{upper}][\\w'\u2019-]*"
    return re.compile(rf"\b{word}(?:\s+(?:of|de|von|van|the)?\s*{word})*")


Span = tuple[int, int]


def question_kind(question: str) -> QuestionKind:
    """The kind of answer `question` wants; "other" when its wording does not say."""
    for kind, pattern in _KINDS:
        if pattern.search(question):
            return kind
    return "other"


def typed_spans(kind: QuestionKind, text: str, known: set[str]) -> list[Span]:
    """Spans of `text` holding the kind of thing asked for, leaving out those whose words
    the question already has (`known`, stems)."""
    if kind == "other":
        return []
    pattern = _TIME if kind == "time" else _NUMBER if kind == "number" else _name_pattern()
    found: list[Span] = []
    for match in pattern.finditer(text):
        words = [stem(w.lower()) for w in re.findall(r"\w+", match.group())]
        if kind in ("person", "place") and match.start() == 0 and len(words) == 1:
            continue  # any sentence starts with a capital
        if words and not all(w in known for w in words):
            found.append((match.start(), match.end()))
    return found
