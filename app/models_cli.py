"""`semfind models`: list, add and choose GGUF embedding models."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress

from semfind.engine.errors import UsageError
from semfind.engine.models.default_embedder import BUILT_IN_EMBEDDERS, DEFAULT_EMBEDDER

from .daemon_client import DaemonClient
from .params import PATH
from .render import printable

# Engine modules are imported inside the commands, not here: a command that does not need
# numpy, apsw or llama.cpp (and --help) starts about 0.4 s sooner (import semfind.app.cli
# takes 0.3-0.5 s, with the searcher, model registry and answerer 0.7-0.9 s).
if TYPE_CHECKING:
    from semfind.engine.config import Settings
    from semfind.engine.models.registry import RegisteredModel, Registry
    from semfind.engine.store.store import Store

    from .context import Context

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


@click.group()
def models() -> None:
    """GGUF models for embedding and chat: built-in, added, and found on this machine."""


@models.command("list")
@click.pass_obj
def list_models(obj: Context) -> None:
    """Show the models semfind knows (* marks those in use), with their GGUF header facts."""
    from semfind.engine.models.catalog import model_catalog

    from .model_rows import COLUMNS, model_row

    rows = [model_row(entry) for entry in model_catalog(obj.settings)]
    lines = aligned([list(COLUMNS[:-1]), *(row[:-1] for row in rows)])
    if out.is_terminal and max(map(len, lines)) > out.width:
        for row in rows:
            _print_plain(model_block(row))
        return
    # Paths are long: they go under the table, so the facts stay on one line each. Lines
    # are never cut: piped, they keep every column for grep and cut.
    _print_plain(lines)
    _print_plain(f"{row[2]}: {printable(row[-1])}" for row in rows)


def aligned(rows: list[list[str]]) -> list[str]:
    """Rows as text lines, each column padded to its widest cell."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def model_block(row: list[str]) -> list[str]:
    """One model on three lines, for a terminal too narrow for the table: its name, its
    facts, its file (or why there is none)."""
    mark, role, name, arch, quant, dim, ctx, size, gpu, source, file = row
    facts = [role, f"{arch} {quant}".strip(), f"dim {dim}" if dim else "",
             f"ctx {ctx}" if ctx else "", size, f"gpu {gpu}" if gpu else "", source]  # fmt: skip
    return [f"{mark or ' '} {name}", "    " + " · ".join(f for f in facts if f),
            f"    {printable(file)}"]  # fmt: skip


def _print_plain(lines: Iterable[str]) -> None:
    for line in lines:
        out.print(line, markup=False, highlight=False, soft_wrap=True)


ROLE = click.Choice(["embedder", "llm"])


@models.command("add")
@click.argument("path", type=PATH)
@click.option("--name", help="Name to refer to it by (default: the file name).")
@click.option("--role", type=ROLE, help="embedder or llm (default: what its header suggests).")
@click.option("--use", "use_it", is_flag=True, help="Also put it in use for its role.")
@click.pass_obj
def add(obj: Context, path: Path, name: str | None, role: str | None, use_it: bool) -> None:
    """Register a GGUF model file (its header is checked) as an embedder or a chat LLM."""
    from semfind.engine.models.registry import add_model

    settings = obj.settings
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
        _use(spec.name, role, settings)


@models.command("use")
@click.argument("name")
@click.option("--role", type=ROLE, help="embedder or llm (default: the role it was added as).")
@click.pass_obj
def use(obj: Context, name: str, role: str | None) -> None:
    """Use NAME for its role ("default" for the built-in one).

    A new embedding model takes over once its vectors are built (by the daemon in the
    background, or `semfind models build`); search uses the current one until then. The
    old vectors are kept: `semfind models rollback` goes back.
    """
    _use(name, role, obj.settings)


def _use(name: str, role: str | None, settings: Settings) -> None:
    from semfind.engine.models.registry import Registry

    registry = Registry()
    entry = registry.get(name)
    if name in BUILT_IN_EMBEDDERS:
        role = "embedder"
    if name != "default" and name not in BUILT_IN_EMBEDDERS and entry is None:
        entry = _add_found(name, role, registry)
    role = role or (entry.role if entry else "embedder")
    if entry is not None and entry.role != role:
        raise UsageError(f"{name!r} was added as {entry.role}, not {role}")
    if role == "embedder":
        _switch_embedder(settings, registry, name)
        return
    registry.use(role, name)
    registry.save()
    out.print(f"LLM in use: [bold]{name}[/]")


