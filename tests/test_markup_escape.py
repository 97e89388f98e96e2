"""Paths, reasons and names that look like rich markup are printed as written: rich must
neither raise nor restyle on `[/]` or `[bold]` in them."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from rich.console import Console

from semfind.app.cli import cli
from semfind.app.daemon_render import print_status
from semfind.engine.config import Settings
from semfind.engine.session.engine import Engine
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder

ODD = "ferns[/]and[bold]moss"


def _indexed(tmp_path: Path) -> tuple[Path, Path, Path]:
    docs = tmp_path / ODD  # the folders "ferns[" and "]and[bold]moss"
    docs.mkdir(parents=True)
    note = docs / "[bold]note[b].md"
    note.write_text("Water the ferns twice a week.\n")
    broken = docs / "broken[i].pdf"
    broken.write_bytes(b"%PDF-1.4 not really a pdf")
    settings = Settings(db=tmp_path / "index.sqlite3", segmenter="none", units="passage")
    with Engine(settings, writer=True, open_embedder=lambda s: FakeEmbedder()) as engine:
        Indexer(engine.store(), engine.embedder(), settings).index_paths([docs])
    return settings.db_path(), note, broken


def test_status_failed_and_search_print_odd_paths_as_written(tmp_path: Path) -> None:
    db, note, broken = _indexed(tmp_path)
    status = CliRunner().invoke(cli, ["--db", str(db), "status", "--failed"])
    assert status.exit_code == 0, status.output
    assert f"failed {broken}:" in status.output
    found = CliRunner().invoke(cli, ["--db", str(db), "search", "ferns", "--mode", "keyword"])
    assert found.exit_code == 0, found.output
    assert f"{note}:1" in found.output


def _status(path: str) -> dict[str, Any]:
    return {
        "pid": 4242,
        "db": f"{path}/index.sqlite3",
        "state": "idle",
        "paused_reason": None,
        "watches": [{"path": path, "mode": "events"}],
        "queue": 0,
        "run": {"total": 1, "done": 1},
        "current": f"{path}/now.md",
        "indexed": 1,
        "unchanged": 0,
        "moved": 0,
        "removed": 0,
        "failed": [{"path": f"{path}/bad.pdf", "reason": "not a PDF [/] [bold]really"}],
        "tokens_per_s": 10.0,
        "units_per_s": 1.0,
        "backend": {"model": f"model{ODD}", "description": "CPU"},
        "rss_mb": 100.0,
        "switching": {"name": f"next{ODD}", "done": 1, "total": 2, "error": f"gone {ODD}"},
    }


def test_daemon_status_prints_odd_paths_reasons_and_names_as_written() -> None:
    out = io.StringIO()
    print_status(Console(file=out, width=300, highlight=False), _status(f"/tmp/{ODD}"))
    text = out.getvalue()
    for written in (
        f"index /tmp/{ODD}/index.sqlite3",
        f"current: /tmp/{ODD}/now.md",
        f"failed /tmp/{ODD}/bad.pdf: not a PDF [/] [bold]really",
        f"backend: model{ODD} on CPU",
        f"new embedding model: next{ODD}, 1 of 2",
        f"embedding model switch failed: gone {ODD}",
    ):
        assert written in text, (written, text)
