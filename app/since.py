"""Reading "modified since" filters: a span back from now, or a date."""

from __future__ import annotations

import datetime as dt
import re
import time

from semfind.engine.errors import UsageError

_SPAN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hdwmy])\s*$", re.IGNORECASE)
_SECONDS = {"h": 3600, "d": 86400, "w": 7 * 86400, "m": 30 * 86400, "y": 365 * 86400}


def parse_since(text: str, now: float | None = None) -> float:
    """Unix time for "36h", "7d", "2w", "3m", "1y" (back from now) or "2026-01-31"."""
    match = _SPAN.match(text)
    if match:
        amount, unit = float(match.group(1)), match.group(2).lower()
        return (time.time() if now is None else now) - amount * _SECONDS[unit]
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError as exc:
        raise UsageError(
            f"cannot read {text!r} as a time: use 36h, 7d, 2w, 3m, 1y or a date like 2026-01-31"
        ) from exc
    return dt.datetime(day.year, day.month, day.day).timestamp()
