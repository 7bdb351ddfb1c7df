"""Reporting periods."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from cxlib.errors import ParameterError
from cxlib.periods import Period, parse_period

D = dt.date


@pytest.mark.parametrize(
    ("text", "label", "start", "end"),
    [
        ("2026", "2026", D(2026, 1, 1), D(2027, 1, 1)),
        ("2026-Q3", "2026-Q3", D(2026, 7, 1), D(2026, 10, 1)),
        ("2026-Q4", "2026-Q4", D(2026, 10, 1), D(2027, 1, 1)),
        ("2026-09", "2026-09", D(2026, 9, 1), D(2026, 10, 1)),
        ("2026-12", "2026-12", D(2026, 12, 1), D(2027, 1, 1)),
        (" 2025-02 ", "2025-02", D(2025, 2, 1), D(2025, 3, 1)),
    ],
)
def test_absolute_periods(text: str, label: str, start: dt.date, end: dt.date) -> None:
    assert parse_period(text) == Period(label, start, end)


@pytest.mark.parametrize(
    ("text", "today", "expected"),
    [
        ("last-month", D(2026, 11, 22), Period("2026-10", D(2026, 10, 1), D(2026, 11, 1))),
        ("last-month", D(2026, 1, 5), Period("2025-12", D(2025, 12, 1), D(2026, 1, 1))),
        ("last-quarter", D(2026, 11, 22), Period("2026-Q3", D(2026, 7, 1), D(2026, 10, 1))),
        ("last-quarter", D(2026, 2, 1), Period("2025-Q4", D(2025, 10, 1), D(2026, 1, 1))),
        ("year-to-date", D(2026, 11, 22), Period("2026-YTD", D(2026, 1, 1), D(2026, 11, 23))),
    ],
)
def test_relative_periods(text: str, today: dt.date, expected: Period) -> None:
    assert parse_period(text, today=today) == expected


def test_empty_is_all_data() -> None:
    period = parse_period("")
    assert period.is_all and period.slug == "all"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-13", "period '2026-13' has month 13; months are 01–12."),
        ("2026-00", "period '2026-00' has month 00"),
        ("2026-Q5", "period '2026-Q5' is not a period."),
        ("last-week", "period 'last-week' is not a period. Use one of"),
        ("Sept 2026", "period 'Sept 2026' is not a period."),
        ("0000", "period '0000' has year 0; years are 1900–2999."),
        ("9999-12", "period '9999-12' has year 9999"),
    ],
)
def test_bad_periods(text: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        parse_period(text)


def test_non_text_period() -> None:
    with pytest.raises(ParameterError, match=r"period must be text .* got 2026"):
        parse_period(2026)  # type: ignore[arg-type]


def test_mask_uses_local_calendar_days() -> None:
    # 2026-08-31 22:30 UTC is already 1 September in Copenhagen
    stamps = pd.Series(pd.to_datetime(["2026-08-31 21:30", "2026-08-31 22:30"]).tz_localize("UTC"))
    mask = parse_period("2026-09").mask(stamps, "Europe/Copenhagen")
    assert mask.tolist() == [False, True]
