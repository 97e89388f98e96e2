"""A search's query embedded by the running daemon's model, and what happens when it goes."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from semfind.app import query_embedder as qe
from semfind.app.daemon_client import DaemonClient
from semfind.engine.config import Settings
from semfind.engine.embed.base import Embedder, normalise
from semfind.engine.errors import ModelError
from semfind.indexer.daemon.control import ControlServer
from semfind.indexer.daemon.daemon import Daemon
from semfind.indexer.daemon.model_switch import EmbedderKeeper
from semfind.indexer.daemon.runtime import DaemonFiles, PidLock

from .fakes import FakeEmbedder


class Opener:
    """Counts the models a search loads itself."""

    def __init__(self, key: str = "fake-v1") -> None:
        self.key = key
        self.opened: list[FakeEmbedder] = []

    def __call__(self, settings: Settings) -> Embedder:
        self.opened.append(FakeEmbedder(key=self.key))
        return self.opened[-1]


Served = tuple[Settings, DaemonClient, ControlServer]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """The daemon's control server with a fake model, under a held pid lock."""
    runtime = Path(tempfile.mkdtemp(prefix="sfq-", dir="/tmp"))
    files = DaemonFiles(runtime / "d.sock", runtime / "d.pid", tmp_path / "d.log")
    settings = Settings(db=tmp_path / "index.sqlite3")
    daemon = Daemon(settings, lambda s: FakeEmbedder(), files)
    daemon._models = EmbedderKeeper(settings, lambda s: FakeEmbedder())
    server = ControlServer(files.socket, daemon._handle, daemon._stream)
    with PidLock(files.pid):
        server.start()
        yield settings, DaemonClient(settings, files), server
        server.stop()
    for leftover in runtime.iterdir():
        leftover.unlink()
    runtime.rmdir()


def _expected(text: str) -> np.ndarray:
    vectors, _ = FakeEmbedder().embed_batch([text])
    return normalise(vectors)[0]


def _search_side(
    served: Served, monkeypatch: pytest.MonkeyPatch, wanted: str, local: str = "fake-v1"
) -> tuple[Embedder, Opener]:
    """What a search in another process gets when its settings ask for the model `wanted`
    and a model loaded here would be `local`."""
    settings, client, _ = served
    monkeypatch.setattr(qe, "_wanted_key", lambda s: wanted)
    opener = Opener(local)
    return qe.query_embedder(settings, client, opener), opener


def test_the_daemons_model_embeds_the_query_and_none_is_loaded_here(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder, opener = _search_side(served, monkeypatch, "fake-v1")
    assert isinstance(embedder, qe.DaemonEmbedder)
    assert (embedder.key, embedder.dim) == ("fake-v1", 64)
    assert np.allclose(embedder.embed_one("herons by the river"), _expected("herons by the river"))
    assert opener.opened == [] and embedder.local is None


def test_a_daemon_that_goes_away_mid_session_falls_back_to_a_local_model(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder, opener = _search_side(served, monkeypatch, "fake-v1")
    served[2].stop()
    vector = embedder.embed_one("alder trees")
    assert np.allclose(vector, _expected("alder trees"))
    assert isinstance(embedder, qe.DaemonEmbedder) and embedder.local is opener.opened[0]
    assert len(opener.opened) == 1 and opener.opened[0].embedded_texts == ["alder trees"]


def test_a_fallback_to_another_model_than_the_search_used_is_refused(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder, opener = _search_side(served, monkeypatch, "fake-v1", local="switched-since")
    served[2].stop()
    with pytest.raises(ModelError, match="search again"):
        embedder.embed_one("alder trees")
    assert opener.opened[0].calls == []


def test_a_daemon_with_another_model_is_not_used(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    embedder, opener = _search_side(served, monkeypatch, "some-other-model")
    assert opener.opened == [embedder]


def test_without_a_daemon_the_model_is_loaded_here(tmp_path: Path) -> None:
    files = DaemonFiles(tmp_path / "none.sock", tmp_path / "none.pid", tmp_path / "d.log")
    settings = Settings(db=tmp_path / "index.sqlite3")
    opener = Opener()
    embedder = qe.query_embedder(settings, DaemonClient(settings, files), opener)
    assert opener.opened == [embedder]
