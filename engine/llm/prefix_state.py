"""The llama.cpp state of a chat prompt's fixed start (its system turn), kept on disk.

A new process that loads the LLM to restate one answer would otherwise read the same ~40
system-prompt tokens every time, which on a laptop CPU is a third of the prompt. The file
is a cache: a missing, stale or damaged one only costs that read, never an answer.
"""

from __future__ import annotations

import hashlib
import os
import struct
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from semfind.engine import paths

MAGIC = b"SFPX1\n"
KEEP = 8
"""Prefix states kept; older ones (other models, other prompts) are removed."""
_COUNT = struct.Struct("<I")


@dataclass(frozen=True)
class PrefixState:
    """The tokens of a prompt's fixed start and llama.cpp's state after reading them."""

    tokens: tuple[int, ...]
    state: bytes


def state_path(*identity: object) -> Path:
    """Where the state for this model, context and prefix text lives."""
    digest = hashlib.sha256("\x1f".join(map(str, identity)).encode("utf-8")).hexdigest()
    return paths.cache_dir() / "llm-prefix" / f"{digest[:32]}.bin"


def read_state(path: Path) -> PrefixState | None:
    """The stored state, or None when there is none or it is not ours."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    head = len(MAGIC) + _COUNT.size
    if not data.startswith(MAGIC) or len(data) < head:
        return None
    (count,) = _COUNT.unpack_from(data, len(MAGIC))
    end = head + 4 * count
    if count == 0 or len(data) <= end:
        return None
    tokens = struct.unpack_from(f"<{count}i", data, head)
    return PrefixState(tokens, data[end:])


def write_state(path: Path, prefix: PrefixState) -> None:
    """Store atomically, owner-only; a cache that cannot be written is simply skipped."""
    body = MAGIC + _COUNT.pack(len(prefix.tokens))
    body += struct.pack(f"<{len(prefix.tokens)}i", *prefix.tokens) + prefix.state
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(body)
        os.replace(tmp, path)
        _prune(path.parent)


def forget_state(path: Path) -> None:
    with suppress(OSError):
        path.unlink()


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        forget_state(old)
