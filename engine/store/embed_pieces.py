"""The pieces a unit's vector is composed from, read from its stored embedding text."""

from __future__ import annotations

from collections.abc import Sequence

import apsw

from semfind.engine.config import ComposeVectors
from semfind.engine.store.records import EmbedPieces
from semfind.engine.store.rows import in_batches, named_rows

EMBED_TEXT = (
    "CASE WHEN u.embed_titled THEN f.title || char(10, 10) || u.text"
    " ELSE coalesce(u.embed_text, u.text) END"
)
"""The text a unit was embedded from, in a query over units u joined with their files f."""
PART_SQL = (
    f"SELECT u.parent_id AS parent, u.context_chars AS context_chars, {EMBED_TEXT} AS source"
    " FROM units u JOIN files f ON f.id = u.file_id"
    " WHERE u.parent_id IN ({marks}) ORDER BY u.parent_id, u.ord"
)


def of_part(source: str, context_chars: int | None, mode: ComposeVectors) -> EmbedPieces | None:
    """A proposition's pieces: its context and its statement ("all"), or its whole text as
    one piece ("passages"); None when its split is not known ("all" on older rows)."""
    if mode == "passages":
        return EmbedPieces((), (source,), (context_chars or 0,))
    if context_chars is None or context_chars >= len(source):
        return None
    if context_chars == 0:
        return EmbedPieces((), (source,))
    return EmbedPieces((source[:context_chars],), (source[context_chars + 1 :],))


def of_passage(parts: Sequence[EmbedPieces | None], floor: int = 0) -> EmbedPieces | None:
    """A passage from its propositions: their distinct contexts and their statements; None
    (embed it whole) without propositions, when one of them cannot be split, or when they
    are fewer than `floor` (they need no vector of their own: the passage alone is less to
    embed)."""
    if not parts or len(parts) < floor or any(part is None for part in parts):
        return None
    known = [part for part in parts if part is not None]
    context = dict.fromkeys(text for part in known for text in part.context)
    own = tuple(text for part in known for text in part.own)
    marks = tuple(chars for part in known for chars in part.own_context)
    return EmbedPieces(tuple(context), own, marks if len(marks) == len(own) else ())


def passage_pieces(
    conn: apsw.Connection, passage_ids: Sequence[int], mode: ComposeVectors, floor: int = 0
) -> dict[int, EmbedPieces]:
    """The pieces of those of `passage_ids` whose propositions all have theirs."""
    parts: dict[int, list[EmbedPieces | None]] = {}
    for batch, marks in in_batches(list(passage_ids)):
        for row in named_rows(conn.execute(PART_SQL.format(marks=marks), batch)):
            context = row["context_chars"]
            piece = of_part(str(row["source"]), None if context is None else int(context), mode)
            parts.setdefault(int(row["parent"]), []).append(piece)
    found = {parent: of_passage(pieces, floor) for parent, pieces in parts.items()}
    return {parent: pieces for parent, pieces in found.items() if pieces is not None}
