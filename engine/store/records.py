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

    @property
    def bits_table(self) -> str:
        return f"vbits_m{self.id}"

    @property
    def codes_table(self) -> str:
        return f"vcodes_m{self.id}"
