"""Timestamps from text: formats found, day/month order never guessed."""

from __future__ import annotations

import pandas as pd
import pytest

from cxlib.dates import AmbiguousDates, infer_format, parse_timestamps


def text(*values: str | None) -> pd.Series:
    return pd.Series(list(values), dtype=pd.StringDtype("pyarrow"))


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (("2026-03-04", "2026-12-31 10:00"), "ISO8601"),
        (("25/03/2026", "01/04/2026"), "%d/%m/%Y"),
        (("03/25/2026 9:05", "04/01/2026 10:00"), "%m/%d/%Y %H:%M"),
        (("29.2.2016 01:16:00", "1.3.2016 10:00:00"), "%d.%m.%Y %H:%M:%S"),
        (("13-01-26",), "%d-%m-%y"),
        ((None, None), "ISO8601"),
    ],
)
def test_formats_are_found(values: tuple[str | None, ...], expected: str) -> None:
    assert infer_format(text(*values)) == expected


def test_ambiguous_order_is_refused() -> None:
    with pytest.raises(AmbiguousDates) as caught:
        infer_format(text("03/04/2026", "05/06/2026", "12/12/2026"))
    assert caught.value.example == "03/04/2026"
    assert (caught.value.day_first, caught.value.month_first) == ("%d/%m/%Y", "%m/%d/%Y")


def test_same_reading_either_way_is_not_ambiguous() -> None:
    assert infer_format(text("01/01/2026", "02/02/2026")) == "%d/%m/%Y"


def test_local_times_and_offsets_to_utc() -> None:
    parsed = parse_timestamps(
        text("2026-07-01 12:00", "2026-07-01T12:00:00+00:00", "not a date", None),
        "ISO8601",
        "Europe/Berlin",
    )
    assert parsed.iloc[0] == pd.Timestamp("2026-07-01 10:00", tz="UTC")
    assert parsed.iloc[1] == pd.Timestamp("2026-07-01 12:00", tz="UTC")
    assert parsed.iloc[2:].isna().all()


def test_clock_changes() -> None:
    # 02:30 on 29 March 2026 does not exist in Berlin; 02:30 on 25 October happens twice
    parsed = parse_timestamps(
        text("2026-03-29 02:30", "2026-10-25 02:30"), "ISO8601", "Europe/Berlin"
    )
    assert parsed.iloc[0] == pd.Timestamp("2026-03-29 01:00", tz="UTC")
    assert parsed.iloc[1] == pd.Timestamp("2026-10-25 01:30", tz="UTC")
