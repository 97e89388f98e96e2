"""The command line without the real model: help, errors, status, config, keyword search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from semfind.app.cli import cli
from semfind.engine.config import Settings
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder


def _indexed(tmp_path: Path) -> Path:
    db = tmp_path / "i.db"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Alpha\n\nThe alpha release shipped on Monday.\n")
    (docs / "b.txt").write_text("Beta testers reported two crashes.\n")
    (docs / "bad.pdf").write_bytes(b"%PDF-1.4 garbage")
    with Store.open(db) as store:
        Indexer(store, FakeEmbedder(), Settings(db=db)).index_paths([docs])
    return db


def test_no_arguments_prints_help() -> None:
    result = CliRunner().invoke(cli, [])
    assert result.exit_code == 0 and "index" in result.output and "search" in result.output


def test_keyword_search_json_is_one_object_per_line(tmp_path: Path) -> None:
    db = _indexed(tmp_path)
    result = CliRunner().invoke(
        cli, ["--db", str(db), "search", "alpha release", "--mode", "keyword", "--json"]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows[0]["rank"] == 1 and rows[0]["path"].endswith("a.md")
    assert set(rows[0]) >= {
        "path",
        "location",
        "score",
        "text",
        "page",
        "line_start",
        "char_start",
        "mode",
    }


def test_human_search_output_shows_location_and_snippet(tmp_path: Path) -> None:
    db = _indexed(tmp_path)
    result = CliRunner().invoke(cli, ["--db", str(db), "search", "crashes", "--mode", "keyword"])
    assert result.exit_code == 0
    assert "b.txt:1" in result.output and "Beta testers" in result.output


def test_status_lists_failures(tmp_path: Path) -> None:
    db = _indexed(tmp_path)
    result = CliRunner().invoke(cli, ["--db", str(db), "status", "--failed"], terminal_width=200)
    assert result.exit_code == 0
    assert "bad.pdf" in result.output and "corrupt PDF" in result.output


def test_config_show(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "x.db"), "config", "show"])
    assert result.exit_code == 0 and "passage_tokens" in result.output and "x.db" in result.output


def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "semfind.app", *args], capture_output=True, text=True, env=env
    )


def test_errors_become_messages_and_exit_codes(tmp_path: Path) -> None:
    env = dict(os.environ)
    no_index = _run("--db", str(tmp_path / "none.db"), "search", "x", "--mode", "keyword", env=env)
    assert no_index.returncode == 1 and "semfind index" in no_index.stderr
    missing = _run("--db", str(tmp_path / "i.db"), "index", str(tmp_path / "ghost"), env=env)
    assert missing.returncode == 2 and "no such file or folder" in missing.stderr
    bad_config = _run("status", env={**env, "SEMFIND_N_THREADS": "lots"})
    assert bad_config.returncode == 2 and "n_threads" in bad_config.stderr
    for result in (no_index, missing, bad_config):
        assert "Traceback" not in result.stderr
