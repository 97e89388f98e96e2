"""When the daemon's indexing waits: paused by the user, the disk full, or on battery."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from semfind.engine.config import Settings

log = logging.getLogger("semfind.indexer.daemon.daemon")  # the daemon's log, as before

POWER_CHECK_S = 15.0
"""How often the power source is checked (pause_on_battery)."""
DISK_RETRY_S = 15.0
"""After a full disk, indexing waits this long before it tries again."""


class PausePolicy:
    """Says whether indexing waits and why; read by control threads, set by the indexer."""

    def __init__(self, settings: Settings, power: Callable[[], bool]) -> None:
        self._settings = settings
        self._power = power
        self.asked = threading.Event()
        """Paused on request (`semfind daemon pause`)."""
        self.on_battery = False
        self._battery_override = False
        self._power_checked = -POWER_CHECK_S
        self._disk_full_until: float | None = None
        """While set, the disk was full: indexing waits until then, then tries again."""

    def held(self) -> bool:
        """Whether indexing waits: paused on request, disk full, or on battery without an
        override."""
        return self.reason() is not None

    def reason(self) -> str | None:
        if self.asked.is_set():
            return "asked"
        if self._disk_full_until is not None and time.monotonic() < self._disk_full_until:
            return (
                "disk full: nothing is lost; free some space, then `semfind daemon pause "
                f"--resume` (or wait: it tries again every {DISK_RETRY_S:g} s)"
            )
        if self.on_battery and self._settings.pause_on_battery and not self._battery_override:
            return "on battery"
        return None

    def ask(self, pause: bool) -> None:
        """The user pauses or resumes; resuming also overrides the battery and a full disk."""
        if pause:
            self.asked.set()
        else:
            self.asked.clear()
            self._battery_override = self.on_battery  # until mains power returns
            self._disk_full_until = None  # space was freed: try at once

    def disk_full(self) -> None:
        self._disk_full_until = time.monotonic() + DISK_RETRY_S

    def check_power(self) -> None:
        """Look at the power source, at most every POWER_CHECK_S seconds."""
        if not self._settings.pause_on_battery:
            return
        now = time.monotonic()
        if now - self._power_checked < POWER_CHECK_S:
            return
        self._power_checked = now
        was = self.on_battery
        self.on_battery = self._power()
        if was != self.on_battery:
            log.info("power: %s", "on battery" if self.on_battery else "on mains")
            if not self.on_battery:
                self._battery_override = False
