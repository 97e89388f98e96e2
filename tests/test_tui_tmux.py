"""The real `semfind` command in a real terminal (tmux): index, search, preview, open, ask."""

from __future__ import annotations

import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.real_model,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class Terminal:
    def __init__(self, session: str, env: dict[str, str]) -> None:
        self.session, self.env = session, env

    def start(self, command: str) -> None:
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in self.env.items())
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", self.session, "-x", "100", "-y", "30",
             f"env {exports} {command}; sleep 5"],
            check=True,
        )  # fmt: skip

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.session, *keys], check=True)

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.session],
            capture_output=True, text=True, check=False,
        ).stdout  # fmt: skip

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.session], check=False)


@pytest.fixture
def terminal(real_data_dir: Path, tmp_path: Path) -> Iterator[Terminal]:
    runtime = Path(tempfile.mkdtemp(prefix="sf-", dir="/tmp"))
    editor = tmp_path / "editor.sh"
    editor.write_text(f'#!/bin/sh\necho "$@" > {tmp_path / "opened.txt"}\n')
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    env = {
        "SEMFIND_DATA_DIR": str(real_data_dir),
        "SEMFIND_RUNTIME_DIR": str(runtime),
        "SEMFIND_CONFIG": str(tmp_path / "config.toml"),
        "EDITOR": str(editor),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }
    term = Terminal(f"semfind-test-{os.getpid()}", env)
    yield term
    term.close()
    shutil.rmtree(runtime, ignore_errors=True)


def test_index_search_preview_open_and_ask_in_a_real_terminal(
    terminal: Terminal, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(EXAMPLES, docs)
    db = tmp_path / "index.sqlite3"
    semfind = f"{shlex.quote(sys.executable)} -m semfind.app --db {shlex.quote(str(db))}"
    indexed = subprocess.run(
        [*shlex.split(semfind), "index", "--quiet", str(docs)],
        env={**os.environ, **terminal.env}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert indexed.returncode == 0, indexed.stderr

    terminal.start(semfind)
    terminal.wait_for("Search your files")
    screen = terminal.wait_for("props")  # the status bar fills in after the first paint
    assert "daemon stopped" in screen

    terminal.keys("how do I keep my plants alive while I travel")
    screen = terminal.wait_for(" 1. houseplants.md")
    assert "Houseplants" in screen  # the preview's title

    terminal.keys("Down")
    time.sleep(0.3)
    terminal.keys("Down")
    screen = terminal.wait_for(" 2. ")
    second = next(line for line in screen.splitlines() if " 2. " in line).split()[2]
    name = second.split(":")[0]
    deadline = time.monotonic() + 10
    while terminal.screen().count(name) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert terminal.screen().count(name) >= 2, "the preview follows the selection"

    terminal.keys("Up", "Enter")
    opened = tmp_path / "opened.txt"
    deadline = time.monotonic() + 10
    while not opened.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    words = opened.read_text().split()
    assert words[0].startswith("+") and words[1] == str(docs / "notes" / "houseplants.md")
    terminal.wait_for("f2 Search")  # back in the app after the editor

    terminal.keys("F3")
    time.sleep(0.3)
    terminal.keys("when is the deposit returned", "Enter")
    screen = terminal.wait_for("[1] tenancy.pdf", timeout=30)
    # The quote first, then SmolLM2's checked restatement under it (or why there is none).
    screen = terminal.wait_for("“The deposit is two months of rent", timeout=30)
    assert "[1]" in screen and "tenancy.pdf" in screen, screen
    deadline = time.monotonic() + 60
    while "Restating with" in terminal.screen() and time.monotonic() < deadline:
        time.sleep(0.2)
    screen = terminal.screen()
    assert "Restating with" not in screen and "“The deposit" in screen, screen

    terminal.keys("C-q")
    deadline = time.monotonic() + 10
    while "f2 Search" in terminal.screen() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "f2 Search" not in terminal.screen()
