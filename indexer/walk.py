"""Finding the files to index under a root, honouring ignore files and limits."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pathspec

from semfind.indexer.extract.extractors import detect_kind

IGNORE_FILES = (".gitignore", ".semfindignore")
ALWAYS_IGNORED = ("node_modules/", "__pycache__/", "venv/", "*.egg-info/", "site-packages/")


@dataclass(frozen=True)
class Candidate:
    """A file that looks indexable."""

    path: Path
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Rejected:
    """A file semfind would index but will not, with the reason shown to the user."""

    path: Path
    size: int
    mtime_ns: int
    reason: str


@dataclass(frozen=True)
class Unreadable:
    """A folder that could not be listed: what is stored below it must be kept, not deleted."""

    path: Path
    reason: str


@dataclass(frozen=True)
class _Rules:
    base: Path
    spec: pathspec.GitIgnoreSpec


Found = Candidate | Rejected | Unreadable


def walk(root: Path, *, max_bytes: int, extra_ignore: tuple[str, ...] = ()) -> Iterator[Found]:
    """Indexable files at or below `root` (a file or a folder), in a stable order."""
    root = root.resolve()
    if root.is_file():
        yield from _check_file(root, os.stat(root), max_bytes)
        return
    base_rules = [_Rules(root, _spec([*ALWAYS_IGNORED, *extra_ignore]))]
    yield from _walk_dir(root, root, base_rules, max_bytes)


def _walk_dir(root: Path, folder: Path, rules: list[_Rules], max_bytes: int) -> Iterator[Found]:
    local = _read_rules(folder)
    rules = [*rules, local] if local else rules
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        yield Unreadable(folder, exc.strerror or str(exc))
        return
    for entry in entries:
        path = Path(entry.path)
        if entry.name.startswith("."):
            continue
        try:
            info = entry.stat(follow_symlinks=True)
        except OSError:
            continue
        is_dir = stat.S_ISDIR(info.st_mode)
        if entry.is_symlink():
            continue  # the target is indexed where it lives, if it lives under a root
        if not _encodable(entry.path):
            yield from _undecodable(path, info, is_dir)
        elif _ignored(path, is_dir, rules):
            continue
        elif is_dir:
            yield from _walk_dir(root, path, rules, max_bytes)
        elif stat.S_ISREG(info.st_mode):
            yield from _check_file(path, info, max_bytes)
        elif detect_kind(path) is not None:
            what = _SPECIAL.get(stat.S_IFMT(info.st_mode), "special file")
            yield Rejected(path, 0, info.st_mtime_ns, f"not a regular file ({what})")


_SPECIAL = {
    stat.S_IFIFO: "named pipe",
    stat.S_IFSOCK: "socket",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
}


def _undecodable(path: Path, info: os.stat_result, is_dir: bool) -> Iterator[Rejected]:
    """A name that is not UTF-8 cannot be stored or shown as it is: it is listed under a
    readable spelling (bad bytes as \\xNN) so the user can find and rename it."""
    if not is_dir and detect_kind(path) is None:
        return
    shown = Path(os.fsencode(path).decode("utf-8", errors="backslashreplace"))
    what = "folder" if is_dir else "file"
    reason = f"the {what} name is not valid UTF-8; rename it to index it"
    yield Rejected(shown, 0 if is_dir else info.st_size, info.st_mtime_ns, reason)


def _check_file(path: Path, info: os.stat_result, max_bytes: int) -> Iterator[Candidate | Rejected]:
    if detect_kind(path) is None:
        return
    if info.st_size > max_bytes:
        mib = max_bytes / (1 << 20)
        yield Rejected(path, info.st_size, info.st_mtime_ns, f"larger than the {mib:g} MiB limit")
        return
    yield Candidate(path, info.st_size, info.st_mtime_ns)


def _read_rules(folder: Path) -> _Rules | None:
    lines: list[str] = []
    for name in IGNORE_FILES:
        try:
            lines += (folder / name).read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            continue
    return _Rules(folder, _spec(lines)) if lines else None


def _spec(lines: list[str] | tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _ignored(path: Path, is_dir: bool, rules: list[_Rules]) -> bool:
    """As git does: the deepest ignore file with a matching rule decides (so "!x" works)."""
    verdict: bool | None = None
    for rule in rules:
        relative = path.relative_to(rule.base).as_posix() + ("/" if is_dir else "")
        include = rule.spec.check_file(relative).include
        if include is not None:
            verdict = include
    return bool(verdict)


def _encodable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def visible(root: Path, path: Path, *, extra_ignore: tuple[str, ...] = ()) -> bool:
    """Whether walk(root) reaches `path` (at or below root): not hidden, not ignored by the
    ignore files from root down to it, not behind a symlink."""
    try:
        parts = path.relative_to(root).parts
    except ValueError:
        return False
    rules = [_Rules(root, _spec([*ALWAYS_IGNORED, *extra_ignore]))]
    folder = root
    for depth, name in enumerate(parts):
        local = _read_rules(folder)
        rules = [*rules, local] if local else rules
        current = folder / name
        if name.startswith(".") or current.is_symlink():
            return False
        is_dir = depth < len(parts) - 1 or current.is_dir()
        if _ignored(current, is_dir, rules):
            return False
        folder = current
    return True
