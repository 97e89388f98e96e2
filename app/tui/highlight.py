"""Textual content for results and previews: query terms and evidence highlighted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import ScrollableContainer
from textual.content import Content
from textual.geometry import Region, Spacing
from textual.widgets import Static

from semfind.engine.search.query import term_pattern

if TYPE_CHECKING:
    from textual.widget import Widget

    from semfind.engine.search.aggregate import Hit

TERM_STYLE = "bold reverse"
EVIDENCE_STYLE = "bold underline"


def with_terms(text: str, query: str) -> Content:
    """`text` with every query term highlighted."""
    content = Content(text)
    pattern = term_pattern(query)
    if pattern is not None:
        for match in pattern.finditer(text):
            content = content.stylize(TERM_STYLE, match.start(), match.end())
    return content


def preview_text(hit: Hit, query: str) -> Content:
    """The passage around the result, its evidence underlined and terms highlighted."""
    content = with_terms(hit.passage.text, query)
    for start, end in hit.evidence_spans():
        content = content.stylize(EVIDENCE_STYLE, start, end)
    return content


class PassageView(Static):
    """A passage in a scrolling preview that keeps its match in view, also when it is laid
    out again (a scrollbar appearing narrows it and moves every wrapped line)."""

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(text, id=id)
        self.target: tuple[Hit, str] | None = None

    def show(self, content: Content | str, hit: Hit | None = None, query: str = "") -> None:
        self.target = (hit, query) if hit is not None else None
        self.update(content)
        if isinstance(self.parent, ScrollableContainer):
            self.parent.scroll_home(animate=False, immediate=True)
        self.call_after_refresh(self.reveal)

    def on_resize(self) -> None:
        self.call_after_refresh(self.reveal)

    def reveal(self) -> None:
        if self.target is not None and isinstance(self.parent, ScrollableContainer):
            reveal_match(self.parent, self, *self.target)


def reveal_match(scroll: ScrollableContainer, body: Widget, hit: Hit, query: str) -> None:
    """Scroll the preview so the match is in view, with a little context above it. Call it
    once the body is laid out with the hit's passage."""
    row = _row_of(hit.passage.text, match_offset(hit, query), body.content_region.width)
    top = body.virtual_region.y + body.styles.gutter.top
    spacing = Spacing(min(2, scroll.scrollable_content_region.height // 3), 0, 0, 0)
    scroll.scroll_to_region(Region(0, top + row, 1, 1), animate=False, spacing=spacing,
                            immediate=True)  # fmt: skip


def match_offset(hit: Hit, query: str) -> int:
    """Where in the passage the eye should land: the first query word inside the evidence
    (evidence may be the whole passage), else the evidence, else the best match's line."""
    text = hit.passage.text
    spans = hit.evidence_spans()
    if not spans:
        return _line_offset(text, hit.best.line_start - hit.passage.line_start)
    start, end = spans[0][0], spans[-1][1]
    pattern = term_pattern(query)
    found = pattern.search(text, start, end) if pattern is not None else None
    return found.start() if found is not None else start


def _row_of(text: str, offset: int, width: int) -> int:
    """The row `text[offset]` lands on. Greedy wrapping places a word by what comes before
    it, so wrapping the text up to the end of that word is enough."""
    end = offset
    while end < len(text) and not text[end].isspace():
        end += 1
    return max(0, len(Content(text[:end]).wrap(max(1, width))) - 1)


def _line_offset(text: str, line: int) -> int:
    offset = 0
    for _ in range(max(0, line)):
        found = text.find("\n", offset)
        if found < 0:
            break
        offset = found + 1
    return offset


INDENT = 4
SCROLLBAR = 2
"""Kept free in list rows: the bar appears once the rows overflow, after they are built."""


def hanging(head: Content, body: Content, width: int, lines: int = 1) -> Content:
    """A list row: `head` on one line, then `body` in at most `lines` lines indented under
    it, each cut to fit, so a narrow list never wraps a line back to the left edge."""
    room = max(10, width - SCROLLBAR)
    rows = body.wrap(room - INDENT)
    if len(rows) > lines:
        rows = [*rows[: lines - 1], rows[lines - 1].truncate(room - INDENT - 1) + "…"]
    indent = " " * INDENT
    return Content("\n").join([head.truncate(room, ellipsis=True), *(indent + r for r in rows)])


def one_line(text: str, limit: int = 400) -> str:
    """Whitespace folded, so a proposition fits the results list."""
    folded = " ".join(text.split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"
