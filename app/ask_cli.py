"""`semfind ask`: an answer from your files by the local LLM, with checked citations."""

from __future__ import annotations

import dataclasses
from contextlib import nullcontext
from functools import partial
from typing import TYPE_CHECKING

import click
from rich.console import Console

from semfind.engine.errors import UsageError

from .since import parse_since

if TYPE_CHECKING:
    from semfind.engine.answer import OpenLLM
    from semfind.engine.config import Settings
    from semfind.engine.query import Filters

    from .cli import Context

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
@click.option("--type", "types", multiple=True, help="Only these file kinds or extensions.")
@click.option("--since", help="Only files modified since then: 36h, 7d, 2w, 3m, 1y or a date.")
@click.option(
    "--sources",
    "-n",
    type=click.IntRange(1, 20),
    help="Evidence passages to read (default: the `ask_sources` setting, normally 8).",
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
    from semfind.engine.llm import open_llm
    from semfind.engine.query import Filters, path_scope

    if not question.strip():
        raise UsageError("ask needs a question")
    settings = obj.settings
    if sources is not None:
        settings = dataclasses.replace(settings, ask_sources=sources)
    if no_llm:
        settings = dataclasses.replace(settings, ask_llm=False)
    scope = path_scope(path_glob) if path_glob is not None else None
    filters = Filters(scope, types, settings.units, parse_since(since) if since else None)
    _answer(settings, question, filters, as_json, partial(open_llm, settings))


def _answer(
    settings: Settings,
    question: str,
    filters: Filters,
    as_json: bool,
    open_llm: OpenLLM,
) -> None:
    """The quotes print as soon as they are chosen; the LLM loads only after them."""
    from semfind.engine.answer import Asker
    from semfind.engine.evidence import gather_evidence
    from semfind.engine.search import Searcher
    from semfind.engine.store import Store

    from .ask_render import run_json, run_live, run_plain
    from .query_embedder import query_embedder

    with Store.open(settings.db_path(), readonly=True) as store:
        with err.status("loading the model…", spinner="dots") if err.is_terminal else nullcontext():
            embedder = query_embedder(settings)
        searcher = Searcher(store, embedder, settings)
        asker = Asker(open_llm, partial(gather_evidence, searcher), settings)
        try:
            events = asker.ask(question, filters)
            if as_json:
                click.echo(run_json(events))
            elif out.is_terminal:
                run_live(out, events)
            else:
                run_plain(out, events)
        finally:
            asker.close()
            embedder.close()
