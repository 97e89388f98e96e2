"""Garbage collection when the user is reading, not in the middle of a search.

Every results frame leaves a few thousand objects in reference cycles (Textual's strips
and their caches). Left to itself, Python's collector frees them at random moments, and a
full collection of the app's heap takes 50 to 150 ms, longer than the whole keystroke to
results budget; it also holds the GIL, so the search worker stops too. The app therefore
turns automatic collection off and collects the young generations right after results are
painted, and everything once the user has paused.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

QUIET_S = 0.5
"""A full collection runs once no key or click has come for this long."""
WORTH_IT = 1_000
"""Fewer new container objects than this since the last collection: nothing to do."""
FORCE_AFTER = 50_000
"""Collect the young generations regardless once this many piled up (the results of a
long-running search may never be painted while the user keeps typing)."""
FULL_AFTER = 300
"""A full collection regardless after this many young ones, for a user who never pauses."""


class IdleCollector:
    """Owns the collector while the app runs: `tick` on a timer, `after_paint` per frame
    of new results, `touched` per key press or click."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        pending: Callable[[], int] = lambda: gc.get_count()[0],
        collect: Callable[[int], object] = gc.collect,
    ) -> None:
        self._clock, self._pending, self._collect = clock, pending, collect
        self._last_input = clock()
        self._freeze = False
        self._was_enabled = False
        self._full_due = False
        self._young_runs = 0
        self.collected: list[int] = []
        """The generation of each collection made, oldest first (for tests)."""

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()

    def stop(self) -> None:
        """Give the collector back as it was found, with nothing left frozen."""
        gc.unfreeze()
        if self._was_enabled:
            gc.enable()

    def touched(self) -> None:
        self._last_input = self._clock()
        self._full_due = True

    def freeze_next(self) -> None:
        """The model and index are loaded: what survives the next full collection lives until
        exit, so it is frozen and no later collection walks it again."""
        self._freeze = self._full_due = True

    def after_paint(self) -> None:
        if self._pending() >= WORTH_IT:
            self._run(1)

    def tick(self) -> None:
        quiet = self._clock() - self._last_input >= QUIET_S
        if (self._full_due and quiet) or self._young_runs >= FULL_AFTER:
            self._run(2)
        elif self._pending() >= FORCE_AFTER:
            self._run(1)

    def _run(self, generation: int) -> None:
        self._collect(generation)
        self.collected.append(generation)
        self._young_runs += generation < 2
        if generation == 2:
            self._full_due, self._young_runs = False, 0
            if self._freeze:
                gc.freeze()
                self._freeze = False
