"""The FTS5 expression for a query's keywords, bounded in cost on large indexes.

An OR of every query word makes each row holding any of them a candidate that FTS5 must
score and sort: at a million propositions a common word alone means 100k rows, and the
keyword leg took 200 to 500 ms. The rarest words are OR-ed while the rows holding them
add up to at most the budget; the others are kept only inside an AND of all the words,
which FTS5 answers by seeking through its doclists. Rows holding several of the words still
score every word they hold, since bm25() counts each phrase of the expression.
"""

from __future__ import annotations

import time
from typing import Any

import apsw

from semfind.engine.store.cjk import fts_term, fts_text
from semfind.engine.store.migrations import FTS_TOKENIZER
from semfind.engine.store.rows import first_value

DF_TTL_S = 60.0
"""Document frequencies only choose which words to OR; a minute-old count is fine."""
DF_CACHE_MAX = 50_000
"""Typing in the TUI searches every prefix; the cache is dropped past this many words."""


class KeywordPlanner:
    """Builds MATCH expressions for one read connection; counts words per FTS table."""

    def __init__(self, conn: apsw.Connection, budget: int) -> None:
        self.conn, self.budget = conn, budget
        self._tokenizer: Any = None
        self._vocab: set[str] = set()
        self._df: dict[tuple[str, str], tuple[float, int]] = {}

    def expression(self, table: str, words: list[str]) -> str:
        """The MATCH expression for `words` (query terms, already lower-cased) in `table`."""
        quoted = [fts_term(word) for word in words]
        if self.budget <= 0 or len(words) < 2:
            return " OR ".join(quoted)
        counts = sorted(
            (self.document_frequency(table, word), q) for word, q in zip(words, quoted, strict=True)
        )
        cheap: list[str] = []
        total = 0
        for count, q in counts:
            if cheap and total + count > self.budget:
                break
            cheap.append(q)
            total += count
        if len(cheap) == len(quoted):
            return " OR ".join(quoted)
        return " OR ".join(["(" + " AND ".join(quoted) + ")", *cheap])

    def document_frequency(self, table: str, word: str) -> int:
        """Rows of `table` holding `word` as FTS5 stems it (the most for a split word)."""
        now = time.monotonic()
        cached = self._df.get((table, word))
        if cached is not None and now - cached[0] < DF_TTL_S:
            return cached[1]
        vocab = self._vocab_table(table)
        count = 0
        for stem in self._stems(fts_text(word)):
            rows = self.conn.execute(f"SELECT doc FROM {vocab} WHERE term = ?", (stem,))
            count = max(count, int(first_value(rows, "doc") or 0))
        if len(self._df) > DF_CACHE_MAX:
            self._df.clear()
        self._df[(table, word)] = (now, count)
        return count

    def _stems(self, word: str) -> list[str]:
        if self._tokenizer is None:
            self._tokenizer = self.conn.fts5_tokenizer(*FTS_TOKENIZER)
        tokens = self._tokenizer(word.encode("utf-8"), apsw.FTS5_TOKENIZE_QUERY, None)
        return [str(token[2]) for token in tokens]

    def _vocab_table(self, table: str) -> str:
        vocab = f"temp.{table}_vocab"
        if vocab not in self._vocab:
            self.conn.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS {vocab} USING fts5vocab(main, {table}, 'row')"
            )
            self._vocab.add(vocab)
        return vocab
