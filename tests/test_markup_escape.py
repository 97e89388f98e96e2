"""Paths, reasons and names that look like rich markup are printed as written: rich must
neither raise nor restyle on `[/]` or `[bold]` in them."""

from __future__ import annotations

import io
from pathlib import Path

from click.testing import CliRunner
from rich.console import Console

from semfind.app.cli import cli
from semfind.app.daemon_render import print_status
from semfind.engine.config import Settings
from semfind.engine.session.engine import Engine
from semfind.indexer.daemon.protocol import Backend, DaemonStatus, FailedFile, Switching, Watch
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder
from .tui_fakes import daemon_status

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


def _status(path: str) -> DaemonStatus:
    return daemon_status(
        db=f"{path}/index.sqlite3",
        watches=(Watch(path, "events"),),
        current=f"{path}/now.md",
        failed=(FailedFile(f"{path}/bad.pdf", "not a PDF [/] [bold]really"),),
        backend=Backend("llama.cpp", "cpu", 2, 0, "CPU", f"model{ODD}"),
        switching=Switching(f"gone {ODD}", f"next{ODD}", 1, 2),
    )


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
