"""`semfind search` answered by the running daemon's warm searcher over its socket, the
same as a search run here, and run here when the daemon stops in the middle of it."""

from __future__ import annotations

import dataclasses
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from semfind.app import daemon_client, query_embedder
from semfind.app.cli import cli
from semfind.engine.config import Settings, load_settings
from semfind.engine.errors import DaemonError
from semfind.engine.search.query import Filters
from semfind.engine.store.store import Store
from semfind.indexer.daemon.control import ControlServer
from semfind.indexer.daemon.daemon import Daemon
from semfind.indexer.daemon.model_switch import EmbedderKeeper
from semfind.indexer.daemon.protocol import SearchReply, SearchRequest, settings_key
from semfind.indexer.daemon.runtime import DaemonFiles, PidLock
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder
from .helpers import garden_tree

QUERIES = (
    ["water ferns"],
    ["--mode", "keyword", "sourdough starter"],
    ["--mode", "vector", "-k", "2", "cactus sun"],
    ["--units", "proposition", "--type", "md", "water"],
    ["--path", "garden", "--since", "1y", "water"],
)


class Served:
    """An in-process daemon (fake model) serving the index of the command line's settings."""

    def __init__(self, settings: Settings, files: DaemonFiles) -> None:
        self.settings, self.files = settings, files
        self.daemon = Daemon(settings, lambda s: FakeEmbedder(), files)
        self.daemon._models = EmbedderKeeper(settings, lambda s: FakeEmbedder())
        self.server = ControlServer(files.socket, self.daemon._handle, self.daemon._stream)
        self.lock = PidLock(files.pid)
        self.searches = 0
        real = self.daemon.searcher.search

        def counted(request: SearchRequest) -> SearchReply:
            self.searches += 1
            return real(request)

        self.daemon.commands._searcher = counted

    def start(self) -> None:
        self.lock.__enter__()
        self.server.start()

    def stop(self) -> None:
        """As the daemon stops: no socket, no pid lock."""
        self.server.stop()
        self.daemon.searcher.close()
        self.lock.__exit__(None, None, None)


