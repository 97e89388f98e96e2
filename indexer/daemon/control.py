"""The daemon's control socket: newline-delimited JSON over a Unix domain socket.

Every request is one JSON object on one line, at most MAX_MESSAGE bytes, with a "cmd"
field. Every reply is one JSON object on one line: {"ok": true, ...} or
{"ok": false, "error": "..."}. "subscribe" keeps the connection open and streams one
{"event": ...} object per line until the client hangs up.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import socketserver
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from semfind.engine.errors import DaemonError, DaemonNotRunningError
from semfind.indexer.daemon.protocol import COMMANDS as COMMANDS  # bench/fuzz.py reads it here

MAX_MESSAGE = 64 * 1024
"""Longest request line; a longer one gets an error reply and the connection is closed."""
MAX_QUERY_TEXTS = 16
"""Texts one "embed" request may carry: it serves searches, not indexing."""

Handler = Callable[[dict[str, Any]], dict[str, Any]]
Subscriber = Callable[[Callable[[dict[str, Any]], bool]], None]


class ControlServer:
    """Serves requests on a 0600 socket; `handle` answers one request, `subscribe` streams."""

    def __init__(self, path: Path, handle: Handler, subscribe: Subscriber) -> None:
        self.path = path
        self._handle, self._subscribe = handle, subscribe
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if path.exists() or path.is_symlink():
            path.unlink()  # left by a daemon that died; the pid lock proved none is running
        old_mask = os.umask(0o177)
        try:
            self._server = _Server(str(path), _RequestHandler)
        finally:
            os.umask(old_mask)
        os.chmod(path, 0o600)
        self._server.control = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="semfind-control", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def answer(self, request: object) -> dict[str, Any]:
        """The reply to one parsed request; never raises."""
        if not isinstance(request, dict) or request.get("cmd") not in COMMANDS:
            return error(f"unknown request; commands are: {', '.join(COMMANDS)}")
        try:
            return self._handle(request)
        except Exception as exc:
            return error(f"{type(exc).__name__}: {exc}")


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    control: ControlServer


class _RequestHandler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        control = self.server.control
        while True:
            line = self.rfile.readline(MAX_MESSAGE + 1)
            if not line:
                return
            if len(line) > MAX_MESSAGE or not line.endswith(b"\n"):
                self._drain(line)
                self._send(error(f"request longer than {MAX_MESSAGE} bytes"))
                return
            try:
                request = json.loads(line)
            except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, nested too deep
                request = None
                if not self._send(error(f"malformed request: {exc}")):
                    return
                continue
            if isinstance(request, dict) and request.get("cmd") == "subscribe":
                control._subscribe(self._send)
                return
            if not self._send(control.answer(request)):
                return

    def _drain(self, line: bytes) -> None:
        """Read the rest of an oversized line (up to a bound) so the client can read the reply
        instead of having its send reset."""
        budget = 64 * MAX_MESSAGE
        while line and not line.endswith(b"\n") and budget > 0:
            line = self.rfile.readline(MAX_MESSAGE)
            budget -= len(line)

    def _send(self, message: dict[str, Any]) -> bool:
        try:
            self.wfile.write(json.dumps(message).encode() + b"\n")
            self.wfile.flush()
        except OSError:
            return False
        return True


def error(message: str) -> dict[str, Any]:
    return {"ok": False, "error": message}


# -- client -----------------------------------------------------------------------


def request(path: Path, message: dict[str, Any], timeout: float | None = 10.0) -> dict[str, Any]:
    """Send one request and return the reply; DaemonError when the daemon refuses it."""
    with _connect(path, timeout) as sock:
        try:
            sock.sendall(json.dumps(message).encode() + b"\n")
            reply = _read_line(sock)
        except (OSError, ValueError, RecursionError) as exc:  # reset, broken pipe, cut short
            raise DaemonError(f"the daemon's answer was lost: {exc}") from exc
    if not reply.get("ok"):
        raise DaemonError(str(reply.get("error", "the daemon refused the request")))
    return reply


IDLE = {"event": "idle"}
"""Yielded by `events(..., idle=...)` when nothing came for that long."""


def events(path: Path, idle: float | None = None) -> Iterator[dict[str, Any]]:
    """Progress events from the daemon until it stops or the caller stops iterating.

    With `idle` seconds, IDLE is yielded whenever nothing arrived for that long, so a
    caller that must stop on request is never stuck in a read.
    """
    with _connect(path, idle) as sock:
        sock.sendall(b'{"cmd": "subscribe"}\n')
        buffer = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                yield IDLE
                continue
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                yield _event(line)


def _connect(path: Path, timeout: float | None) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError) as exc:
        sock.close()
        raise DaemonNotRunningError("the semfind daemon is not running") from exc
    except OSError as exc:
        sock.close()
        raise DaemonError(f"cannot reach the daemon at {path}: {exc}") from exc
    return sock


def _read_line(sock: socket.socket) -> dict[str, Any]:
    chunks: list[bytes] = []
    while True:
        try:
            chunk = sock.recv(65536)
        except TimeoutError as exc:
            raise DaemonError("the daemon did not answer in time") from exc
        if not chunk:
            break
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            break
    data = b"".join(chunks)
    if not data:
        raise DaemonError("the daemon closed the connection without answering")
    reply = json.loads(data)
    if not isinstance(reply, dict):
        raise DaemonError("the daemon sent a malformed reply")
    return reply


def _event(line: bytes) -> dict[str, Any]:
    """One line of the event stream; DaemonError when it is not a JSON object."""
    try:
        event = json.loads(line)
    except (ValueError, RecursionError) as exc:  # not UTF-8, not JSON, nested too deep
        raise DaemonError(f"the daemon sent a malformed event: {exc}") from exc
    if not isinstance(event, dict):
        raise DaemonError("the daemon sent a malformed event")
    return event
