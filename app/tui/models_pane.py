"""Models: the embedder and LLM in use, and every GGUF semfind knows of."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Vertical
from textual.widgets import DataTable, Label

from ..model_rows import COLUMNS, model_row

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from semfind.engine.catalog import CatalogEntry


class ModelsPane(Vertical):
    def __init__(self) -> None:
        super().__init__(id="models-pane")

    def compose(self) -> ComposeResult:
        yield Label("Models (* in use; add one with `semfind models add FILE.gguf`)",
                    classes="section")  # fmt: skip
        yield DataTable(id="model-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)

    def show(self, entries: list[CatalogEntry]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for entry in entries:
            table.add_row(*model_row(entry))
