"""Plain records passed between the indexer, the store and search."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from semfind.engine.store.hashing import text_hash

FileStatus = Literal["indexed", "failed", "skipped"]
"""A file row's status (the files table checks the same three)."""


@dataclass(frozen=True)
class UnitDraft:
    """A retrievable piece of text before it is stored."""

    kind: str
    """"passage" (and later "proposition")."""
    ord: int
    """Position of the unit inside its file."""
    text: str
    """Display text: exactly the source span."""
    page: int | None
    char_start: int
    char_end: int
    line_start: int
    line_end: int
    embed_text: str | None = None
    """What the embedder sees when it differs from `text` (added context)."""
    parent_ord: int | None = None
    """`ord` of the unit this one belongs to (a proposition's passage)."""
    spans: tuple[tuple[int, int], ...] | None = None
    """Exact source spans when the unit is made of several pieces of text; None means
    the one span char_start..char_end."""
    label: str | None = None
    """Where the unit is, for formats without pages and lines ("§ Methods ¶12", "slide 7";
    `{line}` stands for the line shown); None: file:page:line."""
    context_chars: int | None = None
    """Characters of `embed_text` that are context added before a newline and the unit's own
    statement (0: none added); None: not known, the embedding text is one piece."""

    @property
    def embed_input(self) -> str:
        return self.embed_text if self.embed_text is not None else self.text

    @cached_property
    def embed_hash(self) -> str:
        return text_hash(self.embed_input)


def decode_spans(stored: str | None, start: int, end: int) -> tuple[tuple[int, int], ...]:
    """A unit's exact spans from its `spans` column (JSON), or its one span start..end."""
    if not stored:
        return ((start, end),)
    return tuple((int(a), int(b)) for a, b in json.loads(stored))


def titled(title: str, text: str) -> str:
    """What a passage is embedded as when its file has a real title (the store keeps a flag
    instead of this text, and rebuilds it from the file's title)."""
    return f"{title}\n\n{text}"


@dataclass(frozen=True)
class FileMeta:
    """What the store records about a source file."""

    path: str
    size: int
    mtime_ns: int
    content_hash: str | None
    kind: str | None = None
    title: str | None = None
    segmenter: str | None = None
    """The segmenter that cut the file into units."""


@dataclass(frozen=True)
class FileState:
    """A file row as stored."""

    id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: str | None
    status: FileStatus
    error: str | None
    kind: str | None
    segmenter: str | None = None


@dataclass(frozen=True)
class EmbedModelRow:
    """An embedding model known to the index. Its vectors are stored twice, compactly: sign
    bits in the vec0 table `bits_table` (the coarse scan) and int8 codes in `codes_table`
    (rescoring); see engine/store/quantize.py."""

    id: int
    key: str
    name: str
    dim: int
    part_floor: int = 0
    """Propositions (and other parts) of passages with fewer parts than this have no vector
    of their own for this model; 0 or 1: every unit has one."""

    @property
    def needs_vector(self) -> str:
        """SQL true for a unit `u` that should have a vector of this model."""
        if self.part_floor <= 1:
            return "1"
        return (
            "(u.kind = 'passage' OR u.parent_id IS NULL OR (SELECT count(*) FROM units c"
            f" WHERE c.parent_id = u.parent_id) >= {int(self.part_floor)})"
        )

    @property
    def bits_table(self) -> str:
        return f"vbits_m{self.id}"

    @property
    def codes_table(self) -> str:
        return f"vcodes_m{self.id}"


@dataclass(frozen=True)
class EmbedPieces:
    """Texts embedded apart whose vectors compose a unit's (engine/embed/compose.py)."""

    context: tuple[str, ...]
    """Added context: the title and headings a proposition carries, those of a passage's
    propositions."""
    own: tuple[str, ...]
    """The unit's own text: a proposition's statement, a passage's propositions."""
    own_context: tuple[int, ...] = ()
    """Per `own` piece, the characters of context it opens with (a proposition embedded
    whole with its title), for counting where tokens went; empty: none."""


@dataclass(frozen=True)
class VectorlessUnit:
    """A stored unit whose text the model has not embedded yet (the second pass's work)."""

    unit_id: int
    kind: str
    embed_hash: str
    text: str
    embed_input: str
    pieces: EmbedPieces | None = None
    """What its vector can be composed from; None: embed `embed_input` whole."""


@dataclass(frozen=True)
class VectorCoverage:
    """How much of the index one model's vectors cover, in units; the rest is found by its
    keywords only."""

    units: int
    without: int
    """Units with no vector yet (not counting the parts of short passages, which need
    none: EmbedModelRow.part_floor)."""

    @property
    def with_vectors(self) -> int:
        return self.units - self.without

    @property
    def complete(self) -> bool:
        return self.without == 0

    @property
    def percent(self) -> float:
        return 100.0 * self.with_vectors / self.units if self.units else 100.0

    def describe(self) -> str:
        """The line search results and status show while some units lack vectors."""
        if self.complete:
            return "vectors for all of the index"
        share = min(self.percent, 99.0) if self.with_vectors else 0.0
        return f"vectors for {share:.0f} % of the index: results by keyword only for the rest"
