"""Keyword tokens for Chinese, Japanese and Korean text.

FTS5's unicode61 tokenizer splits on spaces and punctuation, so a run of Han, kana or
Hangul becomes one token: "金閣寺" inside "私は金閣寺に行きました" could never match. Such runs
are written to the keyword tables as overlapping bigrams plus the run's last character
("金閣寺" -> "金閣 閣寺 寺"), and a query run becomes the phrase of its bigrams. Every character
then starts a token (a bigram, or the last one), so a one-character query is the prefix query
"猫"*. Other text is left as it is, so English BM25 is unchanged.
"""

from __future__ import annotations

import re

CJK_CHARS = (
    "\u1100-\u11ff"  # Hangul Jamo
    "\u2e80-\u2fdf"  # CJK radicals
    "\u3005-\u3007"  # iteration mark, closing mark, ideographic zero
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3130-\u318f"  # Hangul compatibility Jamo
    "\u31f0-\u31ff"  # Katakana extensions
    "\u3400-\u4dbf"  # CJK extension A
    "\u4e00-\u9fff"  # CJK unified ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\uf900-\ufaff"  # CJK compatibility ideographs
    "\uff66-\uff9f"  # half-width Katakana
    "\U00020000-\U0003134f"  # CJK extensions B-G
)
CJK_RUN = re.compile(f"[{CJK_CHARS}]+")
CJK_GLOB = f"*[{CJK_CHARS}]*"
"""An SQLite GLOB matching text that holds any of these characters."""


def has_cjk(text: str) -> bool:
    return CJK_RUN.search(text) is not None


def grams(run: str) -> list[str]:
    """A run's tokens: its overlapping bigrams, then its last character."""
    return [run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]


def fts_text(text: str) -> str:
    """`text` as written to the keyword tables: CJK runs as spaced bigrams."""
    if not has_cjk(text):
        return text
    return CJK_RUN.sub(lambda m: " " + " ".join(grams(m.group())) + " ", text)


def fts_term(term: str) -> str:
    """The FTS5 expression for one query term (a CJK run or a word), quoted."""
    if CJK_RUN.fullmatch(term) is None:
        return _quote(term)
    if len(term) == 1:
        return _quote(term) + "*"
    return _quote(" ".join(grams(term)[:-1]))


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
