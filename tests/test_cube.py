"""Pre-aggregated survey sums: every figure equals cxlib.metrics on the filtered rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cxlib.cube import ALL, build_cube
from cxlib.metrics import Metric, compute
from cxlib.params import Segment
from cxlib.periods import Period, parse_period
from cxlib.sources import load_table
from cxlib.workspace import load_workspace

SPECS = {
    "nps": Metric("nps", "nps"),
    "csat": Metric("share", "csat", at_least=4),
    "ces": Metric("share", "ces", at_least=5),
    "ces_mean": Metric("mean", "ces"),
}
ZONE = "Europe/Copenhagen"


def _rows(frame: pd.DataFrame, period: Period, segment: Segment | None) -> pd.DataFrame:
    """The rows a page selects: the segment's value, then the period in local time."""
    if segment is not None:
        frame = frame[frame[segment.dimension] == segment.value]
    return frame[period.mask(frame["submitted_at"], ZONE)]


def _tiny() -> pd.DataFrame:
    stamps = pd.to_datetime(
        [
            "2026-01-31 23:30",  # 1 February in Copenhagen
            "2026-01-15 10:00",
            "2026-02-03 09:00",
            None,  # no timestamp: counts for all data only
            "2026-03-01 12:00",
            "2026-03-20 12:00",
        ],
        utc=True,
    )
    return pd.DataFrame(
        {
            "submitted_at": stamps,
            "nps": pd.array([10, 3, 9, None, 7, 0], dtype="Int64"),
            "csat": pd.array([5, 2, 4, 5, None, 1], dtype="Int64"),
            "ces": pd.array([7, 1, 5, 6, 4, None], dtype="Int64"),
            "region": pd.array(["North", "South", None, "North", "South", "North"], dtype="str"),
        }
    )


@pytest.fixture(scope="module")
def demo_rows(demo_workspace: Path) -> pd.DataFrame:
    return load_table(load_workspace(demo_workspace), "responses").frame


@pytest.mark.parametrize(
    ("period", "segment"),
    [
        ("", None),
        ("2025", None),
        ("2025-Q4", ("region", "Hamburg")),
        ("2025-11", ("channel", "Store")),
        ("2026-Q1", ("segment", "Member")),
        ("", ("country", "Denmark")),
        ("2024-12", ("region", "Syddanmark")),
    ],
)
def test_figures_equal_metrics_on_the_demo(
    demo_rows: pd.DataFrame, period: str, segment: tuple[str, str] | None
) -> None:
    chosen = Segment(*segment) if segment else None
    parsed = parse_period(period)
    cube = build_cube(
        demo_rows, SPECS, dimensions=["country", "region", "channel", "segment"], timezone=ZONE
    )
    rows = _rows(demo_rows, parsed, chosen)
    assert len(rows) > 0
    expected = compute(rows, SPECS)
    got = cube.compute(period=parsed, segment=chosen)
    for name in SPECS:
        pd.testing.assert_frame_equal(got[name], expected[name], check_exact=True)
    expected_trend = compute(rows, SPECS, grain="month", timezone=ZONE)
    got_trend = cube.compute(period=parsed, segment=chosen, grain="month")
    for name in SPECS:
        pd.testing.assert_frame_equal(got_trend[name], expected_trend[name], check_exact=True)
    assert cube.latest(period=parsed, segment=chosen) == rows["submitted_at"].max()


def test_months_follow_the_local_calendar_and_undated_rows_count_for_all_data() -> None:
    frame = _tiny()
    cube = build_cube(frame, SPECS, dimensions=["region"], timezone=ZONE)
    assert cube.months() == ["2026-01", "2026-02", "2026-03"]
    february = cube.compute(period=parse_period("2026-02"))["nps"]
    assert february[["n", "promoters", "detractors"]].iloc[0].tolist() == [2, 2, 0]
    everything = cube.compute()["csat"]
    assert everything[["n", "hits"]].iloc[0].tolist() == [5, 3]  # the undated 5 counts
    year = cube.compute(period=parse_period("2026"))["csat"]
    assert year[["n", "hits"]].iloc[0].tolist() == [4, 2]  # … but in no period
    monthly = cube.compute(grain="month")["nps"]
    assert monthly["period"].tolist() == ["2026-01", "2026-02", "2026-03"]
    assert monthly["n"].tolist() == [1, 2, 2]


