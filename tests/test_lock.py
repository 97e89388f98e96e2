from __future__ import annotations

from pathlib import Path

import pytest

from semfind.engine.errors import IndexLockedError
from semfind.engine.store.lock import WriterLock


def test_second_writer_is_refused_until_the_first_releases(tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite3"
    first = WriterLock(db)
    first.acquire()
    with pytest.raises(IndexLockedError, match="another semfind process"):
        WriterLock(db).acquire()
    first.release()
    with WriterLock(db):
        assert (tmp_path / "index.sqlite3.lock").exists()
