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
    """GGUF models for embedding and chat: built-in, added, and found on this machine."""


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


ROLE = click.Choice(["embedder", "llm"])


@models.command("add")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--name", help="Name to refer to it by (default: the file name).")
@click.option("--role", type=ROLE, help="embedder or llm (default: what its header suggests).")
@click.option("--use", "use_it", is_flag=True, help="Also put it in use for its role.")
def add(path: Path, name: str | None, role: str | None, use_it: bool) -> None:
    """Register a GGUF model file (its header is checked) as an embedder or a chat LLM."""
    from semfind.engine.models import add_model

    spec, role = add_model(path, name, role=role)
    info = spec.info
    out.print(
        f"added [bold]{spec.name}[/] as {role}: {info.architecture}, dim {info.n_embd}, "
        f"context {info.n_ctx_train}, pooling {info.pooling or 'unspecified'}, {info.file_type}"
    )
    if role == "embedder" and info.pooling in (None, "none"):
        out.print(
            "[yellow]warning:[/] its header sets no pooling; it may not be an embedding model"
        )
    if use_it:
        _use(spec.name, role)


@models.command("use")
@click.argument("name")
@click.option("--role", type=ROLE, help="embedder or llm (default: the role it was added as).")
def use(name: str, role: str | None) -> None:
    """Use NAME for its role from now on ("default" for the built-in one). Vectors of other
    embedding models are kept."""
    _use(name, role)


def _use(name: str, role: str | None) -> None:
    from semfind.engine.models import Registry

    registry = Registry()
    entry = registry.get(name)
    if name == DEFAULT_EMBEDDER:
        name, role = "default", "embedder"
    if name != "default" and entry is None:
        raise UsageError(f"unknown model {name!r}: see `semfind models list`")
    role = role or (entry.role if entry else "embedder")
    if entry is not None and entry.role != role:
        raise UsageError(f"{name!r} was added as {entry.role}, not {role}")
    registry.use(role, DEFAULT_EMBEDDER if name == "default" and role == "embedder" else name)
    registry.save()
    if role == "embedder":
        out.print(f"embedding model in use: [bold]{name}[/]; run `semfind index` to embed with it")
    else:
        out.print(f"LLM in use: [bold]{name}[/]")


@models.command("info")
@click.argument("name")
@click.pass_obj
def info(obj: Context, name: str) -> None:
    """Everything semfind knows of one model: its header facts, file, role and use."""
    from semfind.engine.catalog import model_catalog

    entries = [e for e in model_catalog(obj.settings) if name in (e.name, str(e.path))]
    if not entries:
        raise UsageError(f"unknown model {name!r}: see `semfind models list`")
    for entry in entries:
        facts = entry.info
        rows = [
            ("name", entry.name),
            ("role", entry.role),
            ("source", entry.source),
            ("in use", "yes" if entry.in_use else "no"),
            ("file", str(entry.path or "")),
        ]
        if facts is not None:
            rows += [
                ("architecture", facts.architecture),
                ("quantization", facts.file_type or "?"),
                ("dimension", str(facts.n_embd or "")),
                ("context", str(facts.n_ctx_train or "")),
                ("pooling", facts.pooling or "unspecified"),
                ("causal", {True: "yes", False: "no", None: "unspecified"}[facts.causal]),
                ("size", f"{facts.size_bytes / 1e6:,.1f} MB"),
            ]
        if entry.note:
            rows.append(("note", entry.note))
        width = max(len(key) for key, _ in rows)
        for key, value in rows:
            out.print(f"{key:<{width}}  {value}", soft_wrap=True, highlight=False)
