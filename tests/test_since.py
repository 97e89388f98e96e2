from __future__ import annotations

import datetime as dt
import math

import pytest

from semfind.app.since import parse_since, read_since
from semfind.engine.errors import UsageError
from semfind.engine.search.query import Filters


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("36h", 36 * 3600),
        ("7d", 7 * 86400),
        ("2W", 14 * 86400),
        ("3mo", 90 * 86400),
        ("90min", 90 * 60),
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


def test_m_alone_is_ambiguous_and_names_both_readings() -> None:
    with pytest.raises(UsageError, match="10min for minutes or 10mo for months"):
        parse_since("10m")


def test_the_meaning_taken_is_said() -> None:
    assert read_since("10mo", now=1e9).meaning == "10 months back"
    assert read_since("1min", now=1e9).meaning == "1 minute back"
    assert read_since("2026-01-31").meaning == "2026-01-31"


@pytest.mark.parametrize("text", ["500y", "99999999d", "99999999y", "9" * 400 + "y", "0001-01-01"])
def test_times_before_any_file_match_every_file(text: str) -> None:
    since = Filters(modified_since=parse_since(text)).modified_since
    assert since is not None and math.isfinite(since) and since < 0
    assert int(since * 1e9) > -(2**63)


def test_a_date_past_any_file_matches_none() -> None:
    since = Filters(modified_since=parse_since("9999-12-31")).modified_since
    assert since is not None and dt.datetime(2200, 1, 1).timestamp() < since
    assert int(since * 1e9) < 2**63
