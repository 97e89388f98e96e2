"""Merging ranked lists from the keyword and vector legs."""

from __future__ import annotations

from collections.abc import Sequence

Scored = Sequence[tuple[int, float]]
"""(unit id, score) pairs, best first."""


def rrf(lists: Sequence[Scored], weights: Sequence[float], k: float = 60.0) -> dict[int, float]:
    """Weighted reciprocal rank fusion: sum of w / (k + rank)."""
    fused: dict[int, float] = {}
    for ranked, weight in zip(lists, weights, strict=True):
        for rank, (unit_id, _) in enumerate(ranked, start=1):
            fused[unit_id] = fused.get(unit_id, 0.0) + weight / (k + rank)
    return fused


def convex(lists: Sequence[Scored], weights: Sequence[float]) -> dict[int, float]:
    """Weighted sum of min-max normalised scores; a unit missing from a list gets 0 there."""
    fused: dict[int, float] = {}
    for ranked, weight in zip(lists, weights, strict=True):
        if not ranked:
            continue
        scores = [score for _, score in ranked]
        low, high = min(scores), max(scores)
        span = high - low
        for unit_id, score in ranked:
            normalised = (score - low) / span if span > 0 else 1.0
            fused[unit_id] = fused.get(unit_id, 0.0) + weight * normalised
    return fused
