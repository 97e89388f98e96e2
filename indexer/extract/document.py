"""What an extractor produces: a document made of pages of plain text."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from functools import cached_property


@dataclass(frozen=True)
class Page:
    """One page of extracted text (a whole file is one page, number None)."""

    text: str
    number: int | None = None
    line_starts: tuple[tuple[int, int], ...] = field(default=())
    """Sorted (text offset, source line) anchors; empty means lines of `text` itself."""
    sections: tuple[tuple[int, str], ...] = field(default=())
    """Sorted (text offset, location label) anchors for formats whose places are not pages
    and lines (a heading and paragraph, a slide, a cell); `{line}` in a label stands for
    the line shown. Empty: the location is file:page:line."""

    def line_at(self, offset: int) -> int:
        """The 1-based source line holding character `offset` of `text`."""
        newlines_before = bisect.bisect_left(self._newlines, max(0, offset))
        if not self.line_starts:
            return newlines_before + 1
        i = bisect.bisect_right(self._anchors, offset) - 1
        if i < 0:
            return self.line_starts[0][1]
        anchor, line = self.line_starts[i]
        return line + newlines_before - bisect.bisect_left(self._newlines, anchor)

    def label_at(self, offset: int) -> str | None:
        """The label of the section holding character `offset`, if the page has sections."""
        i = bisect.bisect_right(self._section_starts, offset) - 1
        return self.sections[max(i, 0)][1] if self.sections else None

    @cached_property
    def _section_starts(self) -> list[int]:
        return [start for start, _ in self.sections]

    @cached_property
    def _newlines(self) -> list[int]:
        return [i for i, char in enumerate(self.text) if char == "\n"]

    @cached_property
    def _anchors(self) -> list[int]:
        return [anchor for anchor, _ in self.line_starts]


@dataclass(frozen=True)
class Document:
    """Extracted text of one source file."""

    kind: str
    """Extractor kind: text, markdown, rst, code, html, pdf or one of the document kinds
    (docx, odt, epub, pptx, org, ipynb, email, rtf)."""
    title: str
    """Display title: a real title when the file has one, else the file name."""
    pages: tuple[Page, ...]
    has_real_title: bool = False
    """True when `title` came from the content (heading, <title>, PDF metadata)."""
    left_out: int = 0
    """Characters of text past the per-file limit that were cut off (0: none)."""
