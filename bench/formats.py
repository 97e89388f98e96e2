"""Extraction speed per document format: files/s and MB/s, printed as a table.

Writes N copies of each kind (tests/docgen.py: real files from the libraries' writers, made
larger with repeated paragraphs) and times `extract` on each, in this process (no sandbox:
the worker's start-up cost is the same for every kind).

    .venv/bin/python bench/formats.py [--files 20] [--paragraphs 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from semfind.indexer.extract.extractors import extract
from tests import docgen

_SENTENCE = "Paragraph {n} notes that the {w} survey counted birds along the river at dawn."


def _paragraphs(count: int, w: str) -> list[str]:
    return [_SENTENCE.format(n=n, w=w) for n in range(count)]


def _writers(paragraphs: int) -> dict[str, Callable[[Path], Path]]:
    text = _paragraphs(paragraphs, "heron")
    half = paragraphs // 2
    sections = [("First", text[:half]), ("Second", text[half:])]
    slides = [(f"Slide {n}", text[n : n + 5], "Notes.") for n in range(0, paragraphs, 5)]
    mails = [docgen.message(f"Note {n}", "a@example.org", p) for n, p in enumerate(text)]
    cells = [("markdown" if n % 2 else "code", p) for n, p in enumerate(text)]
    return {
        "docx": lambda p: docgen.write_docx(p, "Bench", sections),
        "odt": lambda p: docgen.write_odt(p, "Bench", sections),
        "epub": lambda p: docgen.write_epub(
            p, "Bench", [(f"C{n}", text[n : n + 20]) for n in range(0, paragraphs, 20)]
        ),
        "pptx": lambda p: docgen.write_pptx(p, "Bench", slides),
        "org": lambda p: docgen.write_org(p, "Bench", sections),
        "ipynb": lambda p: docgen.write_ipynb(p, cells),
        "mbox": lambda p: docgen.write_mbox(p, mails),
        "eml": lambda p: docgen.write_eml(
            p, docgen.message("Bench", "a@example.org", "\n\n".join(text))
        ),
        "rtf": lambda p: docgen.write_rtf(p, "Bench", text),
    }


def measure(folder: Path, files: int, paragraphs: int) -> list[tuple[str, int, float, float, int]]:
    """(kind, files, seconds, MB, characters extracted from one file) per kind."""
    rows = []
    for kind, write in _writers(paragraphs).items():
        template = write(folder / f"template.{kind}")
        paths = []
        for n in range(files):
            path = folder / f"f{n}.{kind}"
            path.write_bytes(template.read_bytes())
            paths.append(path)
        size = sum(p.stat().st_size for p in paths) / 1e6
        start = time.perf_counter()
        chars = 0
        for path in paths:
            chars = sum(len(page.text) for page in extract(path).pages)
        rows.append((kind, files, time.perf_counter() - start, size, chars))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--paragraphs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rows = measure(Path(folder), args.files, args.paragraphs)
    print(f"{'kind':6} {'files':>5} {'KB/file':>8} {'chars/file':>10} {'files/s':>8} {'MB/s':>7}")
    for kind, files, seconds, size, chars in rows:
        print(
            f"{kind:6} {files:5d} {size * 1000 / files:8.1f} {chars:10,d}"
            f" {files / seconds:8.1f} {size / seconds:7.2f}"
        )


if __name__ == "__main__":
    main()
