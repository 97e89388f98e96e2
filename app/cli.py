"""The `semfind` command line: a thin layer over the engine and the indexer."""

from __future__ import annotations

import dataclasses
import logging
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from semfind.engine import paths
from semfind.engine.config import (
    CHOICES,
    SegmenterName,
    Settings,
    Units,
    diagnose_settings,
    load_settings,
)
from semfind.engine.errors import SemfindError, UsageError
from semfind.engine.search.query import FILE_KINDS, MAX_K, MODES

from .context import Context, print_config_problems
from .daemon_client import DaemonClient
from .filters import cli_filters, read_since_option
from .params import PATH
from .process_clock import mark_entry
from .since import SPANS_HELP

# Engine modules are imported inside the commands, not here: a command that does not need
# numpy, apsw or llama.cpp (and --help) starts about 0.4 s sooner (import semfind.app.cli
# takes 0.3-0.5 s, with the searcher, model registry and answerer 0.7-0.9 s).
if TYPE_CHECKING:
    from semfind.engine.store.index_facts import ModelVectors
    from semfind.engine.store.store import Store

F = TypeVar("F", bound=Callable[..., Any])
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


DIAGNOSTIC_COMMANDS = ("config", "doctor")
"""Commands that run on a bad config, naming what is wrong, rather than refusing."""


def _print_version(ctx: click.Context) -> None:
    from semfind.engine.runtime.about import versions

    found = versions()
    out.print(f"semfind {found.pop('semfind')}")
    width = max(len(name) for name in found)
    for name, value in found.items():
        out.print(f"  {name:<{width}}  {value}", soft_wrap=True)
    ctx.exit()


def _models() -> click.Command:
    from .models_cli import models

    return models


def _ask() -> click.Command:
    from .ask_cli import ask

    return ask


def _daemon() -> click.Command:
    from .daemon_cli import daemon

    return daemon


def _watch() -> click.Command:
    from .daemon_cli import watch

    return watch


def _doctor() -> click.Command:
    from .doctor_cli import doctor

    return doctor


LAZY_COMMANDS: dict[str, Callable[[], click.Command]] = {
    "models": _models,
    "ask": _ask,
    "daemon": _daemon,
    "watch": _watch,
    "doctor": _doctor,
}
"""Commands whose modules are imported only when they run (or help lists them): a search
answered by the daemon starts 0.05-0.1 s sooner without them."""


class _Group(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        load = LAZY_COMMANDS.get(cmd_name)
        return load() if load is not None else super().get_command(ctx, cmd_name)


@click.group(
    cls=_Group,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option(
    "--db",
    type=PATH,
    help="Index database file (default: in the data folder).",
)
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _param, value: _print_version(ctx) if value else None,
    help="Show the version of semfind, llama.cpp (backends, CPU features), SQLite and sqlite-vec.",
)
@click.pass_context
def cli(ctx: click.Context, db: Path | None) -> None:
    """semfind: search your own documents by meaning, offline.

    With no command, opens the terminal app (in a terminal; elsewhere prints this help).
    """
    problems: list[str] = []
    if ctx.invoked_subcommand in DIAGNOSTIC_COMMANDS:
        settings, problems = diagnose_settings()
    else:
        settings = load_settings()
    if db is not None:
        settings = dataclasses.replace(settings, db=db)
    ctx.obj = Context(settings, problems)
    if ctx.invoked_subcommand not in (None, "tui"):  # the app owns the screen
        from semfind.engine.store.notices import on_upgrade

        on_upgrade(_say_upgrade)
    if ctx.invoked_subcommand is None:
        if _in_terminal():
            _run_tui(settings)
        else:
            click.echo(ctx.get_help())


def _in_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def _say_upgrade(path: Path, old: int, new: int, seconds: float | None) -> None:
    if seconds is None:
        err.print(
            f"upgrading the index {path} from schema {old} to {new}, once "
            "(about a minute per million propositions)…",
            soft_wrap=True,
        )
    else:
        err.print(f"index upgraded in {seconds:.1f} s")


@cli.command()
@click.pass_obj
def tui(obj: Context) -> None:
    """Open the terminal app: search, ask, index and models."""
    if not _in_terminal():
        raise UsageError(
            "the terminal app needs a terminal (stdin and stdout are not one here); "
            "use `semfind search` or `semfind ask` in scripts"
        )
    _run_tui(obj.settings)


def _run_tui(settings: Settings) -> None:
    from .tui.app import create_app
    from .tui.wiring import build_services

    create_app(build_services(settings)).run()


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=PATH)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option(
    "--segmenter",
    type=click.Choice(CHOICES["segmenter"]),
    help="How to cut text into propositions (default: the `segmenter` setting, normally "
    f"{Settings.segmenter}).",
)
@click.pass_obj
def index(
    obj: Context, paths: tuple[Path, ...], quiet: bool, segmenter: SegmenterName | None
) -> None:
    """Index (or refresh) files and folders; unchanged files are skipped."""
    from semfind.engine.session.engine import Engine
    from semfind.indexer.extract.sandbox import sandboxed
    from semfind.indexer.indexing import Indexer, require_paths

    from .daemon_cli import index_via_daemon
    from .progress import IndexProgressBar
    from .render import print_report

    require_paths(paths)
    settings = obj.settings
    client = DaemonClient(settings)
    if client.running_pid() is not None:
        if segmenter is not None:
            raise UsageError("--segmenter cannot be given to a running daemon; set `segmenter`")
        index_via_daemon(client, list(paths), quiet)
        return
    if segmenter is not None:
        settings = dataclasses.replace(settings, segmenter=segmenter)
    with Engine(settings, writer=True) as engine:
        store, embedder = engine.store(), engine.embedder()
        extractor = sandboxed(settings)
        try:
            bar = IndexProgressBar(err)
            with _maybe(bar, not quiet and err.is_terminal):
                indexer = Indexer(
                    store,
                    embedder,
                    settings,
                    on_progress=bar if not quiet else None,
                    extractor=extractor,
                )
                report = indexer.index_paths(list(paths))
        finally:
            extractor.close()
        print_report(err, report, embedder.name)


