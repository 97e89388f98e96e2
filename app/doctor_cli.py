"""`semfind doctor`: examine the index, say what is wrong, offer a rebuild that deletes nothing."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.markup import escape

from .context import print_config_problems

# Engine modules are imported inside the commands, not here: a command that does not need
# numpy, apsw or llama.cpp (and --help) starts about 0.4 s sooner (import semfind.app.cli
# takes 0.3-0.5 s, with the searcher, model registry and answerer 0.7-0.9 s).
if TYPE_CHECKING:
    from semfind.engine.store.doctor import Rebuilt

    from .context import Context

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


@click.command()
@click.option(
    "--rebuild",
    is_flag=True,
    help="Move a broken index aside (nothing is deleted) and start a new one with its "
    "watched folders.",
)
@click.option("--yes", "-y", is_flag=True, help="Rebuild without asking first.")
@click.option(
    "--full", is_flag=True, help="Run the slower, thorough integrity_check, not quick_check."
)
@click.pass_context
def doctor(ctx: click.Context, rebuild: bool, yes: bool, full: bool) -> None:
    """Check the index and explain what is wrong, if anything, and what to do."""
    from semfind.engine.store import doctor as checkup

    obj: Context = ctx.obj
    print_config_problems(obj.config_problems)
    path = obj.settings.db_path()
    found = checkup.diagnose(path, full=full)
    first, *rest = found.explain()
    out.print(f"[{'green' if found.ok else 'bold red'}]{escape(first)}[/]", soft_wrap=True)
    for line in rest:
        out.print(f"  {escape(line)}", soft_wrap=True)
    if not rebuild:
        if not found.ok or obj.config_problems:
            ctx.exit(1)
        return
    problem = checkup.refusal(found)
    if problem is not None:
        raise problem
    aside = checkup.aside_path(path)
    question = f"Move {path} aside to {aside.name} and start a new, empty index?"
    if not yes and not _confirmed(question):
        err.print("nothing was changed")
        ctx.exit(1)
    _print_rebuilt(checkup.rebuild(path, aside, full=full), obj)


def _confirmed(question: str) -> bool:
    """The answer to a yes/no prompt; no answer (stdin closed, Ctrl-C) is a no."""
    try:
        return click.confirm(question, default=False, err=True)
    except click.Abort:
        err.print("\nno answer (to rebuild without asking: --yes)")
        return False


def _print_rebuilt(done: Rebuilt, obj: Context) -> None:
    names = ", ".join(f"{a.name} -> {b.name}" for a, b in done.moved)
    out.print(f"moved aside, nothing deleted: {escape(names)}", soft_wrap=True)
    path = obj.settings.db_path()
    prefix = ["semfind"] + (["--db", str(path)] if obj.settings.db is not None else [])
    if done.watches:
        n = len(done.watches)
        out.print(
            f"started a new, empty index at {escape(str(path))}, watching the "
            f"{n} folder{'s' if n != 1 else ''} the old one watched",
            soft_wrap=True,
        )
        fill = shlex.join([*prefix, "index", *done.watches])
        start = shlex.join([*prefix, "daemon", "start"])
        out.print(
            f"to fill it: `{escape(start)}` (it indexes them), or `{escape(fill)}`", soft_wrap=True
        )
        return
    out.print(f"started a new, empty index at {escape(str(path))}", soft_wrap=True)
    semfind = escape(shlex.join(prefix))
    if done.watches is None:
        out.print(
            "the old file's watched folders could not be read: add them again with "
            f"`{semfind} watch add FOLDER...`",
            soft_wrap=True,
        )
    out.print(f"to fill it: `{semfind} index FOLDER...`", soft_wrap=True)
