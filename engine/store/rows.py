"""Rows read by column name: a query's columns (or their `AS` names) key its values, so no
caller counts positions and a new column cannot shift the others."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class _Cursor(Protocol):
    def __iter__(self) -> Iterator[Any]: ...
    def getdescription(self) -> tuple[tuple[str, str], ...]: ...
    def close(self, force: bool = False) -> None: ...


def named_rows(cursor: _Cursor) -> Iterator[Mapping[str, Any]]:
    """Each row of an executed query as column name -> value."""
    names: tuple[str, ...] = ()
    for row in cursor:
        if not names:  # read while a row is current: a query without rows has no description
            names = tuple(name for name, _ in cursor.getdescription())
            if len(set(names)) != len(names):
                raise ValueError(f"columns share a name ({', '.join(names)}): add AS names")
        yield dict(zip(names, row, strict=True))


def named_columns(cursor: _Cursor, *names: str) -> Iterator[tuple[Any, ...]]:
    """Each row's values of the columns `names`, in that order: by name like named_rows,
    without a dict per row (a search reads thousands of rows; dicts cost it 2 ms)."""
    rows = iter(cursor)
    first = next(rows, None)
    if first is None:
        return
    have = tuple(name for name, _ in cursor.getdescription())
    missing = [name for name in names if name not in have]
    if missing:
        raise ValueError(f"the query has no column {missing[0]!r} (it has {', '.join(have)})")
    if have == names:
        yield first
        yield from rows
        return
    where = [have.index(name) for name in names]
    yield tuple(first[i] for i in where)
    for row in rows:
        yield tuple(row[i] for i in where)


def first_row(cursor: _Cursor) -> Mapping[str, Any] | None:
    """The first row of an executed query by column name, or None when it has none. The
    cursor is closed: a statement left running would hold up its transaction's commit.
    (A failed query is not: its error, already semfind's, must not be replaced.)"""
    row = next(named_rows(cursor), None)
    cursor.close()
    return row


def first_value(cursor: _Cursor, column: str) -> Any:
    """The first row's value of `column`, or None when the query has no row."""
    row = first_row(cursor)
    return None if row is None else row[column]


def column_values(cursor: _Cursor, column: str) -> list[Any]:
    """`column` of every row, in the query's order."""
    return [row[column] for row in named_rows(cursor)]


def in_batches(items: Iterable[T], size: int = 500) -> Iterator[tuple[list[T], str]]:
    """`items` in lists short enough for one `IN (...)`, each with its "?,?,..." marks."""
    pending = list(items)
    for start in range(0, len(pending), size):
        part = pending[start : start + size]
        yield part, ",".join("?" * len(part))