@cli.command()
@click.argument("query")
@click.option(
    "-k",
    "k",
    type=click.IntRange(1, MAX_K),
    default=10,
    show_default=True,
    help="Number of files to return.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per result, per line.")
@click.option(
    "--path",
    "path_glob",
    help="Only files under this folder, or matching this glob (e.g. '*.md', 'notes/*').",
)
@click.option(
    "--type",
    "types",
    multiple=True,
    help=f"Only these file kinds ({', '.join(FILE_KINDS)}) or extensions (md, py, ...); "
    "repeatable or a comma list.",
)
@click.option(
    "--since",
    help=f"Only files modified since then: {SPANS_HELP} (min = minutes, mo = months).",
)
@click.option(
    "--mode",
    type=click.Choice(MODES),
    default="hybrid",
    show_default=True,
)
@click.option(
    "--units",
    type=click.Choice(CHOICES["units"]),
    help=f"Units to match (default: the `units` setting, normally {Settings.units}).",
)
@click.option(
    "--think",
    "reason",
    flag_value="think",
    help="Let the local LLM first write what an answer would say; search with that too.",
)
@click.option(
    "--rewrite",
    "reason",
    flag_value="rewrite",
    help="Let the local LLM add keyword and semantic sub-queries and a hypothetical answer.",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Show what --think or --rewrite wrote, which model embedded the query, and how "
    "--since was read.",
)
@click.pass_obj
def search(
    obj: Context,
    query: str,
    k: int,
    as_json: bool,
    path_glob: str | None,
    types: tuple[str, ...],
    since: str | None,
    mode: str,
    units: Units | None,
    reason: str | None,
    verbose: bool,
) -> None:
    """Search the index by meaning and keywords; results are grouped per file."""
    from .render import hit_json, print_hits
    from .search_cli import expand, run_search, say_how, search_request

    if not query.strip():
        raise UsageError("search needs a query")
    settings = obj.settings
    since_read = read_since_option(since)
    filters = cli_filters(settings, path_glob, types, since_read, units)
    if verbose and since_read is not None:
        err.print(f"[dim]modified since: {escape(since_read.meaning)}[/]")
    expansion = expand(settings, reason, query, err, verbose) if reason else None
    request = search_request(settings, query, k, mode, filters, expansion)
    searched = run_search(settings, request, err, verbose)
    say_how(searched, err, verbose)
    hits = searched.reply.hits
    if as_json:
        for rank, hit in enumerate(hits, start=1):
            click.echo(hit_json(rank, hit, mode))
    else:
        print_hits(out, hits, query)


