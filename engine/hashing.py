"""Content hashes: identical text is embedded once, unchanged files are not re-read."""

from __future__ import annotations

import hashlib
from pathlib import Path

_CHUNK = 1 << 20


def text_hash(text: str) -> str:
    """Stable hash of the exact text handed to an embedder."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def bytes_hash(data: bytes) -> str:
    """Hash of a file's content held in memory."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def file_hash(path: Path) -> str:
    """Hash of a file's content, read in chunks."""
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