@pytest.fixture
def here(
    tmp_path: Path, isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Path, DaemonFiles]]:
    """An index of garden notes made with the fake model, which the command line loads too
    when it searches here."""
    runtime = Path(tempfile.mkdtemp(prefix="sfd-", dir="/tmp"))  # socket paths stay short
    monkeypatch.setenv("SEMFIND_RUNTIME_DIR", str(runtime))
    (isolated_dirs / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    (isolated_dirs / "config.toml").write_text('embed_model = "fake"\nsegmenter = "rules"\n')
    monkeypatch.setattr(query_embedder, "_open_here", lambda s: FakeEmbedder())
    monkeypatch.setattr(query_embedder, "_wanted_key", lambda s: "fake-v1")
    db = tmp_path / "index.sqlite3"
    settings = dataclasses.replace(load_settings(), db=db)
    root = garden_tree(tmp_path / "docs")
    monkeypatch.chdir(root)
    with Store.open(db) as store:
        Indexer(store, FakeEmbedder(), settings).index_paths([root])
    yield db, DaemonFiles.for_db(db)
    for leftover in runtime.iterdir():
        leftover.unlink()
    runtime.rmdir()


@pytest.fixture
def served(here: tuple[Path, DaemonFiles]) -> Iterator[Served]:
    db, files = here
    running = Served(dataclasses.replace(load_settings(), db=db), files)
    running.start()
    yield running
    if running.files.running_pid() is not None:
        running.stop()


def search(db: Path, *args: str) -> Result:
    result = CliRunner().invoke(cli, ["--db", str(db), "search", "--json", "-v", *args])
    assert result.exit_code == 0, result.output + str(result.exception)
    return result


@pytest.mark.parametrize("args", QUERIES)
def test_the_daemon_answers_a_cli_search_as_a_search_here_would(
    here: tuple[Path, DaemonFiles], args: list[str]
) -> None:
    db, files = here
    local = search(db, *args)
    assert "searched by the running daemon" not in local.stderr
    running = Served(dataclasses.replace(load_settings(), db=db), files)
    running.start()
    try:
        via_daemon = search(db, *args)
    finally:
        running.stop()
    assert running.searches == 1
    assert "searched by the running daemon" in via_daemon.stderr
    assert via_daemon.stdout == local.stdout  # byte for byte: hits, scores, order
    assert via_daemon.stdout.strip()
    if "keyword" not in args:
        assert "query embedded by the running daemon (fake-fake-v1)" in via_daemon.stderr


def test_the_daemon_loads_its_searcher_once(served: Served) -> None:
    db = served.settings.db_path()
    for _ in range(3):
        search(db, "water ferns")
    engine = served.daemon.searcher._engine
    assert served.searches == 3 and engine is not None
    assert engine.searcher().matrix is not None, "a warm searcher holds the vectors"


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_daemon_that_stops_mid_search_leaves_the_search_to_this_process(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = served.settings.db_path()
    expected = search(db, "water ferns").stdout

    handlers: list[threading.Thread] = []

    def dies(request: SearchRequest) -> SearchReply:
        handlers.append(threading.current_thread())
        served.stop()
        raise SystemExit  # the handler thread ends: its connection closes unanswered

    served.daemon.commands._searcher = dies
    fell_back = search(db, "water ferns")
    for handler in handlers:  # its exit is reported in this test, not in the next one
        handler.join(5)
    assert "the daemon did not: the daemon closed the connection" in fell_back.stderr
    assert "searched here" in fell_back.stderr
    assert "loaded here" in fell_back.stderr
    assert fell_back.stdout == expected
    quiet = CliRunner().invoke(cli, ["--db", str(db), "search", "water ferns"])
    assert quiet.exit_code == 0 and "searched here" not in quiet.stderr
    assert "ferns.md" in quiet.stdout


def test_a_daemon_too_slow_to_answer_is_not_waited_for(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = served.settings.db_path()
    expected = search(db, "water ferns").stdout
    release = threading.Event()

    def stuck(request: SearchRequest) -> SearchReply:
        release.wait(10)
        raise DaemonError("released")

    served.daemon.commands._searcher = stuck
    monkeypatch.setattr(daemon_client, "SEARCH_WAIT_S", 0.3)
    started = time.monotonic()
    try:
        fell_back = search(db, "water ferns")
    finally:
        release.set()
    assert time.monotonic() - started < 5
    assert "the daemon did not answer in time" in fell_back.stderr
    assert fell_back.stdout == expected


def test_a_daemon_with_other_settings_does_not_answer(served: Served) -> None:
    client = daemon_client.DaemonClient(served.settings)
    other = dataclasses.replace(served.settings, fusion="rrf")
    request = SearchRequest("water", 5, "hybrid", Filters(), None, settings_key(other))
    with pytest.raises(DaemonError, match="other settings"):
        client.search(request)
    same = dataclasses.replace(request, settings=settings_key(served.settings))
    assert client.search(same).hits


def test_search_requests_and_replies_survive_the_wire(served: Served) -> None:
    """Every field of a hit comes back as it was: tuples, None, floats to the last bit."""
    client = daemon_client.DaemonClient(served.settings)
    request = SearchRequest(
        "water", 5, "hybrid", Filters(units="both"), None, settings_key(served.settings)
    )
    assert SearchRequest.from_json(request.to_json()) == request
    reply = client.search(request)
    assert SearchReply.from_json(reply.to_json()) == reply
    with Store.open(served.settings.db_path(), readonly=True) as store:
        from semfind.engine.search.searcher import Searcher

        local = Searcher(store, FakeEmbedder(), served.settings).search("water", 5)
    assert list(reply.hits) == local
    malformed = {**request.to_json(), "k": "five"}
    with pytest.raises(DaemonError, match="malformed search request"):
        client.ask(malformed)
