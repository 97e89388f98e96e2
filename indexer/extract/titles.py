"""Finding the title a Markdown or reStructuredText file gives itself."""

from __future__ import annotations

import re

_MAX_TITLE_CHARS = 300
_SPACE = re.compile(r"\s+")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ATX_H1 = re.compile(r"^ {0,3}#[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$")
_SETEXT_H1 = re.compile(r"^ {0,3}=+[ \t]*$")
_YAML_TITLE = re.compile(r"^title[ \t]*:[ \t]*(.*)$")
_TOML_TITLE = re.compile(r"^title[ \t]*=[ \t]*(.*)$")
_FRONT_MATTER = {"---": ("---", "..."), "+++": ("+++",)}
_RST_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1+[ \t]*$")
_RST_MIN_ADORNMENT = 3


def clean_title(raw: str) -> str:
    """Whitespace collapsed, NULs dropped, length capped."""
    title = _SPACE.sub(" ", raw.replace("\x00", "")).strip()
    return title[:_MAX_TITLE_CHARS].rstrip()


def markdown_title(text: str) -> str:
    """The front-matter title, else the first level-1 heading; "" when there is none."""
    lines = text.split("\n")
    body_start, title = _front_matter(lines)
    return title or _first_h1(lines[body_start:])


def rst_title(text: str) -> str:
    """The first section title (underlined, optionally overlined); "" when there is none."""
    lines = text.split("\n")
    for i, line in enumerate(lines[:-1]):
        below = lines[i + 1]
        if _is_adornment(line) and i + 2 < len(lines) and lines[i + 2].strip() == line.strip():
            if below.strip() and not _is_adornment(below):
                return clean_title(below)
        elif _is_underline(line, below):
            return clean_title(line)
    return ""


def _front_matter(lines: list[str]) -> tuple[int, str]:
    """Index of the first body line, and the title: key of a ---/+++ block."""
    closers = _FRONT_MATTER.get(lines[0].rstrip()) if lines else None
    if closers is None:
        return 0, ""
    pattern = _YAML_TITLE if lines[0].startswith("-") else _TOML_TITLE
    title = ""
    for i, line in enumerate(lines[1:], start=1):
        if line.rstrip() in closers:
            return i + 1, title
        match = pattern.match(line)
        if match and not title:
            title = _unquote(match.group(1))
    return 0, ""  # never closed: not front matter after all


def _unquote(value: str) -> str:
    value = value.strip()
    if value[:1] in {"|", ">"}:
        return ""  # a multi-line block scalar; not worth a YAML parser
    if len(value) >= 2 and value[0] == value[-1] and value[0] in {"'", '"'}:
        value = value[1:-1]
    return clean_title(value)


def _first_h1(lines: list[str]) -> str:
    fence = ""
    for i, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence:
            if opened and opened.group(1).startswith(fence):
                fence = ""
            continue
        if opened:
            fence = opened.group(1)
            continue
        match = _ATX_H1.match(line)
        if match and match.group(1).strip():
            return clean_title(match.group(1))
        if _is_setext_text(line) and i + 1 < len(lines) and _SETEXT_H1.match(lines[i + 1]):
            return clean_title(line)
    return ""


def _is_setext_text(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and not line.startswith("    ") and not stripped.startswith("#")


def _is_adornment(line: str) -> bool:
    return len(line.strip()) >= _RST_MIN_ADORNMENT and bool(_RST_ADORNMENT.match(line))


def _is_underline(line: str, below: str) -> bool:
    text = line.strip()
    if not text or line[0].isspace() or _is_adornment(line) or not _RST_ADORNMENT.match(below):
        return False
    return len(below.rstrip()) >= min(len(text), _RST_MIN_ADORNMENT)
