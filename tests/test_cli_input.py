"""Absurd and mistaken input at the command line: a `semfind:` message or a usage error,
never a traceback (issue 20)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from semfind.app import cli as cli_module
from semfind.engine.config import Settings
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "i.db"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("# Deposit\n\nThe deposit is two months of rent.\n")
    (docs / "b.txt").write_text("The deposit goes back after the tenancy ends.\n")
    (docs / "c.py").write_text("deposit = 2  # months\n")
    with Store.open(path) as store:
        Indexer(store, FakeEmbedder(), Settings(db=path)).index_paths([docs])
    return path


def _main(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """Run the real entry point, as the `semfind` script does: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["semfind", *args])
    code: int | str | None = 0
    try:
        cli_module.main()
    except SystemExit as exc:
        code = exc.code
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return int(code or 0), captured.out, captured.err


def _search(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: Path, *args: str
) -> tuple[int, str, str]:
    return _main(monkeypatch, capsys, "--db", str(db), "search", *args, "--mode", "keyword")


@pytest.mark.parametrize("k", ["4611686018427387904", "1001", "0", "-3"])
def test_k_out_of_range_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: Path, k: str
) -> None:
    code, _, err = _search(monkeypatch, capsys, db, "deposit", "-k", k)
    assert code == 2 and "-k" in err and "1000" in err


def test_the_engine_bounds_k_too(db: Path) -> None:
    from semfind.engine.errors import UsageError
    from semfind.engine.search.searcher import Searcher

    with (
        Store.open(db, readonly=True) as store,
        Searcher(store, None, Settings(db=db)) as searcher,
        pytest.raises(UsageError, match="-k must be from 1 to 1,000"),
    ):
        searcher.search("deposit", k=2**62, mode="keyword")


def test_ask_sources_out_of_range_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    code, _, err = _main(
        monkeypatch, capsys, "--db", str(db), "ask", "x", "-n", "4611686018427387904"
    )
    assert code == 2 and "--sources" in err


@pytest.mark.parametrize("since", ["500y", "99999999d", "0001-01-01", "9999-12-31"])
def test_extreme_since_values_search_without_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: Path, since: str
) -> None:
    code, out, _ = _search(monkeypatch, capsys, db, "deposit", "--since", since)
    assert code == 0
    if since == "9999-12-31":
        assert "no results" in out
    else:
        assert "a.md" in out and "b.txt" in out


def test_ask_with_an_extreme_since_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    monkeypatch.setattr("semfind.app.query_embedder.query_embedder", lambda _s: FakeEmbedder())
    code, _, _ = _main(
        monkeypatch, capsys, "--db", str(db), "ask", "deposit?", "--no-llm",
        "--since", "99999999y",
    )  # fmt: skip
    assert code == 0


def test_since_m_alone_is_refused_with_both_readings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    code, _, err = _search(monkeypatch, capsys, db, "deposit", "--since", "10m")
    assert code == 2 and "10min" in err and "10mo" in err


def test_verbose_says_how_since_was_read(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    code, _, err = _search(monkeypatch, capsys, db, "deposit", "--since", "10mo", "-v")
    assert code == 0 and "10 months back" in err


@pytest.mark.parametrize("kind", ["foo", "python", ",", ".nope"])
def test_unknown_types_are_usage_errors_listing_the_kinds(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: Path, kind: str
) -> None:
    code, _, err = _search(monkeypatch, capsys, db, "deposit", "--type", kind)
    assert code == 2
    if kind == ",":
        assert "--type needs a file kind" in err
    else:
        assert f"unknown file type {kind!r}" in err and "markdown" in err and "pdf" in err


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        (["pdf,md"], {"a.md"}),
        (["markdown,text"], {"a.md", "b.txt"}),
        (["md", "--type", ".PY"], {"a.md", "c.py"}),
        (["code"], {"c.py"}),
    ],
)
def test_type_lists_and_extensions_filter(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    db: Path,
    types: list[str],
    expected: set[str],
) -> None:
    code, out, _ = _search(monkeypatch, capsys, db, "deposit", "--json", "--type", *types)
    assert code == 0
    import json

    found = {Path(json.loads(line)["path"]).name for line in out.splitlines()}
    assert found == expected


