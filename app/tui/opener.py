"""Opening a result in the user's editor at its line, or with the system opener."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

_GOTO_COLON = ("code", "codium", "code-insiders", "cursor", "windsurf")
"""Editors taking `-g path:line`."""
_PATH_COLON = ("subl", "sublime_text", "zed", "hx", "helix")
_WINDOWED = (*_GOTO_COLON, "subl", "sublime_text", "zed")
"""Editors that open a window of their own instead of using the terminal."""
"""Editors taking `path:line`."""


_DOCUMENTS = (".pdf", ".docx", ".odt", ".epub", ".pptx", ".ipynb", ".eml", ".mbox", ".rtf")
"""Files for their own application (a line number in them means nothing to an editor)."""


@dataclass(frozen=True)
class Opener:
    command: list[str]
    in_terminal: bool
    """An editor that takes over the terminal: the app suspends itself while it runs."""


def opener_for(path: str, line: int, page: int | None, env: dict[str, str]) -> Opener:
    """How to show `path` at `line`: $VISUAL/$EDITOR for text, the system opener for PDFs
    (no portable way to name a page) or when no editor is set."""
    editor = env.get("VISUAL") or env.get("EDITOR")
    if editor and page is None and Path(path).suffix.lower() not in _DOCUMENTS:
        words = shlex.split(editor)
        windowed = Path(words[0]).name in _WINDOWED
        return Opener(_editor_command(words, path, line), in_terminal=not windowed)
    return Opener([*_system_opener(), path], in_terminal=False)


def _editor_command(editor: list[str], path: str, line: int) -> list[str]:
    name = Path(editor[0]).name
    if name in _GOTO_COLON:
        return [*editor, "-g", f"{path}:{line}"]
    if name in _PATH_COLON:
        return [*editor, f"{path}:{line}"]
    return [*editor, f"+{line}", path]  # vi, vim, nvim, nano, emacs, micro, kak, ne


def _system_opener() -> list[str]:
    if sys.platform == "darwin":
        return ["open"]
    if os.name == "nt":
        return ["cmd", "/c", "start", ""]
    return [shutil.which("xdg-open") or "xdg-open"]
