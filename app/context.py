"""What every command gets from the `semfind` group: the settings and what is wrong with them.
Apart from app/cli.py so that the command modules it registers need not import it back."""

from __future__ import annotations

import dataclasses

from rich.console import Console
from rich.markup import escape

from semfind.engine.config import Settings

err = Console(stderr=True, highlight=False)


@dataclasses.dataclass
class Context:
    settings: Settings
    config_problems: list[str] = dataclasses.field(default_factory=list)
    """What is wrong with the config, for the commands that diagnose it and still run."""


def print_config_problems(problems: list[str]) -> None:
    """What is wrong with the config; every other command refuses to run until it is fixed."""
    for problem in problems:
        err.print(f"[bold red]config problem:[/] {escape(problem)}", soft_wrap=True)
    if problems:
        err.print("other commands refuse to run until the config is fixed", soft_wrap=True)
