"""Numbered schema migrations. Append new ones; never edit a released one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import apsw

Migration = Callable[[apsw.Connection], None]

FTS_COLUMNS = (
    "title, text, tokenize = 'porter unicode61 remove_diacritics 2',"
    " content = '', contentless_delete = 1"
)
FTS_TOKENIZER = ("porter", ["unicode61", "remove_diacritics", "2"])
"""The keyword tables' tokenizer as apsw's fts5_tokenizer() takes it: queries are stemmed
the same way to look words up in the index's vocabulary."""
PART_SQL = "(u.kind != 'passage' OR NOT EXISTS (SELECT 1 FROM units c WHERE c.parent_id = u.id))"
"""Units that stand for themselves at part level: propositions or sentences, and passages
that were not cut up (with segmenter "none", every passage)."""


def _m0001_initial(conn: apsw.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE files (
            id INTEGER PRIMARY KEY,
            path TEXT NOT NULL UNIQUE,
            kind TEXT,
            title TEXT,
            size INTEGER NOT NULL,
            mtime_ns INTEGER NOT NULL,
            content_hash TEXT,
            status TEXT NOT NULL CHECK (status IN ('indexed', 'failed', 'skipped')),
            error TEXT,
            indexed_at REAL NOT NULL
        );
        CREATE INDEX files_status ON files(status);

        CREATE TABLE units (
            id INTEGER PRIMARY KEY,
            file_id INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
            parent_id INTEGER REFERENCES units(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            ord INTEGER NOT NULL,
            text TEXT NOT NULL,
            embed_text TEXT,
            embed_hash TEXT NOT NULL,
            page INTEGER,
            char_start INTEGER NOT NULL,
            char_end INTEGER NOT NULL,
            line_start INTEGER NOT NULL,
            line_end INTEGER NOT NULL
        );
        CREATE INDEX units_file ON units(file_id);
        CREATE INDEX units_embed_hash ON units(embed_hash);

        CREATE VIRTUAL TABLE units_fts USING fts5(
            title, text,
            tokenize = 'porter unicode61 remove_diacritics 2',
            content = '', contentless_delete = 1
        );

        CREATE TABLE embed_models (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL,
            dim INTEGER NOT NULL,
            created_at REAL NOT NULL
        );

        CREATE TABLE vectors (
            id INTEGER PRIMARY KEY,
            model_id INTEGER NOT NULL REFERENCES embed_models(id),
            text_hash TEXT NOT NULL,
            UNIQUE (model_id, text_hash)
        );
        """
    )


def _m0002_propositions(conn: apsw.Connection) -> None:
    # Propositions can be made of several exact pieces of their sentence.
    conn.execute("ALTER TABLE units ADD COLUMN spans TEXT")
    conn.execute("CREATE INDEX units_parent ON units(parent_id)")
    # Which segmenter cut a file: changing the setting re-segments files that are unchanged.
    conn.execute("ALTER TABLE files ADD COLUMN segmenter TEXT")


def _m0003_parts_fts(conn: apsw.Connection) -> None:
    # Passages and their parts get keyword tables of their own: sharing one skewed the
    # passages' BM25 statistics and made every passage-level query scan the propositions.
    conn.execute(f"CREATE VIRTUAL TABLE parts_fts USING fts5({FTS_COLUMNS})")
    conn.execute(
        "DELETE FROM units_fts WHERE rowid IN (SELECT id FROM units WHERE kind != 'passage')"
    )
    rows = conn.execute(
        "SELECT u.id, f.title, f.path, u.text FROM units u JOIN files f ON f.id = u.file_id"
        " WHERE u.kind != 'passage'"
    ).fetchall()
    for unit_id, title, path, text in rows:
        conn.execute(
            "INSERT INTO parts_fts(rowid, title, text) VALUES (?, ?, ?)",
            (unit_id, title or str(path).rsplit("/", 1)[-1], text),
        )


def _m0004_watches(conn: apsw.Connection) -> None:
    conn.execute(
        """
        CREATE TABLE watches (path TEXT PRIMARY KEY, added_at REAL NOT NULL);
        -- Paths the daemon was asked to index and has not finished: a restart resumes them.
        CREATE TABLE pending (path TEXT PRIMARY KEY, queued_at REAL NOT NULL);
        """
    )


def _m0005_compact_vectors(conn: apsw.Connection) -> None:
    # Float vectors (1.5 KB each at 384 dimensions) become sign bits for a coarse scan plus
    # int8 codes for rescoring, so a million of them fit in memory and well under 1 GB.
    # Frozen: the tables and codes as of schema 5, not today's store code.
    import numpy as np

    models: list[Any] = conn.execute("SELECT id, dim FROM embed_models").fetchall()
    for model_id, dim in ((int(row[0]), int(row[1])) for row in models):
        bits, codes = f"vbits_m{model_id}", f"vcodes_m{model_id}"
        conn.execute(f"CREATE VIRTUAL TABLE {bits} USING vec0(bits bit[{-(-dim // 8) * 8}])")
        conn.execute(f"CREATE TABLE {codes} (id INTEGER PRIMARY KEY, code BLOB NOT NULL)")
        old, last = f"vec_m{model_id}", -1
        while True:  # in pages, so a large index is never held in memory as floats
            page: list[Any] = conn.execute(
                f"SELECT rowid, embedding FROM {old} WHERE rowid > ? ORDER BY rowid LIMIT 4096",
                (last,),
            ).fetchall()
            if not page:
                break
            floats = np.frombuffer(b"".join(r[1] for r in page), dtype=np.float32)
            rows = floats.reshape(len(page), dim)
            peak = np.abs(rows).max(axis=1, keepdims=True)
            int8 = np.rint(rows * (127.0 / np.where(peak > 0, peak, 1.0))).astype(np.int8)
            signs = np.packbits(rows > 0, axis=1, bitorder="little")
            ids = [int(r[0]) for r in page]
            conn.executemany(
                f"INSERT INTO {bits}(rowid, bits) VALUES (?, vec_bit(?))",
                [(i, row.tobytes()) for i, row in zip(ids, signs, strict=True)],
            )
            conn.executemany(
                f"INSERT INTO {codes}(id, code) VALUES (?, ?)",
                [(i, row.tobytes()) for i, row in zip(ids, int8, strict=True)],
            )
            last = ids[-1]
        conn.execute(f"DROP TABLE {old}")


def _m0006_titled_passages(conn: apsw.Connection) -> None:
    # A passage is embedded as "title, blank line, text"; storing that beside the text
    # doubled every titled passage. The flag says to rebuild it from the file's title.
    conn.execute(
        "ALTER TABLE units ADD COLUMN embed_titled INTEGER NOT NULL DEFAULT 0"
        " CHECK (embed_titled IN (0, 1))"
    )
    conn.execute(
        "UPDATE units SET embed_text = NULL, embed_titled = 1 WHERE embed_text IS NOT NULL"
        " AND embed_text = (SELECT title FROM files WHERE files.id = units.file_id)"
        " || char(10, 10) || text"
    )


_CJK7 = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0003134f"
)
"""The characters schema 7 keyword-indexes as bigrams (Han, kana, Hangul), as of schema 7."""


def _fts_text7(text: str) -> str:
    """Schema 7's keyword text: each CJK run as its spaced bigrams plus its last character."""
    import re

    def spaced(run: str) -> str:
        return " " + " ".join([run[i : i + 2] for i in range(len(run) - 1)] + [run[-1]]) + " "

    return re.sub(f"[{_CJK7}]+", lambda m: spaced(m.group()), text)


def _m0007_cjk_keywords(conn: apsw.Connection) -> None:
    # Chinese, Japanese and Korean runs are keyword-indexed as bigrams: the rows of units
    # holding such text, in their text or their file's title, are rewritten. Frozen: the
    # rules as of schema 7 (today's are in engine/store/cjk.py), not today's store code.
    glob = f"*[{_CJK7}]*"
    rows = conn.execute(
        "SELECT u.id, u.kind, f.title, f.path, u.text FROM units u"
        " JOIN files f ON f.id = u.file_id WHERE u.text GLOB ? OR f.title GLOB ?"
        " OR (f.title IS NULL AND f.path GLOB ?)",
        (glob, glob, glob),
    ).fetchall()
    for unit_id, kind, title, path, text in rows:
        table = "units_fts" if kind == "passage" else "parts_fts"
        name = str(title or str(path).rsplit("/", 1)[-1])  # as Store._insert_units named it
        conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (unit_id,))
        conn.execute(
            f"INSERT INTO {table}(rowid, title, text) VALUES (?, ?, ?)",
            (unit_id, _fts_text7(name), _fts_text7(str(text))),
        )


def _m0008_roots(conn: apsw.Connection) -> None:
    # The folders a user indexed, so the TUI's Index tab lists them as given (a folder whose
    # files all lie in subfolders is one row); older indexes fall back to inferring them.
    conn.execute("CREATE TABLE roots (path TEXT PRIMARY KEY, added_at REAL NOT NULL)")


def _m0009_unit_labels(conn: apsw.Connection) -> None:
    # Documents without pages and lines (Word, EPUB, slides, notebooks, mail) say where a
    # unit is in their own terms ("§ Methods ¶12", "slide 7"); NULL keeps file:page:line.
    conn.execute("ALTER TABLE units ADD COLUMN label TEXT")


def _m0010_vectors_due(conn: apsw.Connection) -> None:
    # Files are committed keyword-searchable before their vectors exist (a second pass embeds
    # them): the flag marks those whose units may still lack vectors, so finding that work,
    # and saying how much of the index has vectors, costs as much as the work left, not a
    # scan of every unit. Files written before schema 10 were committed with their vectors.
    conn.execute(
        "ALTER TABLE files ADD COLUMN vectors_due INTEGER NOT NULL DEFAULT 0"
        " CHECK (vectors_due IN (0, 1))"
    )
    conn.execute("CREATE INDEX files_vectors_due ON files(id) WHERE vectors_due")


def _m0011_part_floor(conn: apsw.Connection) -> None:
    # Propositions of short passages need no vector of their own (search scores them by
    # their passage's); each model records the passage size below which it skipped them, so
    # the work left and the coverage count only the units that need a vector. Older models
    # embedded every unit: floor 0.
    conn.execute("ALTER TABLE embed_models ADD COLUMN part_floor INTEGER NOT NULL DEFAULT 0")


def _m0012_context_chars(conn: apsw.Connection) -> None:
    # A proposition's embedding text is its added context (title, headings), a newline and
    # its statement; the length of that context lets its vector be composed from the two
    # embedded apart (engine/embed/compose.py). NULL, as for older rows: not known, so the
    # whole text is embedded as before.
    conn.execute("ALTER TABLE units ADD COLUMN context_chars INTEGER")


MIGRATIONS: tuple[Migration, ...] = (
    _m0001_initial,
    _m0002_propositions,
    _m0003_parts_fts,
    _m0004_watches,
    _m0005_compact_vectors,
    _m0006_titled_passages,
    _m0007_cjk_keywords,
    _m0008_roots,
    _m0009_unit_labels,
    _m0010_vectors_due,
    _m0011_part_floor,
    _m0012_context_chars,
)
"""Migration N (1-based) brings the schema from user_version N-1 to N."""

LATEST_VERSION = len(MIGRATIONS)
