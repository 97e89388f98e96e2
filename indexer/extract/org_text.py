"""Org files (orgparse for the heading tree and its line numbers): the text line for line,
headings written as Markdown headings, drawers and #+KEYWORD lines blanked (so every line
stays where it is in the file); labelled with the line and the heading path."""

from __future__ import annotations

import re

from semfind.indexer.extract.containers import library_errors
from semfind.indexer.extract.decode import decode_text
from semfind.indexer.extract.document import Document, Page
from semfind.indexer.extract.layout import heading_path, nest
from semfind.indexer.extract.titles import clean_title

_DRAWER_START = re.compile(r"^\s*:[\w-]+:\s*$")
_DRAWER_END = re.compile(r"^\s*:END:\s*$", re.IGNORECASE)
_KEYWORD = re.compile(r"^\s*#\+(?!BEGIN|END)\w+:", re.IGNORECASE)
_PLANNING = re.compile(r"^\s*(SCHEDULED|DEADLINE|CLOSED):")


def extract_org(data: bytes, file_name: str) -> Document:
    import orgparse

    text = decode_text(data)
    with library_errors("Org file"):
        root = orgparse.loads(text)
        nodes = [(n.linenumber, n.level, n.heading) for n in root[1:]]
        title = clean_title(root.get_file_property("TITLE") or "")
    lines = _blanked(text.split("\n"))
    labels: list[tuple[int, str]] = []
    path: list[str] = []
    for line, level, heading in nodes:
        if 1 <= line <= len(lines):
            path = nest(path, level, heading)
            lines[line - 1] = "#" * min(level, 6) + " " + heading
            labels.append((line - 1, f":{{line}} § {heading_path(path)}"))
    starts = _line_offsets(lines)
    sections = ((0, ":{line}"), *((starts[index], label) for index, label in labels))
    page = Page("\n".join(lines), sections=sections)
    return Document("org", title or file_name, (page,), has_real_title=bool(title))


def _blanked(lines: list[str]) -> list[str]:
    out: list[str] = []
    in_drawer = False
    for line in lines:
        if in_drawer:
            in_drawer = not _DRAWER_END.match(line)
            out.append("")
        elif _DRAWER_START.match(line) and not _DRAWER_END.match(line):
            in_drawer = True
            out.append("")
        else:
            out.append("" if _KEYWORD.match(line) or _PLANNING.match(line) else line)
    return out


def _line_offsets(lines: list[str]) -> list[int]:
    """Offset of each line in "\\n".join(lines)."""
    offsets, at = [], 0
    for line in lines:
        offsets.append(at)
        at += len(line) + 1
    return offsets
