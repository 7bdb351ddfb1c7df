"""Survey weights: weighted shares and means, Kish's effective n in every interval and test."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cxlib.cli import main
from cxlib.errors import ParameterError
from cxlib.metrics import Metric, ces, compare, compute, csat, mean_score, nps, rating_means

Z = 1.959963984540054

NPS_SCORES = [9, 10, 10, 9, 7, 8, 8, 0, 5, 6, None, 3]
NPS_WEIGHTS = [0.5, 2.0, 1.0, 1.5, 1.0, 0.8, 1.2, 2.5, 0.7, 1.0, 3.0, 0.0]


def weighted(
    scores: Sequence[int | None], weights: Sequence[float | None], name: str = "nps"
) -> pd.DataFrame:
    return pd.DataFrame(
        {name: pd.array(scores, dtype="Int64"), "weight": pd.array(weights, dtype="Float64")}
    )


def answered(
    scores: Sequence[float | None], weights: Sequence[float]
) -> tuple[np.ndarray, np.ndarray]:
    x = np.array([np.nan if s is None else s for s in scores], dtype=float)
    w = np.array(weights, dtype=float)
    keep = ~np.isnan(x)
    return x[keep], w[keep]


def kish(w: np.ndarray) -> float:
    return float(w.sum() ** 2 / (w**2).sum())


def wilson(p: float, n: float) -> tuple[float, float]:
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return centre - half, centre + half


def test_weighted_nps_matches_a_hand_computation() -> None:
    row = nps(weighted(NPS_SCORES, NPS_WEIGHTS)).iloc[0]
    x, w = answered(NPS_SCORES, NPS_WEIGHTS)
    p = w[x >= 9].sum() / w.sum()
    d = w[x <= 6].sum() / w.sum()
    n_eff = kish(w)
    assert row["n"] == 11  # answers; the weight-0 one counts here, not in the shares
    assert row["n_effective"] == pytest.approx(n_eff, rel=1e-12)
    assert n_eff < 11
    assert row["value"] == pytest.approx(100 * (p - d), rel=1e-12)
    # Rocks (2016) adjusted Wald with n_eff: n' = n_eff + 3, P' = p·n_eff + ¾
    n_adj = n_eff + 3
    p_adj, d_adj = (p * n_eff + 0.75) / n_adj, (d * n_eff + 0.75) / n_adj
    half = Z * math.sqrt((p_adj + d_adj - (p_adj - d_adj) ** 2) / n_adj)
    assert row["ci_low"] == pytest.approx(100 * (p_adj - d_adj - half), rel=1e-12)
    assert row["ci_high"] == pytest.approx(100 * (p_adj - d_adj + half), rel=1e-12)
    assert row["promoters"] == pytest.approx(p * n_eff, rel=1e-12)  # effective counts
    assert row["flags"] == "small_n"


def test_weighted_csat_uses_wilson_with_the_effective_n() -> None:
    scores = [5, 4, 4, 3, 2, 1, 5, None, 4, 3]
    weights = [1.0, 0.5, 2.0, 1.0, 3.0, 1.0, 0.25, 1.0, 1.5, 0.75]
    row = csat(weighted(scores, weights, "csat")).iloc[0]
    x, w = answered(scores, weights)
    p = w[x >= 4].sum() / w.sum()
    n_eff = kish(w)
    low, high = wilson(p, n_eff)
    assert row["n"] == 9
    assert row["n_effective"] == pytest.approx(n_eff, rel=1e-12)
    assert row["value"] == pytest.approx(100 * p, rel=1e-12)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * low, 100 * high), rel=1e-12)


def test_weighted_mean_and_its_interval() -> None:
    scores = [7, 6, 5, 4, 3, 1, 7, 5, None]
    weights = [1.0, 2.0, 0.5, 1.0, 1.5, 3.0, 1.0, 0.5, 9.0]
    row = mean_score(weighted(scores, weights, "ces"), "ces").iloc[0]
    x, w = answered(scores, weights)
    mean = np.average(x, weights=w)
    n_eff = kish(w)
    sd = math.sqrt(np.average((x - mean) ** 2, weights=w) * n_eff / (n_eff - 1))
    assert row["value"] == pytest.approx(mean, rel=1e-12)
    assert row["sd"] == pytest.approx(sd, rel=1e-12)
    half = Z * sd / math.sqrt(n_eff)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((mean - half, mean + half), rel=1e-12)


def survey(rows: int = 400, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "nps": pd.array(rng.integers(0, 11, rows), dtype="Int64"),
            "csat": pd.array(rng.integers(1, 6, rows), dtype="Int64"),
            "ces": pd.array(rng.integers(1, 8, rows), dtype="Int64"),
            "satisfied": pd.array(rng.integers(0, 2, rows), dtype="Int64"),
            "rating_delivery": pd.array(rng.integers(1, 6, rows), dtype="Int64"),
            "region": rng.choice(["North", "South", "East"], rows),
            "submitted_at": pd.Timestamp("2026-01-01", tz="UTC")
            + pd.to_timedelta(rng.integers(0, 180 * 24, rows), unit="h"),
            "weight": rng.gamma(2.0, 0.5, rows).round(3),
        }
    )
    frame.loc[::17, "nps"] = pd.NA
    frame.loc[::13, "csat"] = pd.NA
    return frame


SPECS = {
    "nps": Metric("nps", "nps"),
    "csat": Metric("share", "csat", at_least=4),
    "ces": Metric("share", "ces", at_least=5),
    "ces_mean": Metric("mean", "ces"),
    "satisfied": Metric("share", "satisfied", at_least=1),
    "rating_delivery": Metric("mean", "rating_delivery"),
}


def test_weights_of_one_reproduce_the_unweighted_results_exactly() -> None:
    data = survey()
    plain = compute(data.drop(columns="weight"), SPECS, by=["region"], grain="month")
    ones = compute(data.assign(weight=1.0), SPECS, by=["region"], grain="month")
    ignored = compute(data, SPECS, by=["region"], grain="month", weight=None)
    for name in SPECS:
        pd.testing.assert_frame_equal(ones[name], plain[name], check_dtype=False, rtol=0, atol=0)
        pd.testing.assert_frame_equal(ignored[name], plain[name], check_dtype=True)
        assert (plain[name]["n_effective"] == plain[name]["n"]).all()


@pytest.mark.parametrize("factor", [0.001, 3.7, 1000.0])
def test_scaling_every_weight_changes_nothing(factor: float) -> None:
    data = survey()
    base = compute(data, SPECS, by=["region"])
    scaled = compute(data.assign(weight=data["weight"] * factor), SPECS, by=["region"])
    for name in SPECS:
        pd.testing.assert_frame_equal(scaled[name], base[name], rtol=1e-10, atol=1e-10)


def test_engines_agree_on_weighted_results(engine: Callable[..., Any]) -> None:
    data = survey()
    expected = compute(data, SPECS, by=["region"], grain="month", timezone="Europe/Berlin")
    got = compute(engine(data), SPECS, by=["region"], grain="month", timezone="Europe/Berlin")
    for name in SPECS:
        pd.testing.assert_frame_equal(
            got[name], expected[name], check_dtype=False, rtol=0, atol=1e-9
        )
    ratings = rating_means(engine(data), ["rating_delivery", "csat"])
    pd.testing.assert_frame_equal(
        ratings, rating_means(data, ["rating_delivery", "csat"]), rtol=0, atol=1e-9
    )


def test_weighted_results_differ_from_unweighted_ones() -> None:
    data = survey()
    weighted_nps = nps(data).iloc[0]
    plain = nps(data, weight=None).iloc[0]
    assert weighted_nps["n"] == plain["n"]
    assert weighted_nps["n_effective"] < plain["n_effective"] == plain["n"]
    assert weighted_nps["value"] != pytest.approx(plain["value"], abs=1e-6)
    # wider interval: fewer effective answers
    width = weighted_nps["ci_high"] - weighted_nps["ci_low"]
    assert width > plain["ci_high"] - plain["ci_low"]


def test_compare_uses_weighted_shares_and_the_effective_n() -> None:
    first = weighted(NPS_SCORES, NPS_WEIGHTS)
    second = weighted([10, 9, 9, 7, 7, 3, 2, 10], [1.0, 1.0, 2.0, 0.5, 1.5, 1.0, 2.0, 0.3])
    result = compare(nps(first), nps(second)).iloc[0]
    parts = []
    for scores, weights in (
        (NPS_SCORES, NPS_WEIGHTS),
        ([10, 9, 9, 7, 7, 3, 2, 10], [1.0, 1.0, 2.0, 0.5, 1.5, 1.0, 2.0, 0.3]),
    ):
        x, w = answered(scores, weights)
        p, d = w[x >= 9].sum() / w.sum(), w[x <= 6].sum() / w.sum()
        parts.append((p - d, (p + d - (p - d) ** 2) / kish(w)))
    z = (parts[0][0] - parts[1][0]) / math.sqrt(parts[0][1] + parts[1][1])
    assert result["change"] == pytest.approx(100 * (parts[0][0] - parts[1][0]), rel=1e-12)
    assert result["z"] == pytest.approx(z, rel=1e-12)
    assert result["p_value"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)), rel=1e-9)

    # shares: pooled test on effective counts; means: Welch z with n_eff
    data = survey()
    north, south = data[data["region"] == "North"], data[data["region"] == "South"]
    share = compare(csat(north), csat(south)).iloc[0]
    (xn, wn), (xs, ws) = (
        answered(f["csat"].astype("float64").tolist(), f["weight"].tolist()) for f in (north, south)
    )
    xn, xs = np.nan_to_num(xn), np.nan_to_num(xs)
    pn, ps = wn[xn >= 4].sum() / wn.sum(), ws[xs >= 4].sum() / ws.sum()
    nn, ns = kish(wn), kish(ws)
    pooled = (pn * nn + ps * ns) / (nn + ns)
    z_share = (pn - ps) / math.sqrt(pooled * (1 - pooled) * (1 / nn + 1 / ns))
    assert share["z"] == pytest.approx(z_share, rel=1e-10)
    means = compare(mean_score(north, "ces"), mean_score(south, "ces")).iloc[0]
    stats = [mean_score(f, "ces").iloc[0] for f in (north, south)]
    variance = sum(s["sd"] ** 2 / s["n_effective"] for s in stats)
    assert means["z"] == pytest.approx(
        (stats[0]["value"] - stats[1]["value"]) / math.sqrt(variance), rel=1e-12
    )


def test_small_n_follows_the_effective_n() -> None:
    # 40 answers, but one weight dominates: n_eff is far below 30
    data = weighted([9] * 20 + [3] * 20, [100.0] + [1.0] * 39)
    row = nps(data).iloc[0]
    assert row["n"] == 40 and row["n_effective"] < 30
    assert row["flags"] == "small_n"
    assert nps(data, weight=None).iloc[0]["flags"] == ""


def test_zero_weights_count_as_answers_but_carry_no_weight() -> None:
    data = weighted([9, 10, 0, 3], [1.0, 1.0, 0.0, 0.0])
    row = nps(data).iloc[0]
    assert row["n"] == 4 and row["n_effective"] == pytest.approx(2.0)
    assert row["value"] == pytest.approx(100.0)
    empty = nps(weighted([9, 0], [0.0, 0.0])).iloc[0]
    assert empty["n"] == 2 and empty["n_effective"] == 0
    assert math.isnan(empty["value"]) and math.isnan(empty["ci_low"])


def test_weight_option_and_bad_weights() -> None:
    data = weighted([9, 10, 0, 3], [1.0, 2.0, 1.0, 1.0]).rename(columns={"weight": "w"})
    assert nps(data).iloc[0]["n_effective"] == 4  # no 'weight' column: unweighted
    assert nps(data, weight="w").iloc[0]["n_effective"] == pytest.approx(25 / 7)
    with pytest.raises(ParameterError, match="'gewicht' is not a column"):
        nps(data, weight="gewicht")
    with pytest.raises(ParameterError, match="survey weights must be 0 or more"):
        nps(weighted([9, 10], [1.0, -1.0]))
    missing = weighted([9, 10, 0], [1.0, None, 1.0])
    assert nps(missing).iloc[0]["n"] == 2  # an answer without a weight is left out
    assert ces(weighted([7, 1], [1.0, 1.0], "ces")).iloc[0]["value"] == 50


def test_metrics_command_applies_a_mapped_weight(
    workspace_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cxlib.sources import load_table
    from cxlib.workspace import load_workspace

    data_file = workspace_copy / "data" / "survey_responses.csv"
    answers = pd.read_csv(data_file, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(3)
    answers["Gewicht"] = np.where(answers["Country"] == "Germany", 0.6, 1.4) * rng.uniform(
        0.5, 1.5, len(answers)
    )
    answers["Gewicht"] = answers["Gewicht"].round(4).astype(str)
    answers.to_csv(data_file, index=False)
    config = workspace_copy / "workspace.yaml"
    text = config.read_text(encoding="utf-8")
    text = text.replace(
        "      segment: Customer type\n", "      segment: Customer type\n      weight: Gewicht\n", 1
    )
    config.write_text(text, encoding="utf-8")

    assert main(["metrics", str(workspace_copy), "--by", "region", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    table = load_table(load_workspace(workspace_copy), "responses").frame
    expected = nps(table, by=["region"])
    got = [r for r in rows if r["kpi"] == "nps"]
    assert [r["region"] for r in got] == expected["region"].tolist()
    assert [r["value"] for r in got] == pytest.approx(expected["value"].tolist(), rel=1e-12)
    assert [r["n_effective"] for r in got] == pytest.approx(expected["n_effective"].tolist())
    for row in got:
        assert row["n_effective"] < row["n"]
    plain = nps(table, by=["region"], weight=None)
    assert not np.allclose(expected["value"], plain["value"])
    # times and other non-survey KPIs: n_effective is n
    times = next(r for r in rows if r["kpi"] == "resolution_hours")
    assert times["n_effective"] == times["n"]
