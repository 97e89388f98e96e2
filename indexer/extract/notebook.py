"""Jupyter notebooks (stdlib json; nbformat is not needed to read one): Markdown and code
cells in order, outputs left out, each labelled "cell N"."""

from __future__ import annotations

import json
from typing import Any

from semfind.engine.errors import ExtractionError
from semfind.indexer.extract.containers import library_errors
from semfind.indexer.extract.decode import decode_text
from semfind.indexer.extract.document import Document
from semfind.indexer.extract.layout import Layout
from semfind.indexer.extract.titles import clean_title, markdown_title

_WHAT = "notebook"
_KEPT = ("markdown", "code")


def extract_ipynb(data: bytes, file_name: str) -> Document:
    with library_errors(_WHAT):
        notebook = json.loads(decode_text(data))
    cells = _cells(notebook)
    layout = Layout()
    title = ""
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") not in _KEPT:
            continue
        source = _source(cell.get("source", cell.get("input", "")))
        if cell["cell_type"] == "markdown" and not title:
            title = markdown_title(source)
        layout.block(source, f" cell {number}")
    metadata = notebook.get("metadata")
    named = metadata.get("title") if isinstance(metadata, dict) else None
    title = clean_title(named) if isinstance(named, str) and named.strip() else title
    return Document("ipynb", title or file_name, (layout.page(),), has_real_title=bool(title))


def _cells(notebook: Any) -> list[Any]:
    if not isinstance(notebook, dict):
        raise ExtractionError(f"corrupt {_WHAT}: not a notebook (no cells)")
    if "cells" in notebook:  # nbformat 4
        cells = notebook["cells"]
    else:  # nbformat 3 kept them in worksheets
        sheets = notebook.get("worksheets")
        cells = (
            [c for s in sheets if isinstance(s, dict) for c in s.get("cells", ())]
            if isinstance(sheets, list)
            else None
        )
    if not isinstance(cells, list):
        raise ExtractionError(f"corrupt {_WHAT}: not a notebook (no cells)")
    return cells


def _source(source: object) -> str:
    if isinstance(source, list):
        return "".join(s for s in source if isinstance(s, str))
    return source if isinstance(source, str) else ""
