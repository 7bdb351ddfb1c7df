"""Timestamps from text: ISO 8601, a configured format, or a day/month order found, never guessed.

Exports write dates as ``2026-03-04``, ``04.03.2026``, ``3/4/2026 9:05`` … A column without a
configured ``date_format`` is read as ISO 8601 if its values are; otherwise the day-first and the
month-first reading of its shape are both tried. When only one reads every value, it wins; when
both do and disagree (every day ≤ 12), the column is ambiguous and :class:`AmbiguousDates` asks
for a ``date_format`` instead of guessing. Naive timestamps are local time of the workspace's
zone; ones with an offset (``+02:00``, ``Z``) are converted; all come back in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")
_NUMERIC = re.compile(
    r"^(\d{1,2})([./-])(\d{1,2})\2(\d{2}|\d{4})(?:[ T](\d{1,2}):(\d{2})(:\d{2})?)?$"
)
_UTC = "datetime64[ns, UTC]"


@dataclass(frozen=True)
class AmbiguousDates(Exception):
    """Both day/month orders read every value of a column, differently."""

    example: str
    day_first: str
    month_first: str


def infer_format(values: pd.Series) -> str:
    """Return the strptime format for a column's text timestamps, or ``ISO8601``.

    Raises
    ------
    AmbiguousDates
        When day-first and month-first both read every value and give different dates.
    """
    present = values.dropna()
    if present.empty:
        return "ISO8601"
    first = str(present.iloc[0]).strip()
    match = _NUMERIC.match(first)
    if _ISO.match(first) or match is None:
        return "ISO8601"
    sample = present.str.strip()
    sep, year = match.group(2), "%Y" if len(match.group(4)) == 4 else "%y"
    clock = "" if match.group(5) is None else (" %H:%M" + (":%S" if match.group(7) else ""))
    if clock and "T" in first:
        clock = "T" + clock[1:]
    day_first = f"%d{sep}%m{sep}{year}{clock}"
    month_first = f"%m{sep}%d{sep}{year}{clock}"
    as_day = pd.to_datetime(sample, format=day_first, errors="coerce")
    as_month = pd.to_datetime(sample, format=month_first, errors="coerce")
    day_ok, month_ok = int(as_day.notna().sum()), int(as_month.notna().sum())
    if day_ok == month_ok == len(sample) and not as_day.equals(as_month):
        differ = sample[as_day != as_month]
        raise AmbiguousDates(str(differ.iloc[0]), day_first, month_first)
    return day_first if day_ok >= month_ok else month_first


def parse_timestamps(values: pd.Series, fmt: str, timezone: str) -> pd.Series:
    """Parse text timestamps to UTC: naive ones in ``timezone``, ones with an offset as given.

    Values that do not match ``fmt`` become ``NaT`` (the caller counts them). Local times that
    occur twice when clocks go back are read as standard time; ones skipped when clocks go
    forward are moved forward.
    """
    text = values.str.strip()
    with_offset = text.str.contains(_OFFSET, regex=True, na=False)
    if not with_offset.any():  # the usual case: all local times
        naive = pd.to_datetime(text, format=fmt, errors="coerce")
        naive = naive.dt.tz_localize(timezone, ambiguous=False, nonexistent="shift_forward")
        return naive.dt.tz_convert("UTC").astype(_UTC)
    parts = []
    if (~with_offset).any():
        naive = pd.to_datetime(text[~with_offset], format=fmt, errors="coerce")
        naive = naive.dt.tz_localize(timezone, ambiguous=False, nonexistent="shift_forward")
        parts.append(naive.dt.tz_convert("UTC").astype(_UTC))
    if with_offset.any():
        offset_format = fmt if fmt == "ISO8601" or "%z" in fmt else "ISO8601"
        aware = pd.to_datetime(text[with_offset], format=offset_format, errors="coerce", utc=True)
        parts.append(aware.astype(_UTC))
    if not parts:
        return pd.Series(pd.NaT, index=values.index, dtype=_UTC)
    return pd.concat(parts).reindex(values.index).astype(_UTC)
