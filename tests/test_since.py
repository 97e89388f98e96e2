from __future__ import annotations

import datetime as dt

import pytest

from semfind.app.since import parse_since
from semfind.engine.errors import UsageError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("36h", 36 * 3600),
        ("7d", 7 * 86400),
        ("2W", 14 * 86400),
        ("3m", 90 * 86400),
        ("1y", 365 * 86400),
    ],
)
def test_spans_count_back_from_now(text: str, seconds: int) -> None:
    assert parse_since(text, now=1e9) == 1e9 - seconds


def test_a_date_is_its_local_midnight() -> None:
    assert parse_since("2026-01-31") == dt.datetime(2026, 1, 31).timestamp()


@pytest.mark.parametrize("text", ["yesterday", "7x", "2026-13-01", ""])
def test_unreadable_times_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError, match="36h, 7d"):
        parse_since(text)