def _print_switch(settings: Settings, store: Store) -> None:
    """The embedder in use, and the one waiting for its vectors, if any."""
    from semfind.engine.models import switch
    from semfind.engine.models.registry import Registry

    registry = Registry()
    out.print(f"embedding model in use: {settings.embed_model or switch.active_name(registry)}")
    target = switch.target_spec(settings, registry)
    if target is not None:
        out.print(f"switching to {switch.progress(store, target).describe()}")


@cli.command()
@click.option(
    "--failed", is_flag=True, help="List files that failed or were skipped, with reasons."
)
@click.option("--json", "as_json", is_flag=True, help="Counts and vectors as one JSON object.")
@click.pass_obj
def status(obj: Context, failed: bool, as_json: bool) -> None:
    """What the index holds."""
    from semfind.engine.session.engine import Engine
    from semfind.engine.store.index_facts import kind_counts, model_vectors

    from .render import counts_table, failure_line, kinds_line, shown_path, vectors_line

    path = obj.settings.db_path()
    with Engine(obj.settings) as engine:
        store = engine.store()
        counts, distinct = store.counts(), store.distinct_texts()
        vectors = model_vectors(store)
        if as_json:
            click.echo(_status_json(str(path), counts, distinct, kind_counts(store), vectors))
            return
        out.print(f"index: {shown_path(str(path))}", soft_wrap=True)
        out.print(counts_table(counts, distinct))
        if kinds := kind_counts(store):
            out.print(kinds_line(kinds), soft_wrap=True)
        for model in vectors:
            out.print(vectors_line(model, distinct), soft_wrap=True)
        _print_switch(obj.settings, store)
        if failed:
            for state in store.failures():
                out.print(failure_line(state.status, state.path, state.error), soft_wrap=True)


def _status_json(
    path: str,
    counts: dict[str, int],
    distinct: int,
    kinds: dict[str, int],
    vectors: list[ModelVectors],
) -> str:
    import json

    models = [{**dataclasses.asdict(m), "percent": round(m.percent, 1)} for m in vectors]
    data = {"index": path, **counts, "distinct_texts": distinct, "kinds": kinds, "models": models}
    return json.dumps(data, ensure_ascii=False)


@cli.group()
def config() -> None:
    """Where semfind keeps its settings and data."""


@config.command("show")
@click.pass_obj
def config_show(obj: Context) -> None:
    """Print the settings in effect and the folders in use (and what is wrong with the
    config, if anything)."""
    from .render import shown_path

    out.print(f"config file: {shown_path(str(paths.config_file()))}", soft_wrap=True)
    out.print(f"data folder: {shown_path(str(paths.data_dir()))}", soft_wrap=True)
    out.print(f"index:       {shown_path(str(obj.settings.db_path()))}", soft_wrap=True)
    for field in dataclasses.fields(obj.settings):
        out.print(f"  {field.name} = {escape(repr(getattr(obj.settings, field.name)))}")
    print_config_problems(obj.config_problems)


@contextmanager
def _maybe(manager: Any, enabled: bool) -> Iterator[None]:
    if enabled:
        with manager:
            yield
    else:
        yield


def main() -> None:
    """Entry point: library errors become one-line messages and exit codes here."""
    mark_entry()
    # pypdf warns on every malformed PDF; the indexer already reports failures per file.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        # Without standalone mode, click returns the code of a ctx.exit() instead of raising.
        code = cli.main(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc = _hint_dashed_query(exc)
        exc.show()
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, KeyboardInterrupt):
        err.print("interrupted: every file finished so far is saved in the index")
        sys.exit(130)
    except SemfindError as exc:
        _fail(exc)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        err.print(f"[bold red]semfind:[/] {exc.strerror or exc}{where}", soft_wrap=True)
        sys.exit(1)
    if isinstance(code, int) and code:
        sys.exit(code)


def _hint_dashed_query(exc: click.ClickException) -> click.ClickException:
    """A query or question starting with a dash reads as an option: say how to pass it."""
    if not isinstance(exc, click.NoSuchOption) or exc.ctx is None:
        return exc
    command = exc.ctx.command.name
    if command not in ("search", "ask"):
        return exc
    typed = next((a for a in sys.argv[1:] if a.startswith(exc.option_name)), exc.option_name)
    noun = "search for" if command == "search" else "ask"
    hint = f" To {noun} {typed!r}, write: semfind {command} -- {shlex.quote(typed)}"
    return click.UsageError(exc.format_message() + hint, exc.ctx)


def _fail(exc: SemfindError) -> NoReturn:
    err.print(f"[bold red]semfind:[/] {escape(str(exc))}", soft_wrap=True)
    sys.exit(exc.exit_code)
