"""The control protocol's types: the JSON they write is exactly what the daemon sends."""

from __future__ import annotations

import json
from typing import Any

import pytest

from semfind.engine.embed.token_shares import TokenShares
from semfind.engine.errors import DaemonError
from semfind.indexer.daemon.protocol import (
    Coverage,
    DaemonStatus,
    Idle,
    PauseReply,
    Shares,
    StatusEvent,
    Stopped,
    Switching,
    VectorPass,
    event_from_json,
)

# `semfind daemon status --json` of a real daemon before the status was typed ("running" is
# the CLI's own key).
SENT = json.loads(
    '{"pid": 2829, "state": "idle", "paused_reason": null, "on_battery": false, '
    '"db": "/tmp/idx.sqlite3", "watches": [{"path": "/tmp/ex", "mode": "native"}], '
    '"queue": 0, "current": "", "files_done": 5, "indexed": 5, "unchanged": 0, "removed": 0, '
    '"moved": 0, "failed": [{"path": "/tmp/ex/bad.pdf", "reason": "corrupt PDF"}], '
    '"run": {"total": 5, "done": 5, "remaining": 0}, "eta_s": null, '
    '"tokens_per_s": 3993.57, "units_per_s": 123.1, "backend": {"backend": "llama.cpp", '
    '"device": "CPU", "threads": 2, "n_gpu_layers": 0, "description": "llama.cpp on CPU, '
    '2 threads, n_gpu_layers=0", "model": "all-MiniLM-L6-v2-Q8_0"}, "switching": null, '
    '"rss_mb": 166.76, "uptime_s": 8.59}'
)


def test_a_status_reads_and_writes_the_same_json_in_the_same_key_order() -> None:
    status = DaemonStatus.from_json(SENT)
    assert status.failed[0].reason == "corrupt PDF" and status.backend is not None
    assert status.backend.model == "all-MiniLM-L6-v2-Q8_0" and status.run.done == 5
    written = status.to_json()
    assert written == SENT and list(written) == list(SENT)
    assert json.dumps(written) == json.dumps(SENT)


@pytest.mark.parametrize(
    "switching",
    [
        {"error": "no such model"},
        {"name": "bge-small", "done": 10, "total": 40, "error": None},
    ],
)
def test_a_model_switch_keeps_its_keys(switching: dict[str, Any]) -> None:
    sent = {**SENT, "switching": switching}
    status = DaemonStatus.from_json(sent)
    assert isinstance(status.switching, Switching)
    assert status.to_json()["switching"] == switching


def test_a_vector_pass_in_progress_keeps_its_keys() -> None:
    sent = {**SENT, "vectors": {"todo": 120, "done": 48}}
    status = DaemonStatus.from_json(sent)
    assert status.vectors == VectorPass(todo=120, done=48)
    assert status.to_json() == sent
    assert DaemonStatus.from_json(SENT).vectors is None


SHARES = {
    "since_start": {"passages": 900, "parts": 800, "context": 300},
    "run": {"passages": 45, "parts": 40, "context": 15},
}
COVERAGE = {"model": "all-MiniLM-L6-v2-Q8_0", "units": 61482, "without": 1200}


def test_token_shares_and_the_vector_coverage_keep_their_keys() -> None:
    sent = {**SENT, "shares": SHARES, "coverage": COVERAGE}
    status = DaemonStatus.from_json(sent)
    assert status.shares == Shares(TokenShares(900, 800, 300), TokenShares(45, 40, 15))
    assert status.coverage == Coverage("all-MiniLM-L6-v2-Q8_0", 61482, 1200)
    assert status.to_json() == sent
    between_runs = {**sent, "shares": {**SHARES, "run": None}}
    assert DaemonStatus.from_json(between_runs).to_json() == between_runs


def test_a_status_from_a_daemon_older_than_the_shares_has_none() -> None:
    status = DaemonStatus.from_json(SENT)
    assert status.shares is None and status.coverage is None


@pytest.mark.parametrize(
    "change",
    [
        {"shares": {**SHARES, "run": {"passages": 1, "parts": 2}}},
        {"shares": {**SHARES, "since_start": {"passages": -1, "parts": 0, "context": 0}}},
        {"shares": {**SHARES, "since_start": {"passages": "9", "parts": 0, "context": 0}}},
        {"shares": {"run": None}},
        {"coverage": {**COVERAGE, "without": 61483}},
        {"coverage": {**COVERAGE, "units": 1.5}},
    ],
    ids=["missing", "negative", "text", "no-total", "more-without", "float"],
)
def test_malformed_shares_or_coverage_are_a_daemon_error(change: dict[str, Any]) -> None:
    with pytest.raises(DaemonError, match="malformed status"):
        DaemonStatus.from_json({**SENT, "shares": SHARES, "coverage": COVERAGE, **change})


def test_events_carry_the_status_after_their_kind() -> None:
    progress = event_from_json({"event": "progress", **SENT})
    assert isinstance(progress, StatusEvent) and progress.kind == "progress"
    assert progress.to_json() == {"event": "progress", **SENT}
    assert event_from_json({"event": "stopped"}) == Stopped()
    assert Stopped().to_json() == {"event": "stopped"}
    assert event_from_json({"event": "idle"}) == Idle()
    assert event_from_json({"event": "from a newer daemon"}) is None


@pytest.mark.parametrize(
    "change",
    [{"state": "dancing"}, {"pid": "x"}, {"watches": [{"path": "/a"}]}, {"run": None}],
    ids=["state", "pid", "watch", "run"],
)
def test_a_malformed_status_is_a_daemon_error(change: dict[str, Any]) -> None:
    with pytest.raises(DaemonError, match="malformed status"):
        DaemonStatus.from_json({**SENT, **change})
    with pytest.raises(DaemonError, match="malformed event"):
        event_from_json({"event": "status", **SENT, **change})


def test_a_missing_key_is_a_daemon_error() -> None:
    sent = dict(SENT)
    del sent["queue"]
    with pytest.raises(DaemonError, match="malformed status"):
        DaemonStatus.from_json(sent)


def test_pause_reply() -> None:
    reply = PauseReply.from_json({"ok": True, "paused": True, "reason": "on battery"})
    assert reply == PauseReply(True, "on battery")
    assert reply.to_json() == {"ok": True, "paused": True, "reason": "on battery"}
