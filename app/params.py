"""Click parameter types shared by the commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


class PathArg(click.Path):
    """A path the user typed; an empty one (an unset shell variable) is refused, where it
    would otherwise mean the current folder."""

    def __init__(self) -> None:
        super().__init__(path_type=Path)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str) and not value.strip():
            self.fail("the path is empty (for the current folder, write .)", param, ctx)
        return super().convert(value, param, ctx)


PATH = PathArg()
