"""Where embedded tokens went; counted by the indexer, sent by the daemon, printed by both
front ends in the same words. Imports nothing heavy: the CLI reads it from the daemon."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TokenShares:
    """Embedded tokens by what they were spent on: the text of passages, of their parts
    (propositions or sentences), and the context added to what is embedded (title,
    headings, subject)."""

    passages: int = 0
    parts: int = 0
    context: int = 0

    @property
    def total(self) -> int:
        return self.passages + self.parts + self.context

    def __add__(self, other: TokenShares) -> TokenShares:
        return TokenShares(
            self.passages + other.passages, self.parts + other.parts, self.context + other.context
        )

    def describe(self) -> str:
        """The shares as `semfind index` and `semfind daemon status` print them."""
        total = self.total or 1
        return (
            f"passages {100.0 * self.passages / total:.0f} %, "
            f"propositions {100.0 * self.parts / total:.0f} %, "
            f"added context (title, headings) {100.0 * self.context / total:.0f} %"
        )
