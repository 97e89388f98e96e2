"""`semfind models`: list, add and choose GGUF embedding models."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.table import Table

from semfind.engine.default_model import DEFAULT_EMBEDDER, INSTALL_HINT, default_gguf_path
from semfind.engine.errors import ModelError, UsageError

if TYPE_CHECKING:
    from semfind.engine.gguf_info import GGUFInfo

    from .cli import Context

out = Console(highlight=False)


@click.group()
def models() -> None:
    """GGUF embedding models: the built-in default and your own."""


@models.command("list")
@click.pass_obj
def list_models(obj: Context) -> None:
    """Show the models semfind knows and which one is in use."""
    from semfind.engine.models import Registry

    registry = Registry()
    chosen = obj.settings.embed_model or registry.in_use("embedder") or DEFAULT_EMBEDDER
    if chosen == "default":
        chosen = DEFAULT_EMBEDDER
    table = Table("", "name", "source", "arch", "dim", "ctx", "pooling", "quant", "size", "path")
    table.add_row(*_row(DEFAULT_EMBEDDER, "built-in", default_gguf_path(), chosen))
    for entry in registry.models():
        table.add_row(*_row(entry.name, "added", entry.path, chosen))
    out.print(table)
    if not default_gguf_path().exists():
        out.print(
            "[dim]the built-in model is converted on first use; "
            f"if it is missing, {INSTALL_HINT}[/]"
        )


def _row(name: str, source: str, path: Path, chosen: str) -> list[str]:
    from semfind.engine.gguf_info import read_gguf_info

    mark = "*" if name == chosen else ""
    try:
        info: GGUFInfo | None = read_gguf_info(path) if path.exists() else None
    except ModelError:
        info = None
    if info is None:
        state = "not converted yet" if source == "built-in" else "missing or invalid"
        return [mark, name, source, state, "", "", "", "", "", str(path)]
    return [
        mark,
        name,
        source,
        info.architecture,
        str(info.n_embd or ""),
        str(info.n_ctx_train or ""),
        info.pooling or "",
        info.file_type or "",
        f"{info.size_bytes / 1e6:.1f} MB",
        str(path),
    ]


@models.command("add")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", help="Name to refer to it by (default: the file name).")
@click.option("--use", "use_it", is_flag=True, help="Also make it the embedding model in use.")
def add(path: Path, name: str | None, use_it: bool) -> None:
    """Register a GGUF embedding model file (its header is checked)."""
    from semfind.engine.models import add_model

    spec = add_model(path, name)
    info = spec.info
    out.print(
        f"added [bold]{spec.name}[/]: {info.architecture}, dim {info.n_embd}, "
        f"context {info.n_ctx_train}, pooling {info.pooling or 'unspecified'}, {info.file_type}"
    )
    if info.pooling in (None, "none"):
        out.print(
            "[yellow]warning:[/] its header sets no pooling; it may not be an embedding model"
        )
    if use_it:
        _use(spec.name)


@models.command("use")
@click.argument("name")
def use(name: str) -> None:
    """Embed with NAME from now on (vectors of other models are kept)."""
    _use(name)


def _use(name: str) -> None:
    from semfind.engine.models import Registry

    registry = Registry()
    if name not in ("default", DEFAULT_EMBEDDER) and registry.get(name) is None:
        raise UsageError(f"unknown model {name!r}: see `semfind models list`")
    registry.use("embedder", DEFAULT_EMBEDDER if name == "default" else name)
    registry.save()
    out.print(f"embedding model in use: [bold]{name}[/]; run `semfind index` to embed with it")
