"""`semfind ask`: an answer from your files by the local LLM, with checked citations."""

from __future__ import annotations

import dataclasses
from contextlib import nullcontext
from typing import TYPE_CHECKING

import click
from rich.console import Console

from semfind.engine.config import Settings
from semfind.engine.errors import UsageError

from .filters import cli_filters, read_since_option
from .process_clock import process_start
from .since import SPANS_HELP

# Engine modules are imported inside the commands, not here: a command that does not need
# numpy, apsw or llama.cpp (and --help) starts about 0.4 s sooner (import semfind.app.cli
# takes 0.3-0.5 s, with the searcher, model registry and answerer 0.7-0.9 s).
if TYPE_CHECKING:
    from semfind.engine.search.query import Filters

    from .context import Context

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


@click.command()
@click.argument("question")
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print one JSON object: answer, citations with spans, checks, timings and tokens/s.",
)
@click.option("--path", "path_glob", help="Only files under this folder or matching this glob.")
@click.option(
    "--type",
    "types",
    multiple=True,
    help="Only these file kinds or extensions (as for search); repeatable or a comma list.",
)
@click.option(
    "--since",
    help=f"Only files modified since then: {SPANS_HELP} (min = minutes, mo = months).",
)
@click.option(
    "--sources",
    "-n",
    type=click.IntRange(1, 20),
    help="Evidence passages to read (default: the `ask_sources` setting, normally "
    f"{Settings.ask_sources}).",
)
@click.option(
    "--no-llm",
    is_flag=True,
    help="Only the sentences quoted from your files, without the LLM's restatement.",
)
@click.pass_obj
def ask(
    obj: Context,
    question: str,
    as_json: bool,
    path_glob: str | None,
    types: tuple[str, ...],
    since: str | None,
    sources: int | None,
    no_llm: bool,
) -> None:
    """Answer QUESTION from your indexed files, quoting the sentences that answer it.

    The quotes come first, each with its file:page:line. Then the local LLM restates them
    in a short answer, streamed; every sentence it writes is checked against the quotes,
    and one they do not back is left out. --no-llm (or ask_llm = false) skips the LLM.
    """
    if not question.strip():
        raise UsageError("ask needs a question")
    settings = obj.settings
    if sources is not None:
        settings = dataclasses.replace(settings, ask_sources=sources)
    if no_llm:
        settings = dataclasses.replace(settings, ask_llm=False)
    filters = cli_filters(settings, path_glob, types, read_since_option(since))
    _answer(settings, question, filters, as_json)


def _answer(settings: Settings, question: str, filters: Filters, as_json: bool) -> None:
    """The quotes print as soon as they are chosen; the LLM loads beside the search."""
    from semfind.engine.session.engine import Engine

    from .ask_render import run_json, run_live, run_plain
    from .query_embedder import query_embedder

    with Engine(settings, open_embedder=query_embedder) as engine:
        engine.store()  # a missing index is said before the LLM starts loading
        if settings.ask_llm:
            engine.preload_llm()
        with err.status("loading the model…", spinner="dots") if err.is_terminal else nullcontext():
            engine.embedder()
        events = engine.asker().ask(question, filters, began=process_start())
        if as_json:
            click.echo(run_json(events))
        elif out.is_terminal:
            run_live(out, events)
        else:
            run_plain(out, events)
