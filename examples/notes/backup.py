"""Keep the last few nightly archives and delete the rest."""

from pathlib import Path


def rotate_backups(folder: Path, keep: int = 7) -> list[Path]:
    """Delete all but the newest `keep` .tar.gz archives in `folder`; return what was removed."""
    archives = sorted(folder.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    removed = archives[:-keep] if keep else archives
    for old in removed:
        old.unlink()
    return removed
