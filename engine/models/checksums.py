"""SHA-256 of model files, remembered by (size, mtime) so big GGUFs are hashed once."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path

from semfind.engine import paths


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 22):
            digest.update(chunk)
    return digest.hexdigest()


def cached_sha256(path: Path) -> str:
    """The file's SHA-256, recomputed only when its size or mtime changed."""
    stat = path.stat()
    cache_path = paths.data_dir() / "checksums.json"
    cache = _read(cache_path)
    key = str(path.resolve())
    entry = cache.get(key)
    if isinstance(entry, list) and entry[:2] == [stat.st_size, stat.st_mtime_ns]:
        return str(entry[2])
    digest = sha256_file(path)
    cache[key] = [stat.st_size, stat.st_mtime_ns, digest]
    _write(cache_path, cache)
    return digest


def _read(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, object]) -> None:
    # A lost cache only costs a re-hash, so failures to write it are ignored.
    with contextlib.suppress(OSError):
        paths.make_private_dir(path.parent)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, path)
