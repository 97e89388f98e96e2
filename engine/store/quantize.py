"""Compact vector codes: one sign bit per dimension for the coarse scan, int8 for rescoring.

A million 384-d float32 vectors take 1.5 GB; their sign bits take 48 MB and their int8
codes 384 MB. Search scans the bits (a weighted Hamming distance) for a few thousand
candidates, then ranks those by cosine on their int8 codes. Cosine ignores each vector's
scale, so int8 codes need no stored scale. Recall@10 against exact float search is measured
by bench/scale.py.
"""

from __future__ import annotations

import numpy as np


def int8_codes(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled so its largest component is ±127, then rounded."""
    rows = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    peak = np.abs(rows).max(axis=1, keepdims=True)
    scaled = rows * (127.0 / np.where(peak > 0, peak, 1.0))
    return np.asarray(np.rint(scaled), dtype=np.int8)


def sign_bits(vectors: np.ndarray) -> np.ndarray:
    """One bit per dimension (set where the component is positive), packed into bytes in
    the order sqlite-vec's bit vectors use."""
    rows = np.atleast_2d(np.asarray(vectors))
    return np.packbits(rows > 0, axis=1, bitorder="little")


def from_int8(codes: np.ndarray) -> np.ndarray:
    """Unit-length float32 rows back from int8 codes."""
    rows = np.atleast_2d(codes).astype(np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.where(norms > 0, norms, 1.0), dtype=np.float32)


class BitPlanes:
    """The sign bits of many vectors, stored word-major (one row per 64 dimensions) so the
    distance to a query is a few passes over contiguous memory."""

    LEVELS = 2
    """Query dimensions are split by magnitude into this many groups; a mismatch on a
    strong dimension costs more than on a weak one (weights 1..LEVELS). Two levels recover
    most of what asymmetric scoring gains over plain Hamming (bench/scale.py)."""

    def __init__(self, bits: np.ndarray) -> None:
        rows = np.ascontiguousarray(bits, dtype=np.uint8)
        pad = (-rows.shape[1]) % 8
        if pad:
            rows = np.pad(rows, ((0, 0), (0, pad)))
        self.planes = np.ascontiguousarray(rows.view("<u8").T)
        self.count = rows.shape[0]

    def distances(self, query: np.ndarray) -> np.ndarray:
        """Weighted Hamming distance of every row to `query` (a float vector)."""
        words = self.planes.shape[0]
        wanted = _packed_words(query > 0, words)
        strength = np.argsort(np.argsort(np.abs(query), kind="stable"), kind="stable")
        masks = [
            _packed_words(strength >= (len(query) * level) // self.LEVELS, words)
            for level in range(self.LEVELS)
        ]
        total = np.zeros(self.count, dtype=np.uint16)
        differ = np.empty(self.count, dtype=np.uint64)
        masked = np.empty(self.count, dtype=np.uint64)
        bits = np.empty(self.count, dtype=np.uint8)
        for word in range(words):
            np.bitwise_xor(self.planes[word], wanted[word], out=differ)
            for mask in masks:
                np.bitwise_and(differ, mask[word], out=masked)
                np.bitwise_count(masked, out=bits)
                total += bits
        return total


def _packed_words(flags: np.ndarray, words: int) -> np.ndarray:
    packed = np.packbits(flags, bitorder="little")
    packed = np.pad(packed, (0, words * 8 - len(packed)))
    return packed.view("<u8")
