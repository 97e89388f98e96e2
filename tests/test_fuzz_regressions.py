"""Inputs bench/fuzz.py found to crash semfind, each kept as a plain test (no atheris)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from semfind.engine.errors import DaemonError
from semfind.indexer.daemon import control
from semfind.indexer.extract.decode import decode_text
from semfind.indexer.extract.document import Document, Page
from semfind.indexer.extract.extractors import extract
from semfind.indexer.segment.passages import passages
from semfind.indexer.segment.propositions import RuleSegmenter

NESTED = b"[" * 5000 + b"]" * 5000


def _words(text: str) -> int:
    return 1 + len(text.split())


# -- html: a <meta charset> naming a codec that raises UnicodeError, not UnicodeDecodeError


def test_a_charset_naming_the_undefined_codec_falls_back() -> None:
    doc = extract(Path("page.html"), b'<meta charset="undefined"><p>caf\xe9 au lait</p>')
    assert "au lait" in doc.pages[0].text
    assert decode_text(b"caf\xe9 au lait", hint="undefined").endswith("au lait")


# -- segmenter: clause cutting recursed once per clause, and was quadratic


def test_a_sentence_of_thousands_of_clauses_is_segmented() -> None:
    text = "alpha beta gamma delta; " * 1500
    doc = Document("text", "notes.txt", (Page(text),))
    units = RuleSegmenter().segment(doc, passages(doc, _words, 256))
    assert len(units) == 1500
    assert {u.text.rstrip(";") for u in units} == {"alpha beta gamma delta"}


def test_clause_cutting_takes_linear_time() -> None:
    text = "; " * 32000  # took 40 s when each match counted the words to the sentence's end
    doc = Document("text", "notes.txt", (Page(text),))
    started = time.monotonic()
    RuleSegmenter().segment(doc, passages(doc, _words, 256))
    assert time.monotonic() - started < 10


def test_finding_each_propositions_passage_takes_linear_time() -> None:
    """Found as a libFuzzer timeout: a tiny token budget, so thousands of passages, and each
    proposition scanned them all for its parent."""
    text = "Alpha beta gamma delta. " * 20000
    doc = Document("text", "notes.txt", (Page(text),))
    units = passages(doc, _words, 5)  # one sentence each
    started = time.monotonic()
    props = RuleSegmenter().segment(doc, units)
    assert time.monotonic() - started < 5  # took 20 s and more
    assert [p.parent_ord for p in props] == [u.ord for u in units]


# -- control socket: json.loads raises RecursionError on deep nesting, and events yielded any
#    JSON value


def test_a_deeply_nested_request_gets_an_error_reply(tmp_path: Path) -> None:
    server = control.ControlServer(
        tmp_path / "s.sock", lambda request: {"ok": True}, lambda send: None
    )
    server.start()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(str(server.path))
            sock.sendall(NESTED + b"\n" + b'{"cmd": "status"}\n')
            with sock.makefile("rb") as replies:
                first, second = replies.readline(), replies.readline()
    finally:
        server.stop()
    reply = json.loads(first)
    assert reply["ok"] is False and "malformed request" in reply["error"]
    assert json.loads(second) == {"ok": True}  # the connection is still served


@pytest.fixture
def daemon_sends(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[bytes], None]]:
    """Makes the client's next connection read `payload` and then the end of the stream."""
    peers: list[socket.socket] = []

    def sends(payload: bytes) -> None:
        def connect(path: Path, timeout: float | None) -> socket.socket:
            ours, theirs = socket.socketpair()
            ours.settimeout(10)
            theirs.sendall(payload)
            theirs.shutdown(socket.SHUT_WR)  # still reads what the client sends
            peers.append(theirs)
            return ours

        monkeypatch.setattr(control, "_connect", connect)

    yield sends
    for peer in peers:
        peer.close()


def test_a_deeply_nested_reply_is_a_daemon_error(daemon_sends: Callable[[bytes], None]) -> None:
    daemon_sends(NESTED + b"\n")
    with pytest.raises(DaemonError, match="maximum recursion depth"):
        control.request(Path("unused"), {"cmd": "status"})


@pytest.mark.parametrize(
    "line", [b"[1, 2]", b"not json", NESTED, b'"\xff"'], ids=["array", "text", "nested", "bytes"]
)
def test_an_event_that_is_not_an_object_is_a_daemon_error(
    daemon_sends: Callable[[bytes], None], line: bytes
) -> None:
    daemon_sends(b'{"event": "status"}\n' + line + b"\n")
    seen: list[dict[str, Any]] = []
    with pytest.raises(DaemonError, match="malformed event"):
        seen.extend(control.events(Path("unused")))
    assert seen == [{"event": "status"}]
