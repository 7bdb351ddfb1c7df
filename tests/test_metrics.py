"""NPS and its interval against hand computations and invariants."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlib.errors import ParameterError
from cxlib.metrics import nps, nps_change, rating_means


def frame(scores: list[int | None], **columns: list[object]) -> pd.DataFrame:
    return pd.DataFrame({"nps": pd.array(scores, dtype="Int64"), **columns})


def test_nps_matches_a_hand_computation() -> None:
    # 4 promoters (9, 10, 10, 9), 3 passives (7, 8, 8), 3 detractors (0, 5, 6), one missing
    scores = [9, 10, 10, 9, 7, 8, 8, 0, 5, 6, None]
    row = nps(frame(scores)).iloc[0]
    assert row["n"] == 10
    assert row["promoters"] == 4 and row["detractors"] == 3
    assert row["value"] == pytest.approx(10.0)
    # adjusted Wald by hand: n' = 13, p' = 4.75/13, d' = 3.75/13
    p, d = 4.75 / 13, 3.75 / 13
    half = 1.959963984540054 * math.sqrt((p + d - (p - d) ** 2) / 13)
    assert row["ci_low"] == pytest.approx(100 * (p - d - half))
    assert row["ci_high"] == pytest.approx(100 * (p - d + half))
    assert row["flags"] == "small_n"


def test_interval_is_clipped_to_the_scale() -> None:
    row = nps(frame([10] * 40)).iloc[0]
    assert row["value"] == 100
    assert row["ci_high"] == 100
    assert 80 < row["ci_low"] < 100
    assert row["flags"] == ""


def test_empty_selection_has_no_value_and_no_interval() -> None:
    row = nps(frame([None, None])).iloc[0]
    assert row["n"] == 0
    assert pd.isna(row["value"]) and pd.isna(row["ci_low"]) and pd.isna(row["ci_high"])
    assert row["flags"] == "small_n"


def test_groups_and_months_use_the_workspace_time_zone() -> None:
    # 23:30 UTC on 31 January is already February in Copenhagen
    stamps = pd.to_datetime(["2025-01-31 23:30", "2025-01-15 12:00", "2025-02-10 08:00"])
    data = frame([10, 0, 9], g=["a", "a", "b"], submitted_at=stamps.tz_localize("UTC"))
    result = nps(data, grain="month", timezone="Europe/Copenhagen")
    assert result["period"].tolist() == ["2025-01", "2025-02"]
    assert result["n"].tolist() == [1, 2]
    by_group = nps(data, by=["g"], grain="quarter", timezone="Europe/Copenhagen")
    assert by_group[["g", "period", "n"]].values.tolist() == [
        ["a", "2025-Q1", 2],
        ["b", "2025-Q1", 1],
    ]


def test_the_callers_frame_is_not_changed() -> None:
    data = frame([1, 9, 10], g=["a", "b", "b"])
    before = data.copy()
    nps(data, by=["g"])
    pd.testing.assert_frame_equal(data, before)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"grain": "weekly"}, "grain must be one of week, month, quarter, year; got 'weekly'"),
        ({"confidence": 1.5}, "confidence must lie between 0 and 1; got 1.5"),
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        nps(frame([1, 2]), **kwargs)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=300), st.randoms())
def test_nps_bounds_order_invariance_and_interval(scores: list[int], rnd: object) -> None:
    row = nps(frame(scores)).iloc[0]
    assert -100 <= row["value"] <= 100
    assert -100 <= row["ci_low"] <= row["ci_high"] <= 100
    shuffled = scores[:]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    again = nps(frame(shuffled)).iloc[0]
    assert again["value"] == pytest.approx(row["value"])
    assert again["ci_low"] == pytest.approx(row["ci_low"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10), st.sampled_from("xyz")), min_size=1, max_size=200))
def test_groups_add_up_to_the_total(rows: list[tuple[int, str]]) -> None:
    data = frame([s for s, _ in rows], g=[g for _, g in rows])
    total = nps(data).iloc[0]
    groups = nps(data, by=["g"])
    assert groups["n"].sum() == total["n"]
    assert groups["promoters"].sum() == total["promoters"]
    weighted = (groups["value"] * groups["n"]).sum() / groups["n"].sum()
    assert weighted == pytest.approx(total["value"])


def test_change_matches_a_hand_computation() -> None:
    # group 1: 50 promoters, 20 detractors of 100; group 2: 30 and 30 of 100
    change = nps_change(100, 50, 20, 100, 30, 30)
    var_1 = (0.5 + 0.2 - 0.3**2) / 100
    var_2 = (0.3 + 0.3 - 0.0**2) / 100
    z = 0.3 / math.sqrt(var_1 + var_2)
    assert change.change == pytest.approx(30.0)
    assert change.z == pytest.approx(z)
    assert change.p_value == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(z / math.sqrt(2)))))


def test_change_without_answers_is_not_a_number() -> None:
    assert math.isnan(nps_change(0, 0, 0, 10, 5, 1).p_value)
    assert math.isnan(nps_change(10, 10, 0, 10, 10, 0).z)


def test_rating_means_keep_their_columns() -> None:
    data = pd.DataFrame({"rating_a": pd.array([1, 2, 3, None], dtype="Int64")})
    row = rating_means(data, ["rating_a"]).iloc[0]
    assert row["rating"] == "rating_a" and row["n"] == 3 and row["value"] == pytest.approx(2.0)
    half = 1.959963984540054 * 1.0 / math.sqrt(3)
    assert row["ci_low"] == pytest.approx(2 - half)
    with pytest.raises(ParameterError, match="rating_means needs at least one rating column"):
        rating_means(data, [])
