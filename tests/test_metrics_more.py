"""CSAT, CES, eNPS, grains, comparisons and corrections; against statsmodels and by hand."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from cxlib.errors import ParameterError
from cxlib.metrics import Metric, adjust_p, ces, compare, compute, csat, enps, mean_score, nps
from cxlib.periods import parse_period

Z95 = 1.959963984540054


def scores(values: list[int | None], name: str = "csat", **columns: list[object]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.array(values, dtype="Int64"), **columns})


def stamps(*texts: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(texts), format="ISO8601", utc=True))


def test_csat_is_the_top_two_box_share_with_the_wilson_interval() -> None:
    data = scores([5, 4, 4, 3, 2, 1, 5, None, 4, 3])  # 5 of 9 answers are 4–5
    row = csat(data).iloc[0]
    assert (row["n"], row["hits"]) == (9, 5)
    assert row["value"] == pytest.approx(100 * 5 / 9)
    low, high = proportion_confint(5, 9, alpha=0.05, method="wilson")
    assert row["ci_low"] == pytest.approx(100 * low, abs=1e-9)
    assert row["ci_high"] == pytest.approx(100 * high, abs=1e-9)
    assert row["flags"] == "small_n"


def test_csat_on_another_scale_counts_its_top_two_points() -> None:
    data = scores([10, 9, 8, 0, 7], name="score")
    assert csat(data, score="score", scale=(0, 10)).iloc[0]["hits"] == 2
    with pytest.raises(ParameterError, match=r"CSAT scale must be \(lowest, highest\)"):
        csat(data, score="score", scale=(5, 1))


def test_ces_share_agreeing_and_mean_with_interval() -> None:
    values = [7, 6, 5, 4, 3, 1, 7, 5]
    data = scores(values, name="ces")
    row = ces(data).iloc[0]
    assert (row["n"], row["hits"]) == (8, 5)
    low, high = proportion_confint(5, 8, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * low, 100 * high), abs=1e-9)
    mean = mean_score(data, "ces").iloc[0]
    reference = DescrStatsW(np.array(values, dtype=float))
    assert mean["value"] == pytest.approx(reference.mean)
    assert mean["sd"] == pytest.approx(reference.std_mean * math.sqrt(8))
    low, high = reference.zconfint_mean(alpha=0.05)
    assert (mean["ci_low"], mean["ci_high"]) == pytest.approx((low, high))


def test_enps_suppresses_small_groups_but_keeps_their_n() -> None:
    data = scores([10, 9, 0, 10, 10, 3, 8], name="enps", department=list("aaaaabb"))
    result = enps(data, by=["department"]).set_index("department")
    assert result.loc["a", "value"] == pytest.approx(100 * 3 / 5)
    assert result.loc["b", "n"] == 2 and math.isnan(result.loc["b", "value"])
    assert result.loc["b", "flags"] == "small_n,suppressed"


@pytest.mark.parametrize(
    ("grain", "labels"),
    [
        ("week", ["2025-W01", "2025-W05", "2026-W53"]),
        ("month", ["2024-12", "2025-02", "2027-01"]),
        ("quarter", ["2024-Q4", "2025-Q1", "2027-Q1"]),
        ("year", ["2024", "2025", "2027"]),
    ],
)
def test_period_labels_follow_iso_weeks_and_the_time_zone(grain: str, labels: list[str]) -> None:
    # 30 Dec 2024 is in ISO week 1 of 2025; 3 Jan 2027 in week 53 of 2026; 23:30 UTC on
    # 31 January is 1 February in Copenhagen
    data = scores(
        [5, 1, 4],
        submitted_at=stamps("2024-12-30T12:00", "2025-01-31T23:30", "2027-01-03T10:00"),
    )
    result = csat(data, grain=grain, timezone="Europe/Copenhagen")
    assert result["period"].tolist() == labels


def test_a_period_filters_rows_and_an_empty_period_gives_a_clear_result() -> None:
    data = scores(
        [5, 1, 4, 4],
        region=["n", "n", "s", "s"],
        submitted_at=stamps("2025-03-31T21:59", "2025-03-31T22:30", "2025-05-02", "2025-06-30"),
    )
    q1 = csat(data, period=parse_period("2025-Q1"), timezone="Europe/Copenhagen").iloc[0]
    assert (q1["n"], q1["hits"]) == (1, 1)  # 22:30 UTC on 31 March is April in Copenhagen
    empty = csat(data, period=parse_period("2024"))
    assert empty["n"].tolist() == [0] and math.isnan(empty["value"].iloc[0])
    by_region = csat(data, by=["region"], period=parse_period("2024"))
    assert by_region.empty and list(by_region.columns)[:2] == ["region", "n"]


def test_empty_groups_single_answers_and_all_missing_columns() -> None:
    data = scores([None, None, 5], g=["a", "a", "b"])
    result = csat(data, by=["g"]).set_index("g")
    assert result.loc["a", "n"] == 0 and math.isnan(result.loc["a", "value"])
    assert result.loc["b", "value"] == 100 and result.loc["b", "flags"] == "small_n"
    one = mean_score(data, "csat", by=["g"]).set_index("g").loc["b"]
    assert one["value"] == 5 and math.isnan(one["ci_low"])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"by": ["regoin"]},
            r"dimension 'regoin' is not a column of the data\. "
            r"Did you mean 'region'\? Columns there are: csat, region",
        ),
        ({"score": "nope"}, "column 'nope' is not a column of the data"),
        ({"grain": "month"}, "timestamp column 'submitted_at' is not a column of the data"),
        ({"confidence": 0}, "confidence must lie between 0 and 1; got 0"),
        ({"min_n": -1}, "min_n must be 0 or more; got -1"),
    ],
)
def test_bad_parameters_say_what_there_is(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        csat(scores([4], region=["n"]), **kwargs)


def test_metric_definitions_are_checked() -> None:
    data = scores([4])
    with pytest.raises(ParameterError, match="metric kind must be one of nps, share, mean"):
        compute(data, {"x": Metric("median", "csat")})
    with pytest.raises(ParameterError, match="share of 'csat' needs at_least"):
        compute(data, {"x": Metric("share", "csat")})


def test_nps_comparison_matches_the_hand_computation_and_holm() -> None:
    now = scores([10] * 50 + [0] * 20 + [8] * 30, name="nps", g=["x"] * 100)
    before = scores([10] * 30 + [0] * 30 + [8] * 40, name="nps", g=["x"] * 100)
    result = compare(nps(now, by=["g"]), nps(before, by=["g"]), on=["g"]).iloc[0]
    var = (0.5 + 0.2 - 0.3**2) / 100 + (0.3 + 0.3) / 100
    assert result["change"] == pytest.approx(30.0)
    assert result["z"] == pytest.approx(0.3 / math.sqrt(var))
    assert result["p_value"] == pytest.approx(math.erfc(result["z"] / math.sqrt(2)))
    assert result["p_adjusted"] == pytest.approx(result["p_value"])  # a family of one
    assert bool(result["significant"])


def test_share_comparison_matches_statsmodels() -> None:
    now = scores([5] * 60 + [1] * 40)
    before = scores([5] * 45 + [2] * 55)
    result = compare(csat(now), csat(before)).iloc[0]
    z, p = proportions_ztest([60, 45], [100, 100])
    assert result["z"] == pytest.approx(z) and result["p_value"] == pytest.approx(p)
    assert result["change"] == pytest.approx(15.0)


def test_mean_comparison_matches_statsmodels() -> None:
    a, b = [7, 6, 5, 7, 2, 6, 5], [3, 4, 5, 2, 6, 1, 4, 5]
    result = compare(mean_score(scores(a, "ces"), "ces"), mean_score(scores(b, "ces"), "ces"))
    z, p = CompareMeans.from_data(np.array(a, float), np.array(b, float)).ztest_ind(
        usevar="unequal"
    )
    assert result.iloc[0]["z"] == pytest.approx(z) and result.iloc[0]["p_value"] == pytest.approx(p)


@pytest.mark.parametrize(("ours", "theirs"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_corrections_match_statsmodels(ours: str, theirs: str) -> None:
    p = np.array([0.01, 0.04, 0.03, 0.20, 0.005, 0.04, np.nan])
    expected = multipletests(p[:-1], method=theirs)[1]
    adjusted = adjust_p(p, ours)
    assert adjusted[:-1] == pytest.approx(expected)
    assert math.isnan(adjusted[-1])
    with pytest.raises(ParameterError, match="correction must be one of holm, bh, none"):
        adjust_p(p, "bonferroni")


def test_many_segments_are_corrected_together() -> None:
    rng = np.random.default_rng(7)
    groups = list("abcdefgh")
    now = scores(list(rng.integers(1, 6, 800)), g=groups * 100)
    before = scores(list(rng.integers(1, 6, 800)), g=groups * 100)
    result = compare(csat(now, by=["g"]), csat(before, by=["g"]), on=["g"], correction="bh")
    assert result["p_adjusted"].to_numpy() == pytest.approx(
        multipletests(result["p_value"], method="fdr_bh")[1]
    )
    assert (result["significant"] == (result["p_adjusted"] < 0.05)).all()


def test_comparing_different_metrics_or_empty_sides_is_clear() -> None:
    data = scores([4, 5])
    with pytest.raises(ParameterError, match="compare needs two results of the same metric"):
        compare(csat(data), mean_score(data, "csat"))
    result = compare(csat(data), csat(scores([None]))).iloc[0]
    assert math.isnan(result["p_value"]) and not result["significant"]


def survey(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    start = pd.Timestamp("2024-12-20", tz="UTC")
    offsets = pd.to_timedelta(rng.integers(0, 400 * 24 * 60, rows), unit="min")
    data = pd.DataFrame(
        {
            "nps": pd.array(rng.integers(0, 11, rows), dtype="Int64"),
            "csat": pd.array(rng.integers(1, 6, rows), dtype="Int64"),
            "ces": pd.array(rng.integers(1, 8, rows), dtype="Int64"),
            "region": rng.choice(["north", "south", "east"], rows),
            "submitted_at": start + offsets,
        }
    )
    data.loc[::7, "csat"] = pd.NA
    return data


#: The survey KPIs every engine must compute alike (also used by tests/spark).
SURVEY_SPECS = {
    "nps": Metric("nps", "nps"),
    "csat": Metric("share", "csat", at_least=4),
    "ces": Metric("share", "ces", at_least=5),
    "ces_mean": Metric("mean", "ces"),
}


@pytest.mark.parametrize("grain", ["week", "month", None])
def test_engines_agree(engine: Callable[[pd.DataFrame], Any], grain: str | None) -> None:
    data = survey(3000, seed=3)
    specs = SURVEY_SPECS
    options: dict[str, Any] = {"by": ["region"], "grain": grain, "timezone": "Europe/Berlin"}
    expected = compute(data, specs, **options)
    got = compute(engine(data), specs, **options)
    for name in specs:
        pd.testing.assert_frame_equal(got[name], expected[name], check_dtype=False, atol=1e-9)
    period = parse_period("2025-Q2")
    pd.testing.assert_frame_equal(
        csat(engine(data), period=period, timezone="Europe/Berlin"),
        csat(data, period=period, timezone="Europe/Berlin"),
        check_dtype=False,
        atol=1e-9,
    )


def test_the_callers_frames_are_not_changed(engine: Callable[[pd.DataFrame], Any]) -> None:
    data = survey(50, seed=1)
    native = engine(data)
    before = data.copy()
    columns = list(nw_columns(native))
    compute(native, {"c": Metric("share", "csat", at_least=4)}, by=["region"], grain="month")
    pd.testing.assert_frame_equal(data, before)
    assert list(nw_columns(native)) == columns


def nw_columns(native: Any) -> list[str]:
    import narwhals as nw

    return list(nw.from_native(native).collect_schema().names())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=200), st.integers(2, 5))
def test_csat_bounds_and_interval_narrowing(values: list[int], times: int) -> None:
    row = csat(scores(values)).iloc[0]
    assert 0 <= row["ci_low"] <= row["value"] <= row["ci_high"] <= 100
    more = csat(scores(values * times)).iloc[0]
    assert more["value"] == pytest.approx(row["value"])
    assert more["ci_high"] - more["ci_low"] < row["ci_high"] - row["ci_low"]
    nps_few = nps(scores([v * 2 for v in values], "nps")).iloc[0]
    nps_many = nps(scores([v * 2 for v in values] * times, "nps")).iloc[0]
    assert nps_many["ci_high"] - nps_many["ci_low"] < nps_few["ci_high"] - nps_few["ci_low"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 7), st.sampled_from("xyz")), min_size=1, max_size=150))
def test_ces_groups_add_up_to_the_total(rows: list[tuple[int, str]]) -> None:
    data = scores([v for v, _ in rows], "ces", g=[g for _, g in rows])
    total, groups = ces(data).iloc[0], ces(data, by=["g"])
    assert groups["n"].sum() == total["n"] and groups["hits"].sum() == total["hits"]
    means = mean_score(data, "ces", by=["g"])
    overall = (means["value"] * means["n"]).sum() / means["n"].sum()
    assert overall == pytest.approx(mean_score(data, "ces").iloc[0]["value"])


def test_week_labels_match_python_isocalendar() -> None:
    days = pd.date_range("2019-12-20", "2027-01-10", freq="D", tz="UTC") + pd.Timedelta(hours=12)
    data = scores([5] * len(days), submitted_at=list(days))
    result = csat(data, grain="week")
    expected = sorted(
        {f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in days.date}  # type: ignore[union-attr]
    )
    assert result["period"].tolist() == expected
    assert result["n"].sum() == len(days)
    assert dt.date(2020, 12, 31).isocalendar()[1] == 53  # 2020 has 53 weeks too
