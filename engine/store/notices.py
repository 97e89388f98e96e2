"""Who is told when an index is upgraded: apart from engine.store.db, so that a front end
registers without importing apsw, sqlite-vec and numpy (0.15 s) in a command that may never
open the index itself (a search answered by the daemon)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

UpgradeNotice = Callable[[Path, int, int, float | None], None]
"""Told (path, from version, to version, None) before an existing index is upgraded and
(..., seconds) after, so a front end can say why the first run waits."""
upgrade_notices: list[UpgradeNotice] = []


def on_upgrade(notice: UpgradeNotice) -> None:
    """Have `notice` told about upgrades of existing indexes (once, however often asked)."""
    if notice not in upgrade_notices:
        upgrade_notices.append(notice)
