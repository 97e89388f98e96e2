"""Changing the embedding model without losing search or vectors.

`semfind models use NEW` makes NEW the *target*: search keeps using the current model
while NEW's vectors are built (by the daemon in the background, or `semfind models build`),
and the registry switches to NEW in one atomic write once every unit has a NEW vector.
The old vectors stay, so `semfind models rollback` switches back at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from semfind.engine.config import ComposeVectors, Settings
from semfind.engine.embed.base import Embedder
from semfind.engine.embed.compose import PieceCache
from semfind.engine.embed.composed_vectors import composed_vectors
from semfind.engine.errors import UsageError
from semfind.engine.models.registry import ModelSpec, Registry, embedder_spec
from semfind.engine.store.store import Store

if TYPE_CHECKING:
    import numpy as np

    from semfind.engine.store.records import VectorlessUnit

CHUNK = 256
"""Units given vectors and committed together: a stop loses at most one chunk's work."""
FILE_PAGE = 64
"""Files whose units are read together, so a passage and its propositions meet."""
UNIT_PAGE = 4096
"""Vectorless units read from those files at a time."""

ROLE = "embedder"


@dataclass(frozen=True)
class Progress:
    """How far the target model's vectors are."""

    name: str
    done: int
    total: int

    @property
    def complete(self) -> bool:
        return self.done >= self.total

    def describe(self) -> str:
        share = 100.0 * self.done / self.total if self.total else 100.0
        return f"{self.name}: {self.done:,} of {self.total:,} vectors ({share:.0f}%)"


def active_name(registry: Registry) -> str:
    return registry.chosen_embedder()


def progress(store: Store, spec: ModelSpec) -> Progress:
    """Distinct unit texts the model has vectors for, out of all of them."""
    total = store.distinct_texts()
    model = store.find_model(spec.key)
    missing = len(store.units_without_vectors(model)) if model is not None else total
    return Progress(spec.name, total - missing, total)


def request(settings: Settings, registry: Registry, name: str, store: Store | None) -> str:
    """Ask for `name` as the embedder: "switched" when its vectors are already complete (or
    there is nothing to embed), "unchanged" when it is in use, else "pending"."""
    if settings.embed_model:
        raise UsageError(
            f"embed_model is set to {settings.embed_model!r} in the config or environment, "
            "and it wins over `semfind models use`; unset it first"
        )
    spec = embedder_spec(name, registry)
    if spec.name == active_name(registry):
        registry.set_target(ROLE, None)
        registry.save()
        return "unchanged"
    if store is None or progress(store, spec).complete:
        registry.switch(ROLE, spec.name)
        registry.save()
        return "switched"
    registry.set_target(ROLE, spec.name)
    registry.save()
    return "pending"


def target_spec(settings: Settings, registry: Registry) -> ModelSpec | None:
    """The model being prepared, unless the config pins the embedder."""
    name = registry.target(ROLE)
    if name is None or settings.embed_model:
        return None
    return embedder_spec(name, registry)


def build(
    store: Store,
    embedder: Embedder,
    cancelled: Callable[[], bool] = lambda: False,
    on_progress: Callable[[int, int], None] | None = None,
    *,
    part_floor: int,
    compose: ComposeVectors = "off",
) -> bool:
    """Embed every stored unit text `embedder` has no vector for (but the parts of passages
    under `part_floor` parts, Settings.vector_min_parts), file by file, a chunk per
    transaction, composing vectors from their pieces as the indexer does (`compose`,
    Settings.compose_vectors); True when none is left (False when cancelled first)."""
    model = store.ensure_model(embedder.key, embedder.name, embedder.dim, part_floor)
    model = store.set_part_floor(model, part_floor)
    total, done = len(store.units_without_vectors(model)), 0
    if not total:
        return True
    cache = PieceCache(embedder)
    after_file = 0
    while file_ids := store.file_ids(after_file, FILE_PAGE):
        after_file, after = file_ids[-1], 0
        while todo := store.vectorless_units(model, file_ids, None, after, UNIT_PAGE, compose):
            after = todo[-1].unit_id
            fresh = list({u.embed_hash: u for u in todo}.values())
            for start in range(0, len(fresh), CHUNK):
                if cancelled():
                    return False
                chunk = fresh[start : start + CHUNK]
                store.add_vectors(model, _vectors(cache, chunk, compose))
                done = min(total, done + len(chunk))
                if on_progress is not None:
                    on_progress(done, total)
    return not store.units_without_vectors(model)


def _vectors(
    cache: PieceCache, units: Sequence[VectorlessUnit], compose: ComposeVectors
) -> dict[str, np.ndarray]:
    """Normalised vectors of `units` by embedding hash: each embedded whole ("off"), or
    composed from the pieces `cache` holds or embeds."""
    if compose == "off":
        matrix = cache.embedder.embed([u.embed_input for u in units])
        return dict(zip([u.embed_hash for u in units], matrix, strict=True))
    return composed_vectors(cache, units)[0]


def finish(registry: Registry, name: str) -> None:
    """The atomic switch: one write of the registry puts `name` in use."""
    registry.switch(ROLE, name)
    registry.save()


def rollback(settings: Settings, registry: Registry, store: Store | None) -> tuple[str, str]:
    """Back to the embedder in use before the last switch: at once when its vectors are
    complete (they are kept), else once the few it lacks are built. Returns its name and
    the outcome as `request` does."""
    previous = registry.previous(ROLE)
    if previous is None:
        raise UsageError("no earlier embedding model to go back to")
    return previous, request(settings, registry, previous, store)
