"""Changing the embedding model: built in the background, switched atomically, rolled back."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from semfind.engine.models.default_embedder import DEFAULT_EMBEDDER
from semfind.engine.store.quantize import from_int8
from semfind.engine.store.store import Store
from semfind.indexer.daemon import control
from semfind.indexer.daemon.runtime import DaemonFiles

from .helpers import semfind_cli, wait_until

pytestmark = [pytest.mark.real_model, pytest.mark.skipif(os.name != "posix", reason="POSIX")]


@pytest.fixture
def home(
    real_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """A data folder of its own (the registry is per user) sharing the converted model."""
    from semfind.engine.models.default_embedder import ensure_default_gguf

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SEMFIND_DATA_DIR", str(real_data_dir))
        ensure_default_gguf()
    data = tmp_path / "data"
    data.mkdir()
    (data / "models").symlink_to(real_data_dir / "models")
    runtime = Path(tempfile.mkdtemp(prefix="sf-", dir="/tmp"))  # socket paths must stay short
    monkeypatch.setenv("SEMFIND_RUNTIME_DIR", str(runtime))
    env = {
        **os.environ,
        "SEMFIND_DATA_DIR": str(data),
        "SEMFIND_RUNTIME_DIR": str(runtime),
        "SEMFIND_CONFIG": str(tmp_path / "config.toml"),
        "SEMFIND_DB": str(tmp_path / "index.sqlite3"),
        "SEMFIND_N_THREADS": "1",
    }
    yield env
    files = DaemonFiles.for_db(tmp_path / "index.sqlite3")
    pid = files.running_pid()
    if pid is not None:
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(runtime, ignore_errors=True)


def _cli(env: dict[str, str], *args: str) -> str:
    """What the command printed, on one line."""
    return " ".join("\n".join(_cli_lines(env, *args)).split())


def _registry(env: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(Path(env["SEMFIND_DATA_DIR"], "models.json").read_text())
    return data


def _vectors(env: dict[str, str]) -> dict[str, int]:
    with Store.open(Path(env["SEMFIND_DB"]), readonly=True) as store:
        return {model.name: store.vector_count(model) for model in store.models()}


def _codes(env: dict[str, str], name: str) -> dict[str, np.ndarray]:
    """text hash -> the model's stored vector, unit length."""
    with Store.open(Path(env["SEMFIND_DB"]), readonly=True) as store:
        model = next(m for m in store.models() if m.name == name)
        rows = store.conn.execute(
            f"SELECT v.text_hash, c.code FROM vectors v JOIN {model.codes_table} c"
            " ON c.id = v.id WHERE v.model_id = ?",
            (model.id,),
        )
        vectors = {h: from_int8(np.frombuffer(code, dtype=np.int8)[None, :])[0] for h, code in rows}
    return {h: v / np.linalg.norm(v) for h, v in vectors.items()}


def _status(env: dict[str, str]) -> dict[str, Any]:
    files = DaemonFiles.for_db(Path(env["SEMFIND_DB"]))
    status: dict[str, Any] = control.request(files.socket, {"cmd": "status"})["status"]
    return status


def _notes(root: Path, count: int) -> Path:
    root.mkdir(exist_ok=True)
    for n in range(count):
        (root / f"note{n}.md").write_text(
            f"# Note {n}\n\nThe heron number {n} waits by the river at dawn.\n\n"
            f"Alder trees line bank {n}. Otters visit the bank at dusk.\n"
        )
    return root


def test_a_new_embedder_is_built_in_the_background_switched_and_rolled_back(
    home: dict[str, str], tmp_path: Path
) -> None:
    notes = _notes(tmp_path / "notes", 40)
    _cli(home, "index", "-q", str(notes))
    other = tmp_path / "other.gguf"  # the same weights, another file: another model to semfind
    other.write_bytes(
        Path(home["SEMFIND_DATA_DIR"], "models", f"{DEFAULT_EMBEDDER}.gguf").read_bytes()
        + bytes(32)
    )
    _cli(home, "models", "add", str(other), "--name", "other")

    said = _cli(home, "models", "use", "other")
    assert "other takes over once its vectors are built" in said
    assert f"search uses {DEFAULT_EMBEDDER} until then" in said
    assert _registry(home)["use"].get("embedder") in (None, DEFAULT_EMBEDDER)
    assert _registry(home)["target"]["embedder"] == "other"
    before = _vectors(home)
    assert before == {DEFAULT_EMBEDDER: before[DEFAULT_EMBEDDER]}
    hits = [json.loads(line) for line in _cli_lines(home, "search", "heron river", "--json")]
    assert hits, "search keeps working on the old vectors"

    _cli(home, "daemon", "start")
    wait_until(lambda: _registry(home)["use"].get("embedder") == "other", timeout=60)
    wait_until(lambda: _status(home)["backend"]["model"] == "other", timeout=10)
    counts = _vectors(home)
    assert counts["other"] == counts[DEFAULT_EMBEDDER] == before[DEFAULT_EMBEDDER]
    assert _registry(home)["target"]["embedder"] is None
    assert _registry(home)["previous"]["embedder"] == DEFAULT_EMBEDDER
    # The same weights: the switch composes passage vectors as indexing did, not whole.
    ours, theirs = _codes(home, DEFAULT_EMBEDDER), _codes(home, "other")
    assert ours.keys() == theirs.keys()
    assert min(float(ours[h] @ theirs[h]) for h in ours) > 0.999

    said = _cli(home, "models", "rollback")
    assert f"embedding model in use: {DEFAULT_EMBEDDER} (its vectors are complete)" in said
    wait_until(lambda: _status(home)["backend"]["model"] == DEFAULT_EMBEDDER, timeout=10)
    assert _vectors(home) == counts  # nothing was destroyed either way
    _cli(home, "daemon", "stop")


def test_rollback_after_new_files_builds_the_missing_vectors_first(
    home: dict[str, str], tmp_path: Path
) -> None:
    notes = _notes(tmp_path / "notes", 3)
    _cli(home, "index", "-q", str(notes))
    other = tmp_path / "other.gguf"
    other.write_bytes(
        Path(home["SEMFIND_DATA_DIR"], "models", f"{DEFAULT_EMBEDDER}.gguf").read_bytes()
        + bytes(32)
    )
    _cli(home, "models", "add", str(other), "--name", "other")
    _cli(home, "models", "use", "other")
    said = _cli(home, "models", "build", "-q")
    assert "embedding model in use: other" in said
    (notes / "late.md").write_text("A late note about kingfishers diving for fish.\n")
    _cli(home, "index", "-q", str(notes))  # embedded with `other` only

    said = _cli(home, "models", "rollback")
    assert f"{DEFAULT_EMBEDDER} takes over once its vectors are built" in said
    assert _registry(home)["use"]["embedder"] == "other"
    said = _cli(home, "models", "build", "-q")
    assert f"embedding model in use: {DEFAULT_EMBEDDER}" in said
    counts = _vectors(home)
    assert counts[DEFAULT_EMBEDDER] == counts["other"]
    top = json.loads(_cli_lines(home, "search", "kingfishers", "--json")[0])
    assert top["path"].endswith("late.md")


def _cli_lines(env: dict[str, str], *args: str) -> list[str]:
    done = semfind_cli(env, *args, timeout=120)
    assert done.returncode == 0, f"semfind {' '.join(args)}: {done.stderr}"
    return done.stdout.splitlines()
