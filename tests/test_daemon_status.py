"""`semfind daemon status`: the token shares of the daemon's runs and the index's vector
coverage, and the log line that ends each batch of work (issue 23)."""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from semfind.app.daemon_render import print_status
from semfind.app.render import print_report
from semfind.engine.config import Settings
from semfind.engine.embed.token_shares import TokenShares
from semfind.engine.store.store import Store
from semfind.indexer.daemon.daemon import Daemon
from semfind.indexer.daemon.protocol import Coverage, DaemonStatus, Shares
from semfind.indexer.daemon.runtime import DaemonFiles
from semfind.indexer.indexing import IndexReport

from .fakes import FakeEmbedder
from .helpers import daemon_thread, wait_until
from .tui_fakes import daemon_status


class SlowEmbedder(FakeEmbedder):
    """The fake model at a real model's pace, so a status can be asked mid-run."""

    def embed_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        time.sleep(0.02 * len(texts))
        return super().embed_batch(texts)


def _notes(root: Path, count: int) -> Path:
    """Notes with a title (context added to what is embedded) and three sentences each
    (a passage and its propositions)."""
    root.mkdir(parents=True)
    for number in range(count):
        (root / f"n{number:03}.md").write_text(
            f"# Note {number}\n\nThe heron number {number} waits by the river at dawn. "
            f"It caught {number} fish before the tide turned. The reeds were wet.\n"
        )
    return root


@pytest.fixture
def running(tmp_path: Path, daemon_files: DaemonFiles) -> Iterator[tuple[Daemon, SlowEmbedder]]:
    settings = Settings(
        db=tmp_path / "index.sqlite3", passage_tokens=64, segmenter="rules", units="both"
    )
    embedder = SlowEmbedder()
    worker = Daemon(settings, lambda s: embedder, daemon_files, power=lambda: False)
    with daemon_thread(worker):
        yield worker, embedder


def _status(worker: Daemon) -> DaemonStatus:
    """What `semfind daemon status` receives: the answer to "status", through its JSON."""
    reply = worker._handle({"cmd": "status"})
    assert reply["ok"], reply
    return DaemonStatus.from_json(reply["status"])


def _units(worker: Daemon) -> int:
    with Store.open(worker.db, readonly=True) as store:
        return int(store.conn.execute("SELECT count(*) FROM units").fetchall()[0][0])


def _settled(worker: Daemon) -> bool:
    with Store.open(worker.db, readonly=True) as store:
        due = store.has_vectors_due()
    return not due and worker.status.state == "idle" and not worker.queue.snapshot()


def test_status_gives_the_token_shares_and_the_coverage_while_embedding_and_after(
    tmp_path: Path, running: tuple[Daemon, SlowEmbedder]
) -> None:
    worker, embedder = running
    notes = _notes(tmp_path / "notes", 30)
    assert worker._handle({"cmd": "watch_add", "paths": [str(notes)]})["ok"]

    seen: list[DaemonStatus] = []

    def embedding() -> bool:
        seen.append(_status(worker))
        shares, coverage = seen[-1].shares, seen[-1].coverage
        return bool(shares and shares.run and shares.run.total and coverage and coverage.without)

    wait_until(embedding, timeout=30)
    mid = seen[-1]
    assert mid.shares is not None and mid.shares.run is not None and mid.coverage is not None
    assert mid.shares.since_start.total >= mid.shares.run.total > 0
    assert 0 < mid.coverage.without < mid.coverage.units, "some vectors built, not all"
    assert mid.coverage.model == embedder.name

    wait_until(lambda: worker.status.indexed == 30 and _settled(worker), timeout=60)
    after = _status(worker)
    assert after.shares is not None and after.shares.run is None, "no run in progress"
    split = after.shares.since_start
    assert split.total == embedder.stats.tokens, "every embedded token counted once"
    assert split.parts > 0 and split.context > 0  # passages are composed from their parts
    assert after.coverage == Coverage(embedder.name, _units(worker), 0)
    assert worker._status().coverage is None, "events do not count the vectors"


