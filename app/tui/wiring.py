"""The real services behind the app: the index on disk, the daemon, models on disk."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from semfind.engine.session.engine import Engine

from ..daemon_client import DaemonClient
from .daemon_search import DaemonFirstIndex
from .llm_link import LLMLink
from .services import EngineIndex, Services

if TYPE_CHECKING:
    from semfind.engine.config import Settings
    from semfind.engine.embed.base import Embedder
    from semfind.engine.models.catalog import CatalogEntry


def build_services(settings: Settings) -> Services:
    """Nothing heavy happens here: the model loads in a worker after the first paint."""
    engine = Engine(settings, warm=True, open_embedder=_open_embedder)
    daemon = DaemonClient(settings)
    index = DaemonFirstIndex(EngineIndex(engine), daemon, settings)
    return Services(
        settings=settings,
        index=index,
        daemon=daemon,
        models=partial(_catalog, settings),
        answerer=LLMLink(engine, index),
    )


# Engine modules that read GGUF headers pull in numpy and gguf: imported on first use.
def _open_embedder(settings: Settings) -> Embedder:
    from ..query_embedder import query_embedder

    return query_embedder(settings)


def _catalog(settings: Settings) -> list[CatalogEntry]:
    from semfind.engine.models.catalog import model_catalog

    return model_catalog(settings)
