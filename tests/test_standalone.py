"""What the standalone build relies on: its own models, re-running itself, loading backends."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from semfind.engine import paths
from semfind.engine.models.default_embedder import DEFAULT_EMBEDDER, ensure_default_gguf
from semfind.engine.models.default_llm import DEFAULT_LLM_FILE, default_llm_path

from .helpers import semfind_cli


@pytest.fixture
def frozen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Pretend to be a PyInstaller build unpacked in tmp_path/bundle."""
    bundle = tmp_path / "bundle"
    (bundle / "models").mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    return bundle


def test_a_python_install_reruns_itself_as_a_module() -> None:
    assert paths.bundle_dir() is None
    assert paths.self_command() == [sys.executable, "-m", "semfind.app"]


def test_a_standalone_build_reruns_its_executable_and_uses_its_own_models(frozen: Path) -> None:
    assert paths.bundle_dir() == frozen
    assert paths.self_command() == [sys.executable]
    embedder = frozen / "models" / f"{DEFAULT_EMBEDDER}.gguf"
    llm = frozen / "models" / DEFAULT_LLM_FILE
    embedder.write_bytes(b"GGUF stand-in for the converted embedder")
    llm.write_bytes(b"GGUF stand-in for SmolLM2")
    path, digest = ensure_default_gguf()
    assert path == embedder and len(digest) == 64
    assert default_llm_path() == llm
    assert not (paths.data_dir() / "models").exists(), "nothing was converted"


def test_version_reports_llama_cpp_sqlite_and_sqlite_vec(tmp_path: Path) -> None:
    done = semfind_cli({"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("semfind 0.")
    assert "llama.cpp backends  CPU" in done.stdout
    assert "CPU features" in done.stdout and "AVX" in done.stdout
    assert "SQLite              3." in done.stdout
    assert "sqlite-vec          v0." in done.stdout
