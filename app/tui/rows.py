"""Option lists whose rows are cut to the list's width, and built again when it changes."""

from __future__ import annotations

from collections.abc import Callable

from textual.widgets import OptionList
from textual.widgets.option_list import Option

RowBuilder = Callable[[int], list[Option]]
"""The rows for a given content width."""


class FittedList(OptionList):
    """Rows made for the width they are shown at: a wrapped row would lose its indent."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._build: RowBuilder | None = None
        self._built_for = 0

    def fill(self, build: RowBuilder) -> None:
        """Show build(width)'s rows, the first highlighted."""
        self._build = build
        self._rebuild(keep=None)

    def on_resize(self) -> None:
        if self._build is not None and self._width() != self._built_for:
            self._rebuild(keep=self.highlighted)

    def _width(self) -> int:
        return self.scrollable_content_region.width or 80

    def _rebuild(self, keep: int | None) -> None:
        assert self._build is not None
        self._built_for = self._width()
        rows = self._build(self._built_for)
        self.clear_options()
        self.add_options(rows)
        if rows:
            self.highlighted = min(keep or 0, len(rows) - 1)