def test_segments_match_values_and_skip_missing_ones() -> None:
    frame = _tiny()
    cube = build_cube(frame, SPECS, dimensions=["region"], timezone=ZONE)
    assert cube.values("region") == ["North", "South"]
    north = cube.compute(segment=Segment("region", "North"))["ces"]
    expected = compute(frame[frame["region"] == "North"], SPECS)["ces"]
    pd.testing.assert_frame_equal(north, expected, check_exact=True)
    regions = cube.cells.loc[cube.cells["dimension"] == "region", "value"]
    assert regions.notna().all()
    assert set(cube.cells["dimension"]) == {ALL, "region"}


def test_empty_selection_gives_no_answers() -> None:
    cube = build_cube(_tiny(), SPECS, dimensions=["region"], timezone=ZONE)
    result = cube.compute(period=parse_period("2030"))["nps"]
    assert int(result["n"].iloc[0]) == 0 and np.isnan(result["value"].iloc[0])
    assert result["flags"].iloc[0] == "small_n"
    assert cube.latest(period=parse_period("2030")) is None
    assert len(cube.compute(period=parse_period("2030"), grain="month")["nps"]) == 0


def test_weighted_sums_equal_metrics_within_float_rounding(demo_rows: pd.DataFrame) -> None:
    rng = np.random.default_rng(7)
    weighted = demo_rows.assign(weight=rng.uniform(0.2, 3.0, len(demo_rows)))
    cube = build_cube(weighted, SPECS, dimensions=["region"], timezone=ZONE)
    assert cube.weight == "weight"
    for period, segment in (("2025-Q4", Segment("region", "Hamburg")), ("", None)):
        parsed = parse_period(period)
        expected = compute(_rows(weighted, parsed, segment), SPECS)
        got = cube.compute(period=parsed, segment=segment)
        for name in SPECS:
            pd.testing.assert_frame_equal(got[name], expected[name], rtol=1e-9, atol=1e-9)


def test_the_callers_frame_is_not_changed() -> None:
    frame = _tiny()
    before = frame.copy()
    build_cube(frame, SPECS, dimensions=["region"], timezone=ZONE)
    pd.testing.assert_frame_equal(frame, before)


def test_other_engines_give_the_same_cells(engine: Any) -> None:
    frame = _tiny()
    expected = build_cube(frame, SPECS, dimensions=["region"], timezone=ZONE)
    got = build_cube(engine(frame), SPECS, dimensions=["region"], timezone=ZONE)
    for period in ("", "2026-02", "2026-Q1"):
        parsed = parse_period(period)
        for name in SPECS:
            pd.testing.assert_frame_equal(
                got.compute(period=parsed)[name], expected.compute(period=parsed)[name]
            )


def test_rows_without_a_timestamp_column_allow_all_data_only() -> None:
    frame = _tiny().drop(columns="submitted_at")
    cube = build_cube(frame, SPECS, dimensions=["region"])
    assert not cube.dated and cube.months() == []
    assert int(cube.compute()["nps"]["n"].iloc[0]) == 5
    with pytest.raises(Exception, match="no timestamp, so a period cannot apply"):
        cube.compute(period=parse_period("2026"))


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.compute(period=Period("x", *_days("2026-01-05", "2026-02-01"))), "whole"),
        (lambda c: c.compute(segment=Segment("regoin", "North")), "Did you mean 'region'"),
        (lambda c: c.compute(segment=Segment("region", "Nort")), "no rows have region 'Nort'"),
        (lambda c: c.compute(grain="week"), "grain None or 'month'; got 'week'"),
        (lambda c: c.compute(min_n=-1), "min_n must be 0 or more"),
        (lambda c: c.values("channel"), "no dimension 'channel'"),
    ],
)
def test_bad_questions_are_refused_clearly(call: Any, message: str) -> None:
    from cxlib.errors import ParameterError

    cube = build_cube(_tiny(), SPECS, dimensions=["region"], timezone=ZONE)
    with pytest.raises(ParameterError, match=message):
        call(cube)


def test_bad_input_is_refused_clearly() -> None:
    from cxlib.errors import ParameterError

    frame = _tiny()
    with pytest.raises(ParameterError, match="dimension 'regio' is not a column"):
        build_cube(frame, SPECS, dimensions=["regio"])
    with pytest.raises(ParameterError, match="needs at_least"):
        build_cube(frame, {"x": Metric("share", "csat")})
    with pytest.raises(ParameterError, match="'weight' has 1 negative values"):
        build_cube(frame.assign(weight=[1.0, -1.0, 1.0, 1.0, 1.0, 1.0]), SPECS)


def _days(start: str, end: str) -> tuple[Any, Any]:
    return pd.Timestamp(start).date(), pd.Timestamp(end).date()
