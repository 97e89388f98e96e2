"""What the daemon's indexing embedded: summed over its runs for `status`, and per batch of
work for the log line that ends it."""

from __future__ import annotations

from dataclasses import dataclass, field

from semfind.engine.embed.token_shares import TokenShares
from semfind.indexer.indexing import IndexReport


@dataclass
class Embedded:
    """Texts and tokens embedded by some indexing runs, the seconds it took, and where the
    tokens went."""

    units: int = 0
    tokens: int = 0
    seconds: float = 0.0
    shares: TokenShares = field(default_factory=TokenShares)

    def add(self, report: IndexReport) -> None:
        self.units += report.embedded
        self.tokens += report.tokens
        self.seconds += report.embed_seconds
        self.shares += report.shares

    def line(self) -> str:
        """The log's words for it: rates while embedding, then the shares."""
        seconds = self.seconds or float("inf")
        return (
            f"embedded {self.units:,} unit{'' if self.units == 1 else 's'}, "
            f"{self.tokens:,} tokens in {self.seconds:.1f} s = "
            f"{self.tokens / seconds:,.0f} tokens/s, {self.units / seconds:,.1f} units/s; "
            f"embedded tokens: {self.shares.describe()}"
        )
