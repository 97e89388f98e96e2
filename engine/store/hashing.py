"""Content hashes: identical text is embedded once, unchanged files are not re-read."""

from __future__ import annotations

import hashlib


def text_hash(text: str) -> str:
    """Stable hash of the exact text handed to an embedder."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def bytes_hash(data: bytes) -> str:
    """Hash of a file's content held in memory."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()
