"""The second pass's vectors composed from pieces embedded apart (settings.compose_vectors).

A proposition is its context (title, headings) plus its statement; a passage is the
contexts and statements of its propositions. Each of those texts is embedded once, and
every unit's vector is composed from them (engine/embed/compose.py), so no text is embedded
twice: the whole passage and then each of its sentences again, with the title each time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from semfind.engine.embed.compose import PieceCache, compose
from semfind.engine.embed.token_shares import TokenShares
from semfind.engine.store.records import EmbedPieces, VectorlessUnit


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
    fresh = cache.add([text for _, p in recipes for text in (*p.context, *p.own)])
    vectors = {
        unit.embed_hash: compose([cache[text] for text in (*p.context, *p.own)])
        for unit, p in recipes
    }
    return vectors, _shares(recipes, fresh, cache.embedder.count_tokens)


def _shares(
    recipes: Sequence[tuple[VectorlessUnit, EmbedPieces]],
    fresh: dict[str, int],
    count: Callable[[str], int],
) -> TokenShares:
    """Where the tokens of the `fresh` pieces went: contexts, whole passages, statements;
    a proposition embedded whole with its context splits at the context's end."""
    contexts = {text for _, p in recipes for text in p.context}
    passages = {u.embed_input for u, p in recipes if u.kind == "passage" and not u.pieces}
    opening = {
        text: chars
        for _, p in recipes
        for text, chars in zip(p.own, p.own_context or (0,) * len(p.own), strict=True)
    }
    shares = TokenShares()
    for text, tokens in fresh.items():
        if text in contexts:
            shares += TokenShares(context=tokens)
        elif text in passages:
            shares += TokenShares(passages=tokens)
        elif opening.get(text, 0) > 0:
            own = min(tokens, count(text[opening[text] + 1 :]))
            shares += TokenShares(parts=own, context=tokens - own)
        else:
            shares += TokenShares(parts=tokens)
    return shares
