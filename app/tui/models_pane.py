"""Models: the embedder and LLM in use, and every GGUF semfind knows of."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import DataTable, Label, Static

from ..model_rows import COLUMNS, model_row

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from semfind.engine.models.catalog import CatalogEntry

WIDE = 110
"""From this width the table has room for every column but the file."""
NARROW_COLUMNS = ("", "role", "name", "quant", "size", "gpu")
WIDE_COLUMNS = ("", "role", "name", "arch", "quant", "dim", "ctx", "size", "gpu", "source")


class ModelsPane(Vertical):
    """A table of the columns that fit; the highlighted model's file path (and, when narrow,
    the columns left out) in full under it, where a long path cannot be cut."""

    def __init__(self) -> None:
        super().__init__(id="models-pane")
        self.rows: list[list[str]] = []
        self.columns: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        yield Label("Models (* in use; add one with `semfind models add FILE.gguf`)",
                    classes="section")  # fmt: skip
        yield DataTable(id="model-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="model-detail")

    def show(self, entries: list[CatalogEntry]) -> None:
        self.rows = [model_row(entry) for entry in entries]
        self._fill()

    def on_resize(self) -> None:
        if self._wanted() != self.columns:
            self._fill()

    def _wanted(self) -> tuple[str, ...]:
        return WIDE_COLUMNS if self.size.width >= WIDE else NARROW_COLUMNS

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        self.columns = self._wanted()
        table.clear(columns=True)
        table.add_columns(*self.columns)
        for cells in self.rows:
            table.add_row(*(cells[COLUMNS.index(c)] for c in self.columns))
        if self.rows:
            table.move_cursor(row=min(max(row, 0), len(self.rows) - 1))
        self._detail(table.cursor_row)

    @on(DataTable.RowHighlighted, "#model-table")
    def _highlighted(self, message: DataTable.RowHighlighted) -> None:
        self._detail(message.cursor_row)

    def _detail(self, index: int) -> None:
        detail = self.query_one("#model-detail", Static)
        if not 0 <= index < len(self.rows):
            detail.update("")
            return
        cells = dict(zip(COLUMNS, self.rows[index], strict=True))
        hidden = [f"{c} {cells[c]}" for c in COLUMNS[1:-1] if c not in self.columns and cells[c]]
        lines = [f"file {cells['file'] or '(none)'}"]
        if hidden:
            lines.append(" · ".join(hidden))
        detail.update(Content("\n".join(lines)))  # a path is text, never markup