def test_each_batch_ends_with_a_log_line_of_rates_and_shares(
    tmp_path: Path, running: tuple[Daemon, SlowEmbedder], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="semfind")
    worker, embedder = running
    notes = _notes(tmp_path / "notes", 3)
    assert worker._handle({"cmd": "watch_add", "paths": [str(notes)]})["ok"]
    wait_until(lambda: worker.status.indexed == 3 and _settled(worker), timeout=30)
    scanned = _hashes(worker)
    (notes / "n001.md").write_text("# Edited\n\nA kingfisher dives. The water is cold.\n")
    wait_until(lambda: any(m.startswith("changes: embedded") for m in _lines(caplog)))

    lines = _lines(caplog)
    scan = next(m for m in lines if m.startswith(f"scanned {notes}: embedded "))
    change = next(m for m in lines if m.startswith("changes: embedded "))
    shape = (
        r"embedded (\d+) units?, [\d,]+ tokens in [\d.]+ s = [\d,]+ tokens/s, [\d.]+ units/s; "
        r"embedded tokens: passages \d+ %, propositions \d+ %, "
        r"added context \(title, headings\) \d+ %"
    )
    counts = [re.search(shape, m) for m in (scan, change)]
    assert counts[0] and int(counts[0][1]) == scanned
    assert counts[1] and int(counts[1][1]) == _hashes(worker, "n001.md")
    assert embedder.embedded_texts, "the units were embedded by this embedder"


def _hashes(worker: Daemon, name: str = "") -> int:
    """Distinct embedding texts of the units (of files named `name`): one vector each."""
    with Store.open(worker.db, readonly=True) as store:
        rows = store.conn.execute(
            "SELECT count(DISTINCT u.embed_hash) FROM units u JOIN files f ON f.id = u.file_id"
            " WHERE f.path LIKE ?",
            (f"%{name}",),
        )
        return int(rows.fetchall()[0][0])


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records]


def _printed(status: DaemonStatus) -> str:
    out = io.StringIO()
    print_status(Console(file=out, width=200, highlight=False), status)
    return out.getvalue()


def test_daemon_status_prints_the_shares_in_the_words_of_semfind_index() -> None:
    shares = TokenShares(passages=450, parts=400, context=150)
    report = IndexReport(embedded=10, tokens=1000, embed_seconds=1.0, shares=shares)
    out = io.StringIO()
    print_report(Console(file=out, width=200, highlight=False), report, "m")
    index_words = next(line for line in out.getvalue().splitlines() if "passages" in line)

    split = TokenShares(450, 400, 150)
    printed = _printed(daemon_status(shares=Shares(TokenShares(900, 800, 300), split)))
    assert index_words == f"embedded tokens: {split.describe()}"
    assert (
        "embedded tokens since start: passages 45 %, propositions 40 %, "
        "added context (title, headings) 15 % (2,000 tokens)"
    ) in printed
    assert f"embedded tokens this run: {split.describe()} (1,000 tokens)" in printed


@pytest.mark.parametrize(
    ("coverage", "words"),
    [
        (Coverage("MiniLM", 61_482, 0), "vectors for MiniLM: all 61,482 units have one"),
        (
            Coverage("MiniLM", 1000, 600),
            "vectors for MiniLM: 40 % of 1,000 units (600 without one yet): "
            "results by keyword only for the rest",
        ),
        (Coverage("MiniLM", 1000, 1), "vectors for MiniLM: 99 % of 1,000 units (1 without"),
        (Coverage("MiniLM", 0, 0), "vectors for MiniLM: the index holds no units yet"),
    ],
)
def test_daemon_status_prints_the_vector_coverage(coverage: Coverage, words: str) -> None:
    assert words in _printed(daemon_status(coverage=coverage))


def test_an_older_daemon_without_shares_or_coverage_prints_neither() -> None:
    printed = _printed(daemon_status())
    assert "embedded tokens" not in printed and "vectors for" not in printed
    assert "throughput (last minute)" in printed


def test_shares_since_start_count_finished_runs_the_one_in_progress_and_one_set_aside(
    tmp_path: Path, daemon_files: DaemonFiles
) -> None:
    """A bulk scan set aside while a live edit goes ahead still counts since the start."""
    worker = Daemon(Settings(db=tmp_path / "i.sqlite3"), lambda s: FakeEmbedder(), daemon_files)
    finished, bulk, live = (
        IndexReport(shares=TokenShares(passages=p, parts=2 * p, context=p // 10))
        for p in (100, 40, 7)
    )
    worker._account(finished)
    worker._aside, worker._live = bulk, live
    shares = worker._status().shares
    assert shares == Shares(TokenShares(147, 294, 14), TokenShares(7, 14, 0))
    worker._account(live)  # the live edit ends; the scan is put back
    worker._aside, worker._live = None, bulk
    assert worker._status().shares == Shares(TokenShares(147, 294, 14), TokenShares(40, 80, 4))
