"""Rows read by column name: a query's columns (or their `AS` names) key its values, so no
caller counts positions and a new column cannot shift the others."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol


class _Cursor(Protocol):
    def __iter__(self) -> Iterator[Any]: ...
    def getdescription(self) -> tuple[tuple[str, str], ...]: ...


def named_rows(cursor: _Cursor) -> Iterator[Mapping[str, Any]]:
    """Each row of an executed query as column name -> value."""
    names: tuple[str, ...] = ()
    for row in cursor:
        if not names:  # read while a row is current: a query without rows has no description
            names = tuple(name for name, _ in cursor.getdescription())
            if len(set(names)) != len(names):
                raise ValueError(f"columns share a name ({', '.join(names)}): add AS names")
        yield dict(zip(names, row, strict=True))
