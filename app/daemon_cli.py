"""`semfind daemon ...` and `semfind watch ...`: thin commands over the daemon's socket."""

from __future__ import annotations

import json
import logging
import shlex
import sys
import time
from pathlib import Path

import click
from rich.console import Console

from semfind.engine.config import Settings
from semfind.engine.errors import (
    DaemonError,
    DaemonNotRunningError,
    DaemonRunningError,
    UsageError,
)
from semfind.indexer.daemon.runtime import DaemonFiles

from .daemon_client import DaemonClient
from .daemon_render import print_failed, print_status
from .params import PATH
from .render import plural, printable, shown, shown_path
from .service import run_quietly, service, write_service

# Engine and indexer modules are imported inside the commands, not here, for start-up time
# (see app/cli.py).

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.find_root().obj.settings
    return settings


def _client(ctx: click.Context) -> DaemonClient:
    return DaemonClient(_settings(ctx))


@click.group()
def daemon() -> None:
    """The background indexer that keeps watched folders fresh."""


@daemon.command()
@click.option("--foreground", is_flag=True, help="Run in this terminal instead of detaching.")
@click.pass_context
def start(ctx: click.Context, foreground: bool) -> None:
    """Start the daemon (one per index)."""
    client = _client(ctx)
    pid = client.running_pid()
    if pid is not None:
        raise DaemonRunningError(f"the daemon is already running (pid {pid})")
    if foreground:
        _run_foreground(client.settings, client.files)
        return
    _upgrade_first(client.settings)
    pid = client.start()
    # One line however long the path: a wrap would break the path, not the sentence.
    log = shown_path(str(client.files.log))
    err.print(f"daemon started (pid {pid}); log: {log}", soft_wrap=True)


def _upgrade_first(settings: Settings) -> None:
    """An index from an older semfind is upgraded here, where the user sees it happen, and
    not in the detached daemon while this waits for its first answer."""
    from semfind.engine.session.engine import Engine

    with Engine(settings) as engine:
        engine.upgrade()


def _run_foreground(settings: Settings, files: DaemonFiles) -> None:
    from semfind.engine.models.registry import open_embedder
    from semfind.indexer.daemon.daemon import Daemon

    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    Daemon(settings, open_embedder, files).run()


@daemon.command()
@click.pass_context
def stop(ctx: click.Context) -> None:
    """Ask the daemon to finish the file in hand and exit."""
    client = _client(ctx)
    files = client.files
    pid = files.running_pid()
    if pid is None:
        raise DaemonNotRunningError("the daemon is not running")
    client.ask({"cmd": "shutdown"})
    deadline = time.monotonic() + 60
    while files.running_pid() is not None and time.monotonic() < deadline:
        time.sleep(0.1)
    if files.running_pid() is not None:
        raise DaemonError(f"the daemon (pid {pid}) did not stop within 60 s")
    err.print("daemon stopped")