def _add_found(name: str, role: str | None, registry: Registry) -> RegisteredModel:
    """Register a model found on this machine (Ollama, LM Studio, the Hugging Face cache)
    under the name `semfind models list` shows for it."""
    from semfind.engine.models.discovery import discover
    from semfind.engine.models.registry import add_model

    found = next((m for m in discover() if m.name == name), None)
    if found is None:
        raise UsageError(f"unknown model {name!r}: see `semfind models list`")
    _, role = add_model(found.path, name, registry, role)
    out.print(f"added [bold]{escape(name)}[/] ({found.source}) as {role}")
    entry = registry.get(name)
    assert entry is not None
    return entry


def _switch_embedder(settings: Settings, registry: Registry, name: str) -> None:
    from semfind.engine.models import switch

    old = switch.active_name(registry)
    with _index(settings) as store:
        outcome = switch.request(settings, registry, name, store)
        _report_switch(settings, registry, store, old, outcome)


def _report_switch(
    settings: Settings, registry: Registry, store: Store | None, old: str, outcome: str
) -> None:
    from semfind.engine.models import switch

    if outcome == "unchanged":
        out.print(f"[bold]{old}[/] is already the embedding model in use")
        return
    if outcome == "switched":
        new = switch.active_name(registry)
        out.print(f"embedding model in use: [bold]{new}[/] (its vectors are complete)")
        return
    spec = switch.target_spec(settings, registry)
    assert spec is not None and store is not None
    out.print(
        f"[bold]{spec.name}[/] takes over once its vectors are built "
        f"({switch.progress(store, spec).describe()}); search uses [bold]{old}[/] until then."
    )
    if DaemonClient(settings).running_pid() is not None:
        out.print(
            "The daemon builds them in the background: `semfind daemon status` shows how far."
        )
    else:
        out.print("Run `semfind models build` to build them now, or start the daemon to do it.")


@models.command("build")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_obj
def build(obj: Context, quiet: bool) -> None:
    """Build the vectors of the embedding model chosen with `models use`, then switch to it."""
    from semfind.engine.models import switch
    from semfind.engine.models.registry import Registry, open_embedder
    from semfind.engine.session.engine import Engine

    settings = obj.settings
    registry = Registry()
    spec = switch.target_spec(settings, registry)
    if spec is None:
        raise UsageError("no embedding model is waiting for its vectors: see `semfind models use`")
    if DaemonClient(settings).running_pid() is not None:
        raise UsageError("the daemon is building them: `semfind daemon status` shows how far")
    with Engine(settings, writer=True) as engine:
        store = engine.store()
        embedder = open_embedder(settings, spec)  # the target model, not the engine's
        try:
            with Progress(console=err, transient=True, disable=quiet) as bar:
                task = bar.add_task(f"embedding with {spec.name}", total=None)
                switch.build(
                    store,
                    embedder,
                    on_progress=lambda d, t: bar.update(task, completed=d, total=t),
                    part_floor=settings.vector_min_parts,
                    compose=settings.compose_vectors,
                )
        finally:
            embedder.close()
        switch.finish(registry, spec.name)
        done = switch.progress(store, spec).describe()
        out.print(f"embedding model in use: [bold]{spec.name}[/] ({done})")


@models.command("rollback")
@click.pass_obj
def rollback(obj: Context) -> None:
    """Go back to the embedding model in use before the last switch (its vectors were kept)."""
    from semfind.engine.models import switch
    from semfind.engine.models.registry import Registry

    registry = Registry()
    old = switch.active_name(registry)
    with _index(obj.settings) as store:
        _, outcome = switch.rollback(obj.settings, registry, store)
        _report_switch(obj.settings, registry, store, old, outcome)


@contextmanager
def _index(settings: Settings) -> Iterator[Store | None]:
    """The index, read-only, or None before anything was indexed."""
    from semfind.engine.session.engine import Engine

    if not settings.db_path().exists():
        yield None
        return
    with Engine(settings) as engine:
        yield engine.store()


@models.command("info")
@click.argument("name")
@click.pass_obj
def info(obj: Context, name: str) -> None:
    """Everything semfind knows of one model: its header facts, file, role and use."""
    from semfind.engine.models.catalog import model_catalog

    # "default" names the built-in embedder here as it does for `models use`.
    wanted = DEFAULT_EMBEDDER if name == "default" else name
    entries = [e for e in model_catalog(obj.settings) if wanted in (e.name, str(e.path))]
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
