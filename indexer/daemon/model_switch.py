"""The daemon's embedding model, and the background build of a new one (engine.models.switch)."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from semfind.engine.config import Settings
from semfind.engine.embed.base import Embedder, normalise
from semfind.engine.errors import ModelError, SemfindError
from semfind.engine.models.registry import Registry, registry_path
from semfind.engine.models.switch import ROLE, Progress, active_name, build, finish
from semfind.engine.store.store import Store
from semfind.indexer.daemon.protocol import Switching

log = logging.getLogger("semfind.daemon")


class EmbedderKeeper:
    """Holds the model files are embedded with; when idle, builds the target model's vectors
    chunk by chunk and switches to it once they are complete."""

    def __init__(self, settings: Settings, open_embedder: Callable[[Settings], Embedder]) -> None:
        self.settings = settings
        self._open = open_embedder
        self.embedder = open_embedder(settings)
        self._swap = threading.Lock()
        """Held while the model in use is replaced, so a query never meets a closed one."""
        self._target: Embedder | None = None
        self.progress: Progress | None = None
        self.error: str | None = None
        self._seen: int | None = None
        """The registry's mtime when last followed: idle ticks read it only after a change."""

    @property
    def pinned(self) -> bool:
        """The config names the embedder: `semfind models use` does not apply."""
        return bool(self.settings.embed_model or self.settings.embed_url)

    def maintain(self, store: Store, cancelled: Callable[[], bool]) -> bool:
        """Follow the registry; True when the model in use changed."""
        if self.pinned:
            return False
        stamp = _mtime(registry_path())
        if stamp == self._seen and self._target is None:
            return False
        self._seen = stamp
        try:
            return self._follow(store, cancelled)
        except SemfindError as exc:
            self._give_up(str(exc))
            return False

    def _follow(self, store: Store, cancelled: Callable[[], bool]) -> bool:
        registry = Registry()
        changed = False
        if active_name(registry) != self.embedder.name:  # switched or rolled back elsewhere
            self._replace(self._named(active_name(registry)))
            build(
                store,
                self.embedder,
                cancelled,
                part_floor=self.settings.vector_min_parts,
                compose=self.settings.compose_vectors,
            )
            changed = True
        target = registry.target(ROLE)
        if target is None:
            self._drop_target()
            return changed
        if self._target is None or self._target.name != target:
            self._drop_target()
            self._target = self._named(target)
            log.info("building vectors for %s in the background", target)
        complete = build(
            store,
            self._target,
            cancelled,
            self._count(target),
            part_floor=self.settings.vector_min_parts,
            compose=self.settings.compose_vectors,
        )
        if complete and Registry().target(ROLE) == target:
            finish(Registry(), target)
            log.info("switched the embedding model to %s", target)
            self._replace(self._target)
            self._target, self.progress = None, None
            return True
        return changed

    def _count(self, name: str) -> Callable[[int, int], None]:
        def update(done: int, total: int) -> None:
            self.progress = Progress(name, done, total)

        return update

    def _named(self, name: str) -> Embedder:
        return self._open(dataclasses.replace(self.settings, embed_model=name))

    def embed_queries(self, texts: Sequence[str]) -> tuple[Embedder, np.ndarray]:
        """The model in use and its normalised vectors for `texts`, for a search in another
        process. Called from control threads; the throughput figures stay the indexer's."""
        with self._swap:
            embedder = self.embedder
            vectors = embedder.embed_batch(texts)[0] if texts else np.zeros((0, embedder.dim))
            return embedder, normalise(np.asarray(vectors, dtype=np.float32))

    def embed_search(self, texts: Sequence[str], key: str) -> tuple[np.ndarray, int]:
        """Raw vectors (as Embedder.embed_batch) for the daemon's own searcher, from the
        model in use when it is still the one with `key`. Taking turns with the indexer a
        llama.cpp batch at a time, as "embed" does."""
        with self._swap:
            if self.embedder.key != key:
                raise ModelError("the daemon switched its embedding model during the search")
            return self.embedder.embed_batch(texts)

    def _replace(self, embedder: Embedder) -> None:
        with self._swap:
            old, self.embedder = self.embedder, embedder
        if embedder is not old:
            old.close()

    def _drop_target(self) -> None:
        if self._target is not None:
            self._target.close()
        self._target, self.progress = None, None

    def _give_up(self, reason: str) -> None:
        """A target that cannot be loaded is dropped, so the daemon does not retry forever."""
        log.error("cannot switch the embedding model: %s", reason)
        self.error = reason
        registry = Registry()
        registry.set_target(ROLE, None)
        registry.save()
        self._drop_target()

    def status(self) -> Switching | None:
        if self.progress is None:
            return None if self.error is None else Switching(self.error)
        progress = self.progress
        return Switching(self.error, progress.name, progress.done, progress.total)

    def close(self) -> None:
        self._drop_target()
        with self._swap:  # a query from a control thread may still be embedding
            self.embedder.close()


def _mtime(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
