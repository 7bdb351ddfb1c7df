"""Reporting periods: ``2026``, ``2026-Q3``, ``2026-09``, relative names, or all data.

A period is a half-open interval of local calendar time ``[start, end)`` in the workspace's time
zone; timestamps stored in UTC are converted before they are compared.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pandas as pd

from cxlib.errors import ParameterError

RELATIVE = ("last-month", "last-quarter", "year-to-date")
_PATTERNS = (
    (re.compile(r"^(\d{4})$"), "year"),
    (re.compile(r"^(\d{4})-Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
)
_FORMATS = '"2026", "2026-Q3", "2026-09", "last-month", "last-quarter", "year-to-date" or ""'


@dataclass(frozen=True)
class Period:
    """A reporting period.

    Attributes
    ----------
    label
        Canonical name (``2026-09``), or ``""`` for all data.
    start, end
        First day included and first day after the period; ``None`` for all data.
    """

    label: str
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def is_all(self) -> bool:
        """True when the period covers all data."""
        return self.start is None

    @property
    def slug(self) -> str:
        """A folder-safe name: the label, or ``all``."""
        return self.label or "all"

    def mask(self, timestamps: pd.Series, timezone: str) -> pd.Series:
        """Return a boolean mask of the UTC ``timestamps`` that fall in this period."""
        if self.start is None or self.end is None:
            return pd.Series(True, index=timestamps.index)
        local = timestamps.dt.tz_convert(timezone).dt.tz_localize(None)
        start, end = pd.Timestamp(self.start), pd.Timestamp(self.end)
        return (local >= start) & (local < end)


def parse_period(text: str, *, today: dt.date | None = None) -> Period:
    """Parse a period parameter.

    Parameters
    ----------
    text
        ``""`` (all data), ``YYYY``, ``YYYY-Qn``, ``YYYY-MM``, or one of :data:`RELATIVE`
        (resolved against ``today``).
    today
        The reference day of relative periods; defaults to the current date.

    Raises
    ------
    ParameterError
        When the text is none of these forms, or a month is not 01–12.
    """
    if not isinstance(text, str):
        raise ParameterError(f"period must be text such as {_FORMATS}; got {text!r}.")
    text = text.strip()
    if not text:
        return Period("")
    if text in RELATIVE:
        return _relative(text, today or dt.date.today())
    for pattern, kind in _PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        year = int(match.group(1))
        if not 1900 <= year <= 2999:
            raise ParameterError(f"period '{text}' has year {year}; years are 1900–2999.")
        if kind == "year":
            return Period(text, dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
        number = int(match.group(2))
        if kind == "quarter":
            return _quarter(year, number)
        if not 1 <= number <= 12:
            raise ParameterError(
                f"period '{text}' has month {number:02d}; months are 01–12.",
                hint=f"Use one of {_FORMATS}.",
            )
        return _month(year, number)
    raise ParameterError(f"period '{text}' is not a period.", hint=f"Use one of {_FORMATS}.")


def _month(year: int, month: int) -> Period:
    end = dt.date(year + month // 12, month % 12 + 1, 1)
    return Period(f"{year}-{month:02d}", dt.date(year, month, 1), end)


def _quarter(year: int, quarter: int) -> Period:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = dt.date(year + quarter // 4, (3 * quarter) % 12 + 1, 1)
    return Period(f"{year}-Q{quarter}", start, end)


def _relative(name: str, today: dt.date) -> Period:
    if name == "last-month":
        year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
        return _month(year, month)
    if name == "last-quarter":
        quarter = (today.month - 1) // 3
        return _quarter(today.year, quarter) if quarter else _quarter(today.year - 1, 4)
    start = dt.date(today.year, 1, 1)
    return Period(f"{today.year}-YTD", start, today + dt.timedelta(days=1))
