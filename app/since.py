"""Reading "modified since" filters: a span back from now, or a date."""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from dataclasses import dataclass

from semfind.engine.errors import UsageError

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-z]+)\s*$", re.IGNORECASE)
_UNITS = {
    "min": ("minute", 60),
    "h": ("hour", 3600),
    "d": ("day", 86400),
    "w": ("week", 7 * 86400),
    "mo": ("month", 30 * 86400),
    "y": ("year", 365 * 86400),
}
SPANS_HELP = "90min, 36h, 7d, 2w, 3mo, 1y or a date like 2026-01-31"


@dataclass(frozen=True)
class Since:
    """A "modified since" time and how it was read, to say which meaning was taken."""

    time: float
    """Unix time; a span reaching past what a clock can show is -inf, a date past it +inf
    (the engine's filter clamps both)."""
    meaning: str
    """E.g. "10 months back" or "2026-01-31"."""


def parse_since(text: str, now: float | None = None) -> float:
    """Unix time for "90min", "36h", "7d", "2w", "3mo", "1y" (back from now) or
    "2026-01-31"."""
    return read_since(text, now).time


def read_since(text: str, now: float | None = None) -> Since:
    match = _SPAN.match(text)
    if match:
        return _span(text, match.group(1), match.group(2).lower(), now)
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UsageError(f"cannot read {text!r} as a time: use {SPANS_HELP}") from exc
    try:
        start = dt.datetime(day.year, day.month, day.day).timestamp()
    except (ValueError, OverflowError, OSError):
        # Local midnight of year 1 or 9999 may fall outside what the platform can show.
        start = -math.inf if day.year < 1970 else math.inf
    return Since(start, day.isoformat())


def _span(text: str, number: str, unit: str, now: float | None) -> Since:
    if unit == "m":
        raise UsageError(
            f"{text.strip()!r} is ambiguous: write {number}min for minutes or {number}mo for months"
        )
    if unit not in _UNITS:
        raise UsageError(f"cannot read {text!r} as a time: use {SPANS_HELP}")
    name, seconds = _UNITS[unit]
    amount = float(number)
    back = amount * seconds
    start = (time.time() if now is None else now) - back
    plural = "" if amount == 1 else "s"
    return Since(start if math.isfinite(start) else -math.inf, f"{number} {name}{plural} back")
