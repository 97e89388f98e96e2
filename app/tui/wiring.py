"""The real services behind the app: the index on disk, the daemon, models on disk."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from ..daemon_client import DaemonClient
from .llm_link import LLMLink, llm_name
from .services import EngineIndex, Services

if TYPE_CHECKING:
    from semfind.engine.config import Settings


def build_services(settings: Settings) -> Services:
    """Nothing heavy happens here: the model loads in a worker after the first paint."""
    from semfind.engine.catalog import model_catalog
    from semfind.engine.llm import open_llm
    from semfind.engine.models import open_embedder

    index = EngineIndex(settings, open_embedder)
    name = llm_name(settings)
    return Services(
        settings=settings,
        index=index,
        daemon=DaemonClient(settings),
        models=partial(model_catalog, settings),
        answerer=LLMLink(settings, index, name, open_llm) if name else None,
    )