@daemon.command()
@click.option("--json", "as_json", is_flag=True, help="The status as one JSON object.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """State, watched folders, queue, throughput, backend and memory of the daemon.

    With --json and the daemon stopped: {"running": false, ...} and exit status 0."""
    client = _client(ctx)
    if as_json and client.running_pid() is None:
        click.echo(json.dumps(stopped_status(client)))
        return
    status = client.status()
    if as_json:
        click.echo(json.dumps({"running": True, **status.to_json()}))
    else:
        print_status(out, status)


def stopped_status(client: DaemonClient) -> dict[str, object]:
    """What --json says of a stopped daemon: its index and log, and the watched folders."""
    from semfind.engine.session.engine import Engine

    watches: list[str] = []
    if client.db.exists():
        with Engine(client.settings) as engine:
            watches = engine.store().watches()
    return {
        "running": False,
        "state": "stopped",
        "pid": None,
        "db": str(client.db),
        "log": str(client.files.log),
        "watches": [{"path": path} for path in watches],
    }


@daemon.command()
@click.option(
    "-n", "lines", type=click.IntRange(0), default=40, show_default=True, help="Lines to show."
)
@click.option("--follow", "-f", is_flag=True, help="Keep printing new lines.")
@click.pass_context
def logs(ctx: click.Context, lines: int, follow: bool) -> None:
    """The daemon's log."""
    path = _client(ctx).files.log
    if not path.exists():
        raise DaemonError(f"no daemon log yet ({path})")
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh.readlines()[-lines:] if lines else []:
            click.echo(line, nl=False)
        while follow:
            line = fh.readline()
            if line:
                click.echo(line, nl=False)
            else:
                time.sleep(0.5)


@daemon.command()
@click.option("--pause/--resume", "pause", default=True, help="Pause or resume indexing.")
@click.pass_context
def pause(ctx: click.Context, pause: bool) -> None:
    """Pause indexing (events are still collected) or resume it."""
    reply = _client(ctx).pause(pause)
    if not reply.paused:
        err.print("resumed")
    elif reply.reason == "on battery":
        err.print("paused: on battery; it resumes on mains power, or with --resume")
    else:
        err.print("paused; `semfind daemon pause --resume` resumes")


@daemon.command()
@click.option(
    "--enable/--no-enable", default=True, show_default=True, help="Switch it on right away."
)
@click.pass_context
def install(ctx: click.Context, enable: bool) -> None:
    """Start the daemon at login (systemd user unit on Linux, launchd agent on macOS)."""
    target = service()
    write_service(target, _settings(ctx).db_path())
    err.print(f"wrote {shown_path(str(target.path))}", soft_wrap=True)
    if enable:
        problem = run_quietly(target.enable)
        if problem is None:
            err.print("enabled: the daemon starts at login")
        else:
            err.print(
                f"[yellow]could not enable it[/] ({shown(problem)}); run: "
                f"{shown(shlex.join(target.enable))}"
            )
    else:
        err.print(f"to enable it: {shown(shlex.join(target.enable))}")
    err.print("to remove it: semfind daemon uninstall")


@daemon.command()
@click.pass_context
def uninstall(ctx: click.Context) -> None:
    """Stop starting the daemon at login and remove its unit or agent file."""
    target = service()
    if not target.path.exists():
        raise UsageError(f"nothing to remove: {target.path} does not exist")
    problem = run_quietly(target.disable)
    if problem is not None:
        err.print(f"[yellow]could not disable it[/] ({shown(problem)}); removing the file anyway")
    target.path.unlink()
    err.print(f"removed {shown_path(str(target.path))}", soft_wrap=True)


# -- watch ---------------------------------------------------------------------


@click.group()
def watch() -> None:
    """Folders the daemon keeps indexed."""


@watch.command("add")
@click.argument("folders", nargs=-1, required=True, type=PATH)
@click.pass_context
def watch_add(ctx: click.Context, folders: tuple[Path, ...]) -> None:
    """Watch folders; the daemon indexes them at once and follows their changes."""
    resolved = [str(f.expanduser().resolve()) for f in folders]
    not_dirs = [p for p in resolved if not Path(p).is_dir()]
    if not_dirs:
        raise click.UsageError(f"not a folder: {', '.join(map(printable, not_dirs))}")
    added, running = _client(ctx).change_watches(True, resolved)
    for path in resolved:
        shown = shown_path(path)
        err.print(f"watching {shown}" if path in added else f"already watched: {shown}")
    if not running:
        err.print("the daemon is not running: `semfind daemon start` indexes and follows them")


@watch.command("remove")
@click.argument("folders", nargs=-1, required=True, type=PATH)
@click.pass_context
def watch_remove(ctx: click.Context, folders: tuple[Path, ...]) -> None:
    """Stop watching folders; what is indexed from them stays searchable."""
    resolved = [str(f.expanduser().resolve()) for f in folders]
    removed, _ = _client(ctx).change_watches(False, resolved)
    for path in resolved:
        shown = shown_path(path)
        err.print(f"no longer watching {shown}" if path in removed else f"was not watched: {shown}")


@watch.command("list")
@click.pass_context
def watch_list(ctx: click.Context) -> None:
    """The watched folders."""
    from semfind.engine.session.engine import Engine

    with Engine(_settings(ctx)) as engine:
        watches = engine.store().watches()
    if not watches:
        err.print("no folders watched: `semfind watch add FOLDER` adds one")
    for path in watches:
        click.echo(printable(path))


# -- index through the daemon ----------------------------------------------------


def index_via_daemon(client: DaemonClient, paths: list[Path], quiet: bool) -> None:
    """Hand paths to the running daemon and wait until it has indexed them."""
    from semfind.engine.session.engine import Engine

    resolved = [str(p.expanduser().resolve()) for p in paths]
    before = client.status()
    client.index(resolved)
    if before.paused_reason:
        err.print(
            f"queued for the daemon, which is paused ({shown(before.paused_reason)}); "
            "`semfind daemon pause --resume` starts it now"
        )
        return
    if not quiet:
        err.print(f"the daemon (pid {before.pid}) is indexing; waiting for it to finish")
    while True:
        time.sleep(0.3)
        status = client.status()
        with Engine(client.settings) as engine:
            waiting = set(engine.store().pending()) & set(resolved)
        if not waiting:
            break
    done = status.indexed - before.indexed
    failed = [f for f in status.failed if any(_below(f.path, p) for p in resolved)]
    err.print(f"indexed {plural(done, 'file')} through the daemon; {len(failed):,} failed")
    print_failed(err, failed)


def _below(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")
