"""The daemon's event stream: what it publishes reaches every subscriber, slow ones aside."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from typing import Any

from semfind.indexer.daemon.protocol import StatusEvent, Stopped

Published = StatusEvent | Stopped
INBOX = 256
"""Events a subscriber may fall behind by; later ones are dropped for it."""


class Publisher:
    def __init__(self, stopping: threading.Event) -> None:
        self._stopping = stopping
        self._inboxes: list[queue.Queue[Published]] = []
        self._lock = threading.Lock()

    def publish(self, event: Published) -> None:
        with self._lock:
            # A slow subscriber misses progress events; it never blocks indexing.
            for inbox in self._inboxes:
                with contextlib.suppress(queue.Full):
                    inbox.put_nowait(event)

    def serve(
        self, send: Callable[[dict[str, Any]], bool], first: Callable[[], StatusEvent]
    ) -> None:
        """Serve one subscriber: `first()`, then events until it hangs up or the daemon
        stops."""
        inbox: queue.Queue[Published] = queue.Queue(maxsize=INBOX)
        with self._lock:
            self._inboxes.append(inbox)
        try:
            if not send(first().to_json()):
                return
            while not self._stopping.is_set():
                try:
                    event = inbox.get(timeout=1.0)
                except queue.Empty:
                    continue
                if not send(event.to_json()):
                    return
        finally:
            with self._lock:
                self._inboxes.remove(inbox)
