"""The file filters `search` and `ask` share: --path, --type and --since."""

from __future__ import annotations

from pathlib import Path

from semfind.engine.config import Settings, Units
from semfind.engine.search.query import Filters, parse_types, path_scope

from .since import Since, read_since


def cli_filters(
    settings: Settings,
    path_glob: str | None,
    types: tuple[str, ...],
    since: Since | None,
    units: Units | None = None,
) -> Filters:
    """Filters from the options as typed; a bad --type is a UsageError naming the kinds,
    a --path that is neither a folder, a file nor a glob one naming the problem."""
    return Filters(
        path_scope(path_glob) if path_glob is not None else None,
        parse_types(types, lambda ext: _indexable(settings, ext)),
        units or settings.units,
        since.time if since is not None else None,
    )


def read_since_option(text: str | None) -> Since | None:
    return read_since(text) if text is not None else None


def _indexable(settings: Settings, ext: str) -> bool:
    """Whether the indexer reads files ending in `.ext`, built in or a plugin of yours."""
    from semfind.indexer.extract.extractors import detect_kind

    plugins = {spec.partition("=")[0].lower().lstrip(".") for spec in settings.extractors}
    return ext in plugins or detect_kind(Path(f"file.{ext}")) is not None
