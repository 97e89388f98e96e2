"""Laying out a structured document as text the segmenter cuts well: blocks apart by a
blank line, headings as Markdown headings (so the heading path is known), and a location
label where each block starts."""

from __future__ import annotations

from semfind.indexer.extract.document import Page

HEADING_SEPARATOR = " \u203a "  # a single right-pointing angle quotation mark


class Layout:
    """Text of one page, built block by block."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._sections: list[tuple[int, str]] = []

    def block(self, text: str, label: str | None = None) -> None:
        """Append a block of text (kept as is, stripped) starting a new paragraph."""
        text = text.strip()
        if not text:
            return
        if self._length:
            self._add("\n\n")
        if label is not None and (not self._sections or self._sections[-1][1] != label):
            self._sections.append((self._length, label))
        self._add(text)

    def heading(self, level: int, text: str, label: str | None = None) -> None:
        title = " ".join(text.split())
        if title:
            self.block("#" * max(1, min(level, 6)) + " " + title, label)

    def page(self, number: int | None = None) -> Page:
        return Page("".join(self._parts), number, sections=tuple(self._sections))

    def _add(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)


def heading_path(headings: list[str]) -> str:
    """The headings above a place, outermost first, for its label ("" when none)."""
    return HEADING_SEPARATOR.join(headings).replace("{", "(").replace("}", ")")


def nest(headings: list[str], level: int, title: str) -> list[str]:
    """The heading path after a heading of `level` (1-based) titled `title`."""
    return [*headings[: max(0, level - 1)], " ".join(title.split())]


def quoted(text: str, limit: int = 60) -> str:
    """A short quoted name for a label (a subject, a slide title)."""
    flat = " ".join(text.split()).replace("{", "(").replace("}", ")")
    return '"' + (flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…") + '"'
