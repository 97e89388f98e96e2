"""The second pass's vectors composed from pieces embedded apart (settings.compose_vectors).

A proposition is its context (title, headings) plus its statement; a passage is the
contexts and statements of its propositions. Each of those texts is embedded once, and
every unit's vector is composed from them (engine/embed/compose.py), so no text is embedded
twice: the whole passage and then each of its sentences again, with the title each time.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from semfind.engine.embed.compose import PieceCache, compose
from semfind.engine.store.records import EmbedPieces, VectorlessUnit
from semfind.indexer.token_shares import TokenShares


def pieces_of(unit: VectorlessUnit) -> EmbedPieces:
    """What `unit` is composed from; a unit without known pieces is one piece, embedded
    whole as before."""
    return unit.pieces or EmbedPieces((), (unit.embed_input,))


def composed_vectors(
    cache: PieceCache, units: Sequence[VectorlessUnit]
) -> tuple[dict[str, np.ndarray], TokenShares]:
    """Normalised vectors of `units` by embedding hash, embedding only the pieces `cache`
    lacks, and where the tokens embedded went."""
    recipes = [(unit, pieces_of(unit)) for unit in units]
    context = cache.add([text for _, p in recipes for text in p.context])
    unsplit = [p for unit, p in recipes if unit.kind == "passage" and not unit.pieces]
    whole = cache.add([text for p in unsplit for text in p.own])
    parts = cache.add([text for _, p in recipes for text in p.own])
    vectors = {
        unit.embed_hash: compose([cache[text] for text in (*p.context, *p.own)])
        for unit, p in recipes
    }
    return vectors, TokenShares(whole, parts, context)
