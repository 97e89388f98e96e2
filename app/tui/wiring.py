"""The real services behind the app: the index on disk, the daemon, models on disk."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from ..daemon_client import DaemonClient
from .services import EngineIndex, Services

if TYPE_CHECKING:
    from semfind.engine.config import Settings


def build_services(settings: Settings) -> Services:
    """Nothing heavy happens here: the model loads in a worker after the first paint."""
    from semfind.engine.catalog import model_catalog
    from semfind.engine.models import open_embedder

    return Services(
        settings=settings,
        index=EngineIndex(settings, open_embedder),
        daemon=DaemonClient(settings),
        models=partial(model_catalog, settings),
        answerer=None,
    )
