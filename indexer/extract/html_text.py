"""Visible text of an HTML file, in paragraphs, mapped back to source lines."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from semfind.indexer.extract.decode import decode_text
from semfind.indexer.extract.document import Document, Page
from semfind.indexer.extract.titles import clean_title

_HIDDEN = frozenset({"script", "style", "noscript", "template", "svg"})
_HEAD_ONLY = frozenset(["title", "meta", "link", "style", "script", "base", "noscript", "template"])
_PARAGRAPHS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "caption",
        "center",
        "details",
        "dialog",
        "dir",
        "div",
        "dl",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "html",
        "legend",
        "main",
        "menu",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "ul",
    ]
)
_LINES = frozenset({"br", "dd", "dt", "li", "option", "tr"})
_CELLS = frozenset({"td", "th"})
_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:-]+)"""
    rb"""|<\?xml[^>]*?encoding\s*=\s*["']([a-z0-9_.:-]+)""",
    re.IGNORECASE,
)
_CHARSET_SNIFF_BYTES = 4096


def extract_html(data: bytes, file_name: str) -> Document:
    """Visible text as one page; title from <title>, else the first <h1>."""
    parser = _VisibleText()
    parser.run(decode_text(data, hint=declared_charset(data)))
    title = parser.title()
    page = Page(parser.out.text(), None, parser.out.anchors())
    return Document("html", title or file_name, (page,), has_real_title=bool(title))


def declared_charset(data: bytes) -> str | None:
    """The charset named by a <meta> tag or an XML declaration near the top."""
    found = _CHARSET.search(data[:_CHARSET_SNIFF_BYTES])
    if found is None:
        return None
    return (found.group(1) or found.group(2)).decode("ascii")


class _Output:
    """Collapsed text with (offset, source line) anchors wherever line counting drifts."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._anchors: list[tuple[int, int]] = []
        self._anchor_line = 0
        self._newlines_since_anchor = 0
        self._pending_breaks = 0
        self._pending_space = False

    def text(self) -> str:
        return "".join(self._parts)

    def anchors(self) -> tuple[tuple[int, int], ...]:
        return tuple(self._anchors)

    def space(self) -> None:
        self._pending_space = True

    def breaks(self, count: int) -> None:
        self._pending_breaks = max(self._pending_breaks, count)

    def words(self, data: str, line: int) -> None:
        """Append `data` with whitespace collapsed; `line` is where it starts in the source."""
        for index, segment in enumerate(data.split("\n")):
            if index:
                self.space()
            collapsed = " ".join(segment.split())
            if not collapsed:
                if segment:
                    self.space()
                continue
            if segment[0].isspace():
                self.space()
            self._append(collapsed, line + index)
            if segment[-1].isspace():
                self.space()

    def verbatim(self, data: str, line: int) -> None:
        """Append preformatted text as is; its newlines are the source's newlines."""
        if data:
            self._append(data, line)
            self._newlines_since_anchor += data.count("\n")

    def _append(self, chunk: str, line: int) -> None:
        self._separate()
        if not self._anchors or line != self._anchor_line + self._newlines_since_anchor:
            self._anchors.append((self._length, line))
            self._anchor_line, self._newlines_since_anchor = line, 0
        self._parts.append(chunk)
        self._length += len(chunk)

    def _separate(self) -> None:
        if self._length and self._pending_breaks:
            separator = "\n" * self._pending_breaks
            self._newlines_since_anchor += self._pending_breaks
        elif self._length and self._pending_space:
            separator = " "
        else:
            separator = ""
        self._parts.append(separator)
        self._length += len(separator)
        self._pending_breaks, self._pending_space = 0, False


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out = _Output()
        self._hidden: list[str] = []
        self._in_head = False
        self._in_title = False
        self._pre_depth = 0
        self._pre_just_opened = False
        self._h1_depth = 0
        self._title_parts: list[str] = []
        self._h1_parts: list[str] = []
        self._title_seen = False

    def run(self, text: str) -> None:
        try:
            self.feed(text)
            self.close()
        except AssertionError:
            pass  # html.parser gave up on some markup; keep the text read so far

    def title(self) -> str:
        return clean_title("".join(self._title_parts)) or clean_title("".join(self._h1_parts))

    def parse_marked_section(self, i: int, report: bool = True) -> int:
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:  # an unknown <![keyword ...]> section: skip it like a comment
            end = self.rawdata.find(">", i + 3)
            return -1 if end < 0 else end + 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden.append(tag)
        if self._hidden:
            return
        if tag == "head":
            self._in_head = True
        elif tag not in _HEAD_ONLY:
            self._in_head = self._in_title = False  # body content closes both, as in browsers
        if tag == "title":
            self._in_title = not self._title_seen
            self._title_seen = True
        else:
            self._block(tag, opening=True)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._hidden:
            while self._hidden.pop() != tag:
                pass
        elif self._hidden:
            return
        elif tag == "head":
            self._in_head = False
        elif tag == "title":
            self._in_title = False
        else:
            self._block(tag, opening=False)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._in_title:
            self._title_parts.append(data)
            return
        if self._in_head:
            if not data.strip():
                return
            self._in_head = False  # stray text ends <head>, as it does in browsers
        line = self.getpos()[0]
        if self._pre_depth:
            if self._pre_just_opened and data.startswith("\n"):
                data, line = data[1:], line + 1  # browsers drop the newline after <pre>
            self._pre_just_opened = False
            self.out.verbatim(data, line)
        else:
            self.out.words(data, line)
        if self._h1_depth:
            self._h1_parts.append(data)

    def _block(self, tag: str, *, opening: bool) -> None:
        if tag in _PARAGRAPHS:
            self.out.breaks(2)
        elif tag in _LINES and (opening or tag != "br"):
            self.out.breaks(1)
        elif tag in _CELLS:
            self.out.space()
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth + (1 if opening else -1))
            self._pre_just_opened = opening
        elif tag == "h1" and (self._h1_depth or not self._h1_parts):
            self._h1_depth = max(0, self._h1_depth + (1 if opening else -1))
