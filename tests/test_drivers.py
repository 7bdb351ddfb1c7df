"""Key-driver analysis: relative weights and Shapley/LMG against independent computations."""

from __future__ import annotations

import itertools
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cxlib import decompose, drivers
from cxlib.cli import main
from cxlib.errors import DataError, ParameterError

AIRLINE = Path(__file__).resolve().parents[1] / "examples" / "airline"


def _frame(n: int = 400, p: int = 5, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p)) + 0.7 * rng.normal(size=(n, 1))
    y = x @ rng.uniform(0.1, 1.0, p) + 1.5 * rng.normal(size=n)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(p)])
    frame["y"] = y
    return frame


def _ols_r2(y: np.ndarray, x: np.ndarray) -> float:
    """R² of an OLS fit with intercept on raw data (numpy lstsq)."""
    design = np.column_stack([np.ones(len(y)), x])
    beta = np.linalg.lstsq(design, y, rcond=None)[0]
    residual = y - design @ beta
    centred = y - y.mean()
    return float(1 - residual @ residual / (centred @ centred))


def _brute_force_shapley(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Average R² gain of each driver over all p! orders of entry, each R² a raw OLS fit."""
    p = x.shape[1]
    r2 = {
        subset: (_ols_r2(y, x[:, list(subset)]) if subset else 0.0)
        for k in range(p + 1)
        for subset in itertools.combinations(range(p), k)
    }
    gains = np.zeros(p)
    for order in itertools.permutations(range(p)):
        for i, j in enumerate(order):
            gains[j] += r2[tuple(sorted(order[: i + 1]))] - r2[tuple(sorted(order[:i]))]
    return gains / math.factorial(p)


def _svd_relative_weights(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Johnson (2000) as published: Z = PQ' from the SVD X = PΔQ' of the standardised data."""
    xs = x - x.mean(axis=0)
    xs = xs / np.linalg.norm(xs, axis=0)
    ys = (y - y.mean()) / np.linalg.norm(y - y.mean())
    p_, _delta, qt = np.linalg.svd(xs, full_matrices=False)
    z = p_ @ qt
    beta = z.T @ ys  # y on the orthonormal Z
    lam = z.T @ xs  # each x on Z
    return np.asarray((lam**2).T @ beta**2)


@pytest.mark.parametrize(("p", "seed"), [(5, 1), (6, 2), (3, 3)])
def test_shapley_and_relative_weights_match_independent_computations(p: int, seed: int) -> None:
    frame = _frame(p=p, seed=seed)
    names = [f"x{i}" for i in range(p)]
    result = drivers.key_drivers(frame, outcome="y", drivers=names, resamples=0)
    y, x = frame["y"].to_numpy(), frame[names].to_numpy()
    full_r2 = _ols_r2(y, x)
    shapley = result.rows["importance_shapley"].to_numpy()
    weights = result.rows["importance_relative_weight"].to_numpy()
    np.testing.assert_allclose(shapley, _brute_force_shapley(y, x), rtol=0, atol=1e-9)
    np.testing.assert_allclose(weights, _svd_relative_weights(y, x), rtol=0, atol=1e-9)
    assert shapley.sum() == pytest.approx(full_r2, abs=1e-9)
    assert weights.sum() == pytest.approx(full_r2, abs=1e-9)
    assert result.r2 == pytest.approx(full_r2, abs=1e-9)
    assert result.flags == ()


def test_subset_r2_and_one_driver() -> None:
    frame = _frame(p=4)
    corr = np.corrcoef(frame[["y", "x0", "x1", "x2", "x3"]].to_numpy().T)
    r2 = decompose.subset_r2(corr)
    y = frame["y"].to_numpy()
    assert r2[0b1010] == pytest.approx(_ols_r2(y, frame[["x1", "x3"]].to_numpy()), abs=1e-12)
    one = drivers.key_drivers(frame, outcome="y", drivers=["x2"], resamples=0)
    r = np.corrcoef(y, frame["x2"])[0, 1]
    assert one.rows["importance_shapley"].iloc[0] == pytest.approx(r**2, abs=1e-12)
    assert one.rows["importance_relative_weight"].iloc[0] == pytest.approx(r**2, abs=1e-12)


def test_fifteen_drivers_are_exact_and_sum_to_r2() -> None:
    frame = _frame(n=300, p=15, seed=5)
    names = [f"x{i}" for i in range(15)]
    result = drivers.key_drivers(frame, outcome="y", drivers=names, resamples=0)
    full = _ols_r2(frame["y"].to_numpy(), frame[names].to_numpy())
    assert result.rows["importance_shapley"].sum() == pytest.approx(full, abs=1e-9)
    assert result.rows["importance_relative_weight"].sum() == pytest.approx(full, abs=1e-9)


def test_bootstrap_intervals_contain_estimates_and_are_seeded() -> None:
    frame = _frame()
    names = [f"x{i}" for i in range(5)]
    before = frame.copy()
    a = drivers.key_drivers(frame, outcome="y", drivers=names, resamples=100, seed=3)
    b = drivers.key_drivers(frame, outcome="y", drivers=names, resamples=100, seed=3)
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is untouched
    pd.testing.assert_frame_equal(a.rows, b.rows)
    rows = a.rows
    for method in ("relative_weight", "shapley"):
        value = rows[f"importance_{method}"]
        assert (rows[f"importance_{method}_ci_low"] <= value).all()
        assert (value <= rows[f"importance_{method}_ci_high"]).all()
    assert list(rows.columns) == list(drivers.COLUMNS)


def test_quadrants_on_a_constructed_example() -> None:
    importance = np.array([0.30, 0.25, 0.02, 0.03])  # mean 0.15
    performance = np.array([2.0, 4.5, 4.6, 2.1])  # mean 3.3
    assert list(drivers.quadrants(importance, performance)) == [
        "fix_first",
        "keep_up",
        "surplus",
        "low_priority",
    ]


def test_performance_mean_and_top2() -> None:
    frame = pd.DataFrame({"a": [1, 2, 3, 4, 5] * 10, "b": [5, 5, 4, 1, 2] * 10})
    frame["y"] = frame["a"] + 0.5 * frame["b"] + np.tile([0.1, -0.2, 0.3, 0.0, -0.1], 10)
    mean = drivers.key_drivers(frame, outcome="y", drivers=["a", "b"], resamples=0)
    top2 = drivers.key_drivers(
        frame, outcome="y", drivers=["a", "b"], resamples=0, performance="top2"
    )
    assert list(mean.rows["performance"]) == pytest.approx([3.0, 3.4])
    assert list(top2.rows["performance"]) == pytest.approx([40.0, 60.0])


def test_collinear_drivers_are_flagged() -> None:
    frame = _frame(p=3)
    rng = np.random.default_rng(9)
    frame["x3"] = frame["x0"] + 0.05 * rng.normal(size=len(frame))
    result = drivers.key_drivers(frame, outcome="y", drivers=["x0", "x1", "x2", "x3"], resamples=0)
    assert "collinear" in result.flags
    assert result.max_vif > drivers.VIF_LIMIT
    frame["x4"] = 2 * frame["x1"] - frame["x2"]
    with pytest.raises(DataError, match=r"perfectly collinear: .*x1.*x2.*x4"):
        drivers.key_drivers(frame, outcome="y", drivers=["x1", "x2", "x4"], resamples=0)


def _with_correlation(corr: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Data whose sample correlation matrix is exactly ``corr``."""
    raw = np.random.default_rng(seed).normal(size=(n, len(corr)))
    raw -= raw.mean(axis=0)
    white = raw @ np.linalg.inv(np.linalg.cholesky(np.cov(raw.T)).T)
    return np.asarray(white @ np.linalg.cholesky(corr).T)


def test_methods_disagreeing_are_flagged() -> None:
    # suppressor structure: the drivers' raw correlations with y are tiny, their partial ones not
    corr = np.array(
        [
            [1.000, -0.017, -0.058, -0.097, 0.144],
            [-0.017, 1.000, -0.265, 0.746, -0.309],
            [-0.058, -0.265, 1.000, 0.424, -0.748],
            [-0.097, 0.746, 0.424, 1.000, -0.812],
            [0.144, -0.309, -0.748, -0.812, 1.000],
        ]
    )
    data = pd.DataFrame(_with_correlation(corr, 500, 4), columns=["y", "a", "b", "c", "d"])
    result = drivers.key_drivers(data, outcome="y", drivers=["a", "b", "c", "d"], resamples=0)
    assert "methods_disagree" in result.flags
    assert result.rank_correlation < drivers.AGREEMENT_LIMIT
    calm = drivers.key_drivers(_frame(), outcome="y", drivers=["x0", "x1", "x2"], resamples=0)
    assert "methods_disagree" not in calm.flags


def test_listwise_and_pairwise_with_missing_answers() -> None:
    frame = _frame(n=300, p=3)
    frame.loc[frame.index[:60], "x0"] = np.nan
    frame.loc[frame.index[40:100], "x2"] = np.nan
    names = ["x0", "x1", "x2"]
    listwise = drivers.key_drivers(frame, outcome="y", drivers=names, resamples=0)
    complete = frame.dropna()
    assert listwise.n == len(complete) == 200
    assert list(listwise.rows["n"]) == [200, 200, 200]
    assert listwise.r2 == pytest.approx(
        _ols_r2(complete["y"].to_numpy(), complete[names].to_numpy()), abs=1e-9
    )
    pairwise = drivers.key_drivers(
        frame, outcome="y", drivers=names, missing="pairwise", resamples=20
    )
    assert list(pairwise.rows["n"]) == [240, 300, 240]
    assert pairwise.n == 200  # x0 and x2 are both answered in 200 rows
    corr, _counts = drivers.correlation(frame[["y", *names]].to_numpy(), missing="pairwise")
    expected = frame[["y", *names]].corr().to_numpy()  # pandas: pairwise-complete Pearson
    np.testing.assert_allclose(corr, expected, atol=1e-12)
    assert pairwise.rows["importance_shapley"].sum() == pytest.approx(pairwise.r2, abs=1e-12)
    assert pairwise.flags == ()
    assert list(pairwise.rows["performance"]) == pytest.approx(
        [frame[c].mean() for c in names]  # over the driver's rows (y always answered)
    )


def test_pairwise_matrix_that_is_not_positive_definite_is_repaired_and_flagged() -> None:
    rng = np.random.default_rng(2)
    base = rng.normal(size=120)
    noise = 0.1 * rng.normal(size=(120, 2))
    nan = np.full(40, np.nan)
    y = np.concatenate([base[:40], base[40:80], nan])
    a = np.concatenate([base[:40] + noise[:40, 0], nan, base[80:]])
    b = np.concatenate([nan, base[40:80] + noise[40:80, 1], -base[80:]])
    frame = pd.DataFrame({"y": y, "a": a, "b": b})
    with pytest.raises(DataError, match="too few complete answers"):
        drivers.key_drivers(frame, outcome="y", drivers=["a", "b"], resamples=0)
    result = drivers.key_drivers(
        frame, outcome="y", drivers=["a", "b"], missing="pairwise", resamples=0
    )
    assert "not_positive_definite" in result.flags
    assert result.rows["importance_shapley"].sum() == pytest.approx(result.r2)
    assert 0 <= result.r2 <= 1


def test_other_engines_give_the_same_numbers(engine: Any) -> None:
    frame = _frame(n=200, p=3)
    frame.loc[frame.index[:10], "x1"] = np.nan
    names = ["x0", "x1", "x2"]
    expected = drivers.key_drivers(frame, outcome="y", drivers=names, resamples=10)
    got = drivers.key_drivers(engine(frame), outcome="y", drivers=names, resamples=10)
    pd.testing.assert_frame_equal(got.rows, expected.rows, atol=1e-12)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"outcome": "nps"}, ParameterError, r"unknown column 'nps'; columns: x0, x1, x2, y"),
        ({"drivers": ["x0", "zz"]}, ParameterError, r"unknown column 'zz'"),
        ({"drivers": []}, ParameterError, "at least one driver"),
        ({"drivers": ["x0", "x0"]}, ParameterError, "distinct"),
        ({"missing": "mean"}, ParameterError, r"listwise, pairwise; got 'mean'"),
        ({"performance": "top3"}, ParameterError, r"mean, top2; got 'top3'"),
        ({"resamples": -1}, ParameterError, "resamples must be 0 or more"),
        ({"scale": (5, 1)}, ParameterError, r"scale must be \(lowest, highest\)"),
        ({"min_n": 1000}, DataError, r"too few complete answers .*'y': 400 \(listwise\)"),
    ],
)
def test_bad_inputs(options: dict[str, Any], error: type[Exception], match: str) -> None:
    arguments: dict[str, Any] = {"outcome": "y", "drivers": ["x0", "x1"], "resamples": 0}
    frame = _frame()[["x0", "x1", "x2", "y"]]
    with pytest.raises(error, match=match):
        drivers.key_drivers(frame, **{**arguments, **options})


def test_constant_and_too_many_drivers() -> None:
    frame = _frame().assign(flat=3.0)
    with pytest.raises(DataError, match=r"must vary.*: flat"):
        drivers.key_drivers(frame, outcome="y", drivers=["x0", "flat"], resamples=0)
    wide = pd.DataFrame(np.ones((5, 22)), columns=[f"c{i}" for i in range(22)])
    with pytest.raises(ParameterError, match="at most 20 drivers"):
        drivers.key_drivers(wide, outcome="c0", drivers=list(wide.columns[1:]))
    with pytest.raises(ParameterError, match=r"no outcome column .* columns: a, b"):
        drivers.default_outcome(["a", "b"])
    assert drivers.default_outcome(["satisfied", "csat", "x"]) == "csat"


def test_render_formats_are_safe() -> None:
    frame = _frame(p=2).rename(columns={"x0": "=HYPERLINK(1)"})
    result = drivers.key_drivers(frame, outcome="y", drivers=["=HYPERLINK(1)", "x1"], resamples=5)
    csv_text = drivers.render(result, "csv")
    assert "\n'=HYPERLINK(1)," in csv_text
    document = json.loads(drivers.render(result, "json"))
    assert document["schema_version"] == 1 and len(document["rows"]) == 2
    assert "R² =" in drivers.render(result, "table")
    with pytest.raises(ParameterError, match="format must be one of table, csv, json; got 'xml'"):
        drivers.render(result, "xml")


@cache
def _airline_responses() -> pd.DataFrame:
    from cxlib.sources import load_table
    from cxlib.workspace import load_workspace

    return load_table(load_workspace(AIRLINE), "responses").frame


def test_airline_drivers_are_stable_across_bootstrap_seeds(shared_data: Path) -> None:
    frame = _airline_responses()
    ratings = [c for c in frame.columns if c.startswith("rating_")]
    runs = [
        drivers.key_drivers(frame, outcome="satisfied", drivers=ratings, resamples=40, seed=s)
        for s in (1, 2)
    ]
    tops = [r.rows.nlargest(3, "importance_shapley")["driver"].tolist() for r in runs]
    assert tops[0] == tops[1]
    assert tops[0][0] == "rating_online_boarding"
    a, b = (r.rows for r in runs)
    for method in ("relative_weight", "shapley"):
        low, high = f"importance_{method}_ci_low", f"importance_{method}_ci_high"
        assert (np.maximum(a[low], b[low]) <= np.minimum(a[high], b[high])).all()
    assert "methods_disagree" not in runs[0].flags


def test_cli_drivers_json_on_airline(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["drivers", str(AIRLINE), "--format", "json", "--resamples", "10"])
    out = capsys.readouterr().out
    assert status == 0
    document = json.loads(out)
    assert document["schema_version"] == 1 and document["outcome"] == "satisfied"
    rows = document["rows"]
    assert len(rows) == 14
    assert {row["quadrant"] for row in rows} <= set(drivers.QUADRANTS)
    for key in ("importance_relative_weight", "importance_shapley"):
        assert sum(row[key] for row in rows) == pytest.approx(document["r2"], abs=1e-9)
    assert rows[0]["driver"] == "time_convenience"
    assert isinstance(document["flags"], list)


def test_cli_drivers_errors(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["drivers", str(AIRLINE), "--outcome", "satisfed", "--resamples", "0"])
    err = capsys.readouterr().err
    assert status == 1
    assert "unknown outcome 'satisfed'" in err and "Did you mean 'satisfied'?" in err


def test_cli_on_the_demo_chooses_pairwise(
    demo_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Few demo customers rate every touchpoint: the default --missing auto takes pairwise."""
    from cxlib.cli import main

    assert main(["drivers", str(demo_workspace), "--resamples", "20", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["missing"] == "pairwise" and document["outcome"] == "nps"
    assert len(document["rows"]) == 8
    total = sum(row["importance_shapley"] for row in document["rows"])
    assert abs(total - document["r2"]) < 1e-9