def test_a_dashed_query_error_says_how_to_search_for_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    code, _, err = _main(monkeypatch, capsys, "--db", str(db), "search", "-foo")
    assert code == 2 and "semfind search -- -foo" in err


def test_an_unreadable_config_is_a_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def denied() -> Settings:
        raise PermissionError(13, "Permission denied", "/etc/semfind/config.toml")

    monkeypatch.setattr(cli_module, "load_settings", denied)
    code, _, err = _main(monkeypatch, capsys, "status")
    assert code == 1
    assert "semfind:" in err and "Permission denied: /etc/semfind/config.toml" in err


def test_tui_without_a_terminal_refuses_at_once(tmp_path: Path) -> None:
    env = {**os.environ, "SEMFIND_DB": str(tmp_path / "i.db")}
    result = subprocess.run(
        [sys.executable, "-m", "semfind.app", "tui"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2 and "needs a terminal" in result.stderr
    assert "Traceback" not in result.stderr


def test_config_show_and_doctor_run_on_a_bad_config_and_name_the_key(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    db: Path,
    isolated_dirs: Path,
) -> None:
    isolated_dirs.mkdir(exist_ok=True)
    (isolated_dirs / "config.toml").write_text("[semfind]\nthreads = 2\n")
    code, out, err = _main(monkeypatch, capsys, "--db", str(db), "config", "show")
    assert code == 0 and "passage_tokens = 256" in out and "'threads'" in err
    code, out, err = _main(monkeypatch, capsys, "--db", str(db), "doctor")
    assert code == 1 and "healthy" in out and "'threads'" in err
    code, _, err = _main(monkeypatch, capsys, "--db", str(db), "status")
    assert code == 2 and "threads" in err and "config show" in err


def test_status_says_what_units_and_vectors_mean(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path, docs = tmp_path / "dup.db", tmp_path / "dup"
    docs.mkdir()
    for n in range(3):
        (docs / f"f{n}.txt").write_text("The same words in every file.\n")
    with Store.open(path) as store:
        Indexer(store, FakeEmbedder(), Settings(db=path, segmenter="none")).index_paths([docs])
    code, out, _ = _main(monkeypatch, capsys, "--db", str(path), "status")
    assert code == 0
    assert "3 (1 distinct text)" in out
    assert "all 3 units have one (1 distinct text)" in out


def test_a_file_indexed_in_part_is_named_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path, docs = tmp_path / "part.db", tmp_path / "part"
    docs.mkdir()
    (docs / "long.txt").write_text("A sentence of some length goes here.\n" * 100)
    settings = Settings(db=path, max_text_mb=0.001)
    with Store.open(path) as store:
        Indexer(store, FakeEmbedder(), settings).index_paths([docs])
    code, out, _ = _main(monkeypatch, capsys, "--db", str(path), "status", "--failed")
    assert code == 0 and out.count("indexed in part") == 1 and "long.txt: the first" in out


def test_a_newline_in_a_file_name_stays_on_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path, docs = tmp_path / "nl.db", tmp_path / "nl"
    docs.mkdir()
    (docs / "two\nlines [b].txt").write_text("Deposit returned in ten days.\n")
    with Store.open(path) as store:
        report = Indexer(store, FakeEmbedder(), Settings(db=path)).index_paths([docs])
    code, out, _ = _search(monkeypatch, capsys, path, "deposit")
    assert code == 0 and "two\\nlines [b].txt:1" in out
    from rich.console import Console

    from semfind.app.render import print_report

    console = Console(record=True, width=200)
    print_report(console, report, "fake")
    shown = console.export_text()
    assert "indexed 1 file into 2 units" in shown and "embedding: 1 unit," in shown


def test_watch_list_and_daemon_status_json_when_nothing_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    code, out, err = _main(monkeypatch, capsys, "--db", str(db), "watch", "list")
    assert code == 0 and out == "" and "no folders watched" in err
    code, out, _ = _main(monkeypatch, capsys, "--db", str(db), "daemon", "status", "--json")
    import json

    status = json.loads(out)
    assert code == 0 and status["running"] is False and status["db"] == str(db)


def test_doctor_rebuild_at_eof_is_a_no_not_an_interrupted_index(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    db = tmp_path / "junk.sqlite3"
    db.write_bytes(b"not sqlite at all" * 100)
    monkeypatch.setattr(sys, "argv", ["semfind", "--db", str(db), "doctor", "--rebuild"])
    code: int | str | None = 0
    with CliRunner().isolation(input="") as (_, err, _):
        try:
            cli_module.main()
        except SystemExit as exc:
            code = exc.code
        sys.stderr.flush()
        said = err.getvalue().decode()
    assert code == 1 and "nothing was changed" in said and "--yes" in said
    assert "interrupted" not in said and db.read_bytes() == b"not sqlite at all" * 100


def test_help_defaults_come_from_the_settings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _main(monkeypatch, capsys, "search", "--help")
    assert code == 0 and f"normally {Settings().units}" in " ".join(out.split())
    code, out, _ = _main(monkeypatch, capsys, "index", "--help")
    assert code == 0 and f"normally {Settings().segmenter}" in " ".join(out.split())


def test_models_info_default_is_the_built_in_embedder(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from semfind.engine.models.default_embedder import DEFAULT_EMBEDDER

    code, out, err = _main(monkeypatch, capsys, "models", "info", "default")
    assert code == 0, err
    assert out.split()[:2] == ["name", DEFAULT_EMBEDDER] and "built-in" in out


def test_models_list_piped_keeps_every_column_uncut(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    row = ["*", "embedder", "a-rather-long-model-name-Q8_0", "bert", "Q8_0", "384", "512",
           "25.3 MB", "cpu", "ollama", "/models/x.gguf"]  # fmt: skip
    monkeypatch.setattr("semfind.app.model_rows.model_row", lambda _e: row)
    monkeypatch.setattr("semfind.engine.models.catalog.model_catalog", lambda _s: [object()])
    monkeypatch.setenv("COLUMNS", "80")
    code, out, _ = _main(monkeypatch, capsys, "models", "list")
    header, line, path = out.splitlines()
    assert code == 0 and header.split() == ["role", "name", "arch", "quant", "dim", "ctx",
                                            "size", "gpu", "source"]  # fmt: skip
    assert line.split() == [*row[:7], "25.3", "MB", *row[8:10]]
    assert path == "a-rather-long-model-name-Q8_0: /models/x.gguf"


def test_models_list_in_a_narrow_terminal_gives_each_model_a_block() -> None:
    from semfind.app.models_cli import model_block

    row = ["*", "embedder", "m", "bert", "Q8_0", "384", "512", "25.3 MB", "", "built-in",
           "/x/m\nq.gguf"]  # fmt: skip
    assert model_block(row) == [
        "* m",
        "    embedder · bert Q8_0 · dim 384 · ctx 512 · 25.3 MB · built-in",
        "    /x/m\\nq.gguf",
    ]


@pytest.mark.parametrize(
    "args",
    [["index", ""], ["watch", "add", " "], ["watch", "remove", ""], ["--db", "", "status"]],
)
def test_an_empty_path_is_refused_not_read_as_the_current_folder(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, _, err = _main(monkeypatch, capsys, *args)
    assert code == 2 and "the path is empty" in err


def test_an_empty_query_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], db: Path
) -> None:
    code, _, err = _search(monkeypatch, capsys, db, "  ")
    assert code == 2 and "search needs a query" in err


def test_an_empty_file_or_a_device_as_the_index_is_a_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    code, _, err = _main(monkeypatch, capsys, "--db", str(empty), "status")
    assert code == 1 and "no index at" in err
    code, _, err = _main(monkeypatch, capsys, "--db", os.devnull, "status")
    assert code == 1 and "not a regular file" in err
