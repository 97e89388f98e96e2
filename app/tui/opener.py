"""Opening a result in the user's editor at its line, or with the system opener."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

_GOTO_COLON = ("code", "codium", "code-insiders", "cursor", "windsurf")
"""Editors taking `-g path:line`."""
_PATH_COLON = ("subl", "sublime_text", "zed", "hx", "helix")
"""Editors taking `path:line`."""


def open_command(path: str, line: int, page: int | None, env: dict[str, str]) -> list[str]:
    """The command that shows `path` at `line`: $VISUAL/$EDITOR for text, the system opener
    for PDFs (no portable way to name a page) or when no editor is set."""
    editor = env.get("VISUAL") or env.get("EDITOR")
    if editor and page is None and Path(path).suffix.lower() != ".pdf":
        return _editor_command(shlex.split(editor), path, line)
    return [*_system_opener(), path]


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


def runs_in_terminal(command: list[str], env: dict[str, str]) -> bool:
    """Whether the command takes over the terminal (the app must suspend for it)."""
    editor = env.get("VISUAL") or env.get("EDITOR")
    return (
        bool(editor)
        and command[: len(shlex.split(editor))] == shlex.split(editor)
        and (Path(command[0]).name not in (*_GOTO_COLON, "subl", "sublime_text", "zed"))
    )
