"""Paired bootstrap over queries: how much of a difference in a mean metric is noise.

Every configuration is resampled with the same draws of queries, so a difference between
two configurations is measured on the same queries each time (a paired test).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

RESAMPLES = 1000
SEED = 23


@dataclass(frozen=True)
class Interval:
    """A mean over queries with its 95 % percentile-bootstrap interval."""

    mean: float
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.mean:.4f} [{self.low:.4f}, {self.high:.4f}]"

    def signed(self) -> str:
        """As a difference: with its sign."""
        return f"{self.mean:+.4f} [{self.low:+.4f}, {self.high:+.4f}]"


def draws(n_queries: int, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """`resamples` rows of `n_queries` query indices drawn with replacement."""
    if n_queries < 1:
        raise ValueError("the bootstrap needs at least one query")
    return np.random.default_rng(seed).integers(0, n_queries, size=(resamples, n_queries))


def interval(values: Sequence[float], picks: np.ndarray) -> Interval:
    """The mean of per-query `values` and its 95 % interval over the draws `picks`."""
    array = np.asarray(values, dtype=np.float64)
    means = array[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Interval(float(array.mean()), float(low), float(high))


@dataclass(frozen=True)
class Comparison:
    """One configuration: its metric, and its difference from the reference."""

    name: str
    value: Interval
    difference: Interval


def compare(
    per_query: Mapping[str, Mapping[str, float]],
    reference: str,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> list[Comparison]:
    """Each configuration's per-query scores (name -> query id -> score) as a mean with its
    interval, and its paired difference from `reference`'s, on the reference's queries."""
    queries = sorted(per_query[reference])
    picks = draws(len(queries), resamples, seed)
    base = [per_query[reference][q] for q in queries]
    out = []
    for name, scores in per_query.items():
        values = [scores[q] for q in queries]
        diff = [v - b for v, b in zip(values, base, strict=True)]
        out.append(Comparison(name, interval(values, picks), interval(diff, picks)))
    return out
