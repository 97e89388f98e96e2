"""`semfind models`: list, add and choose GGUF embedding models."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich import box
from rich.console import Console
from rich.table import Table

from semfind.engine.default_model import DEFAULT_EMBEDDER
from semfind.engine.errors import UsageError

if TYPE_CHECKING:
    from .cli import Context

out = Console(highlight=False)


@click.group()
def models() -> None:
    """GGUF embedding models: the built-in default and your own."""


@models.command("list")
@click.pass_obj
def list_models(obj: Context) -> None:
    """Show the models semfind knows (* marks those in use), with their GGUF header facts."""
    from semfind.engine.catalog import model_catalog

    from .model_rows import COLUMNS, model_row

    # Paths are long: they go under the table, so the facts stay on one line each.
    table = Table(*COLUMNS[:-1], box=box.SIMPLE_HEAD, pad_edge=False)
    rows = [model_row(entry) for entry in model_catalog(obj.settings)]
    table.columns[2].min_width = max((len(row[2]) for row in rows), default=4)
    for row in rows:
        table.add_row(*row[:-1])
    out.print(table)
    for row in rows:
        out.print(f"{row[2]}: {row[-1]}", soft_wrap=True, highlight=False)


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
