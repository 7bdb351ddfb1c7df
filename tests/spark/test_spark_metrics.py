"""Survey metrics on Spark DataFrames equal the pandas engine (the main suite's cases)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint
from test_metrics import frame
from test_metrics_more import SURVEY_SPECS, scores, stamps, survey

from cxlib.metrics import Metric, ces, compare, compute, csat, mean_score, nps
from cxlib.periods import parse_period

Same = Callable[[pd.DataFrame, pd.DataFrame], None]
ToSpark = Callable[[pd.DataFrame], Any]


def test_nps_with_the_adjusted_wald_interval(to_spark: ToSpark, assert_same: Same) -> None:
    data = frame([9, 10, 10, 9, 7, 8, 8, 0, 5, 6, None])
    got = nps(to_spark(data))
    assert_same(got, nps(data))
    row = got.iloc[0]
    assert (row["n"], row["promoters"], row["detractors"]) == (10, 4, 3)
    p, d = 4.75 / 13, 3.75 / 13  # Rocks (2016): n' = n + 3, ¾ added to P and D
    half = 1.959963984540054 * math.sqrt((p + d - (p - d) ** 2) / 13)
    assert row["ci_low"] == pytest.approx(100 * (p - d - half), abs=1e-9)
    assert row["ci_high"] == pytest.approx(100 * (p - d + half), abs=1e-9)


def test_csat_with_the_wilson_interval(to_spark: ToSpark, assert_same: Same) -> None:
    data = scores([5, 4, 4, 3, 2, 1, 5, None, 4, 3])
    got = csat(to_spark(data))
    assert_same(got, csat(data))
    low, high = proportion_confint(5, 9, alpha=0.05, method="wilson")
    assert (got.iloc[0]["ci_low"], got.iloc[0]["ci_high"]) == pytest.approx(
        (100 * low, 100 * high), abs=1e-9
    )


def test_ces_share_and_mean(to_spark: ToSpark, assert_same: Same) -> None:
    data = scores([7, 6, 5, 4, 3, 1, 7, 5], name="ces")
    assert_same(ces(to_spark(data)), ces(data))
    assert_same(mean_score(to_spark(data), "ces"), mean_score(data, "ces"))
    assert ces(to_spark(data)).iloc[0]["hits"] == 5


@pytest.mark.parametrize("grain", ["week", "month", None])
def test_by_groups_and_grains_agree(
    grain: str | None, to_spark: ToSpark, assert_same: Same
) -> None:
    data = survey(3000, seed=3)
    specs = SURVEY_SPECS
    options: dict[str, Any] = {"by": ["region"], "grain": grain, "timezone": "Europe/Berlin"}
    expected = compute(data, specs, **options)
    got = compute(to_spark(data), specs, **options)
    for name in specs:
        assert_same(got[name], expected[name])
    period = parse_period("2025-Q2")
    assert_same(
        csat(to_spark(data), period=period, timezone="Europe/Berlin"),
        csat(data, period=period, timezone="Europe/Berlin"),
    )


def test_months_follow_the_workspace_time_zone(to_spark: ToSpark, assert_same: Same) -> None:
    # 23:30 UTC on 31 January is already February in Copenhagen
    at = pd.to_datetime(["2025-01-31 23:30", "2025-01-15 12:00", "2025-02-10 08:00"])
    data = frame([10, 0, 9], g=["a", "a", "b"], submitted_at=at.tz_localize("UTC"))
    got = nps(to_spark(data), grain="month", timezone="Europe/Copenhagen")
    assert_same(got, nps(data, grain="month", timezone="Europe/Copenhagen"))
    assert got["period"].tolist() == ["2025-01", "2025-02"] and got["n"].tolist() == [1, 2]
    by_group = nps(to_spark(data), by=["g"], grain="quarter", timezone="Europe/Copenhagen")
    assert by_group[["g", "period", "n"]].values.tolist() == [
        ["a", "2025-Q1", 2],
        ["b", "2025-Q1", 1],
    ]


@pytest.mark.parametrize("grain", ["week", "month", "quarter", "year"])
def test_period_labels_and_iso_weeks(grain: str, to_spark: ToSpark, assert_same: Same) -> None:
    # 30 Dec 2024 is in ISO week 1 of 2025, 3 Jan 2027 (a Sunday) in week 53 of 2026
    data = scores(
        [5, 1, 4],
        submitted_at=stamps("2024-12-30T12:00", "2025-01-31T23:30", "2027-01-03T10:00"),
    )
    assert_same(
        csat(to_spark(data), grain=grain, timezone="Europe/Copenhagen"),
        csat(data, grain=grain, timezone="Europe/Copenhagen"),
    )


def test_every_day_gets_its_iso_week(to_spark: ToSpark) -> None:
    days = pd.date_range("2019-12-20", "2027-01-10", freq="D", tz="UTC") + pd.Timedelta(hours=12)
    data = scores([5] * len(days), submitted_at=list(days))
    got = csat(to_spark(data), grain="week")
    expected = sorted({f"{d.isocalendar()[0]}-W{d.isocalendar()[1]:02d}" for d in days.date})  # type: ignore[union-attr]
    assert got["period"].tolist() == expected
    assert got["n"].sum() == len(days)


def test_a_period_and_the_time_zone_filter_rows(to_spark: ToSpark, assert_same: Same) -> None:
    data = scores(
        [5, 1, 4, 4],
        region=["n", "n", "s", "s"],
        submitted_at=stamps("2025-03-31T21:59", "2025-03-31T22:30", "2025-05-02", "2025-06-30"),
    )
    q1 = parse_period("2025-Q1")
    got = csat(to_spark(data), period=q1, timezone="Europe/Copenhagen")
    assert_same(got, csat(data, period=q1, timezone="Europe/Copenhagen"))
    assert (got.iloc[0]["n"], got.iloc[0]["hits"]) == (1, 1)
    empty = csat(to_spark(data), by=["region"], period=parse_period("2024"))
    assert empty.empty and list(empty.columns)[:2] == ["region", "n"]


def test_results_do_not_depend_on_the_session_time_zone(
    spark: Any, to_spark: ToSpark, assert_same: Same
) -> None:
    data = survey(500, seed=5)
    expected = csat(data, by=["region"], grain="week", timezone="Asia/Kolkata")
    zone = spark.conf.get("spark.sql.session.timeZone")
    try:
        for other in ("UTC", "Pacific/Auckland", "Asia/Kolkata"):
            spark.conf.set("spark.sql.session.timeZone", other)
            assert_same(
                csat(to_spark(data), by=["region"], grain="week", timezone="Asia/Kolkata"),
                expected,
            )
    finally:
        spark.conf.set("spark.sql.session.timeZone", zone)


@pytest.mark.parametrize("correction", ["holm", "bh"])
def test_compare_with_corrections(correction: str, to_spark: ToSpark, assert_same: Same) -> None:
    import numpy as np

    rng = np.random.default_rng(7)
    groups = list("abcdefgh")
    now = scores(list(rng.integers(1, 6, 800)), g=groups * 100)
    before = scores(list(rng.integers(1, 6, 800)), g=groups * 100)
    expected = compare(csat(now, by=["g"]), csat(before, by=["g"]), on=["g"], correction=correction)
    got = compare(
        csat(to_spark(now), by=["g"]),
        csat(to_spark(before), by=["g"]),
        on=["g"],
        correction=correction,
    )
    assert_same(got, expected)
    assert len(got) == 8


def test_nps_comparison_matches_the_hand_computation(to_spark: ToSpark) -> None:
    now = scores([10] * 50 + [0] * 20 + [8] * 30, name="nps", g=["x"] * 100)
    before = scores([10] * 30 + [0] * 30 + [8] * 40, name="nps", g=["x"] * 100)
    row = compare(nps(to_spark(now), by=["g"]), nps(to_spark(before), by=["g"]), on=["g"]).iloc[0]
    var = (0.5 + 0.2 - 0.3**2) / 100 + (0.3 + 0.3) / 100
    assert row["change"] == pytest.approx(30.0, abs=1e-9)
    assert row["z"] == pytest.approx(0.3 / math.sqrt(var), abs=1e-9)
    assert row["p_adjusted"] == pytest.approx(row["p_value"]) and bool(row["significant"])


def test_the_callers_spark_frame_is_not_changed(to_spark: ToSpark) -> None:
    native = to_spark(survey(50, seed=1))
    columns, rows = list(native.columns), native.count()
    compute(native, {"c": Metric("share", "csat", at_least=4)}, by=["region"], grain="month")
    assert list(native.columns) == columns and native.count() == rows


def test_weighted_metrics_equal_the_pandas_engine(to_spark: ToSpark, assert_same: Same) -> None:
    from test_metrics_weights import NPS_SCORES, NPS_WEIGHTS, SPECS, weighted
    from test_metrics_weights import survey as weighted_survey

    data = weighted_survey()
    expected = compute(data, SPECS, by=["region"], grain="month", timezone="Europe/Berlin")
    got = compute(to_spark(data), SPECS, by=["region"], grain="month", timezone="Europe/Berlin")
    for name in SPECS:
        assert_same(got[name], expected[name])
        assert (got[name]["n_effective"] < got[name]["n"]).all()
    small = weighted(NPS_SCORES, NPS_WEIGHTS)
    assert_same(nps(to_spark(small)), nps(small))
    assert_same(compare(nps(to_spark(small)), nps(data)), compare(nps(small), nps(data)))
