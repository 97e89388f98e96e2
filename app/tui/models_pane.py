"""Models: the embedder and LLM in use, and every GGUF semfind knows of."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Vertical
from textual.widgets import DataTable, Label

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from semfind.engine.catalog import CatalogEntry


class ModelsPane(Vertical):
    def __init__(self) -> None:
        super().__init__(id="models-pane")

    def compose(self) -> ComposeResult:
        yield Label("Models (★ in use; add one with `semfind models add FILE.gguf`)",
                    classes="section")  # fmt: skip
        yield DataTable(id="model-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(
            "", "role", "name", "quant", "dim", "ctx", "size", "GPU layers", "source", "file"
        )

    def show(self, entries: list[CatalogEntry]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for entry in entries:
            table.add_row(*model_row(entry))


def model_row(entry: CatalogEntry) -> list[str]:
    info = entry.info
    layers = entry.gpu_layers
    gpu = "" if layers is None else {-1: "all", 0: "0 (CPU)"}.get(layers, str(layers))
    file = str(entry.path) if entry.path else ""
    if info is None:
        return ["★" if entry.in_use else "", entry.role, entry.name, "", "", "", "", gpu,
                entry.source, entry.note or file]  # fmt: skip
    dim = info.n_embd if entry.role == "embedder" else ""
    return [
        "★" if entry.in_use else "",
        entry.role,
        entry.name,
        info.file_type or "?",
        str(dim or ""),
        str(info.n_ctx_train or ""),
        f"{info.size_bytes / 1e6:,.0f} MB",
        gpu,
        entry.source,
        file,
    ]
