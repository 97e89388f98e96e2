"""One table row per model, shared by `semfind models list` and the TUI's Models tab."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from semfind.engine.models.catalog import CatalogEntry

COLUMNS = ("", "role", "name", "arch", "quant", "dim", "ctx", "size", "gpu", "source", "file")


def model_row(entry: CatalogEntry) -> list[str]:
    """Cells for COLUMNS; "*" marks the models in use, a note stands in for a missing file.
    gpu: layers offloaded ("all", a number, or "cpu" when llama.cpp has no GPU backend)."""
    mark = "*" if entry.in_use else ""
    layers = entry.gpu_layers
    gpu = "" if layers is None else {-1: "all", 0: "cpu"}.get(layers, str(layers))
    file = str(entry.path) if entry.path else ""
    info = entry.info
    if info is None:
        return [mark, entry.role, entry.name, "", "", "", "", "", gpu, entry.source,
                entry.note or file]  # fmt: skip
    return [
        mark,
        entry.role,
        entry.name,
        info.architecture,
        info.file_type or "?",
        str(info.n_embd or "") if entry.role == "embedder" else "",
        str(info.n_ctx_train or ""),
        f"{info.size_bytes / 1e6:,.1f} MB",
        gpu,
        entry.source,
        file,
    ]
