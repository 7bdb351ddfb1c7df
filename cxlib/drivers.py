"""Key-driver analysis: which touchpoint ratings drive the outcome, and where to act first.

Two decompositions of the R² of the linear regression of an outcome (NPS 0–10, CSAT, CES or a
0/1 column such as ``satisfied``) on its drivers (touchpoint ratings), both computed from the
correlation matrix alone — their cost grows with the number of drivers, not of rows:

* :func:`relative_weights` — Johnson's relative weights (Johnson 2000);
* :func:`shapley_r2` — the Shapley value / LMG decomposition of R² (Lindeman, Merenda & Gold
  1980; Grömping 2007), exact over all 2^p subsets of drivers (:func:`subset_r2`).

Each gives one raw importance per driver, and both sum over the drivers to R².
:func:`key_drivers` adds percentile bootstrap intervals, each driver's performance (mean or
top-2-box), its importance–performance quadrant and warning flags. Flags and quadrants are
message ids (:data:`FLAGS`, :data:`QUADRANTS`); words are made where they are shown.

Missing answers ("not applicable" ratings become missing when the workspace loads them):

* ``listwise`` (default) — only rows with the outcome and every driver answered count;
  the correlation matrix is then positive semi-definite by construction.
* ``pairwise`` — each correlation uses the rows where both of its columns are answered
  (as ``pandas.DataFrame.corr``). More rows count, but the matrix may not be positive definite;
  it is then repaired (eigenvalues below 1e-6 raised to 1e-6, then rescaled to a unit diagonal)
  and flagged ``not_positive_definite``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from cxlib.decompose import relative_weights, shapley_r2, subset_r2
from cxlib.errors import DataError, ParameterError

__all__ = [
    "AGREEMENT_LIMIT",
    "COLUMNS",
    "CONDITION_LIMIT",
    "FLAGS",
    "MAX_DRIVERS",
    "MIN_N",
    "QUADRANTS",
    "VIF_LIMIT",
    "DriverResult",
    "correlation",
    "default_outcome",
    "key_drivers",
    "quadrants",
    "relative_weights",
    "render",
    "shapley_r2",
    "subset_r2",
]

#: Fewer usable answers than this (listwise: complete rows; pairwise: the smallest pair count)
#: is a :class:`DataError`.
MIN_N = 30
#: Shapley/LMG is exact over 2^p subsets; more drivers than this are refused.
MAX_DRIVERS = 20
#: ``collinear`` when a variance inflation factor exceeds this (rule of thumb, e.g. Kutner,
#: Nachtsheim & Neter 2004, "Applied Linear Regression Models", §10.5) …
VIF_LIMIT = 10.0
#: … or the condition number √(λmax/λmin) of the drivers' correlation matrix exceeds this
#: (Belsley, Kuh & Welsch 1980, "Regression Diagnostics": 30 = strong dependency).
CONDITION_LIMIT = 30.0
#: ``methods_disagree`` when the Spearman rank correlation of the two importances is below this.
AGREEMENT_LIMIT = 0.7
#: Quadrant ids: important & weak, important & strong, unimportant & strong, unimportant & weak.
QUADRANTS = ("fix_first", "keep_up", "surplus", "low_priority")
#: Flag ids of a :class:`DriverResult`.
FLAGS = ("collinear", "methods_disagree", "not_positive_definite")
#: Columns of :attr:`DriverResult.rows`.
COLUMNS = (
    "driver",
    "importance_relative_weight",
    "importance_relative_weight_ci_low",
    "importance_relative_weight_ci_high",
    "importance_shapley",
    "importance_shapley_ci_low",
    "importance_shapley_ci_high",
    "performance",
    "n",
    "quadrant",
)
_MISSING = ("listwise", "pairwise")
_PERFORMANCE = ("mean", "top2")
_OUTCOMES = ("nps", "csat", "ces", "satisfied")
_EIGEN_FLOOR = 1e-6


@dataclass(frozen=True)
class DriverResult:
    """A key-driver analysis.

    Attributes
    ----------
    rows
        One row per driver, columns :data:`COLUMNS`, in the order the drivers were given.
    r2
        R² of the full regression; each importance column sums to it.
    n
        Rows used: listwise the complete rows, pairwise the smallest pairwise count.
    outcome, missing
        The outcome column and the missing-value handling.
    condition_number, max_vif, rank_correlation
        The collinearity diagnostics and the Spearman correlation of the two importances
        (NaN with fewer than three drivers).
    flags
        Flag ids from :data:`FLAGS`.
    """

    rows: pd.DataFrame
    r2: float
    n: int
    outcome: str
    missing: str
    condition_number: float
    max_vif: float
    rank_correlation: float
    flags: tuple[str, ...]


#: With ``missing="auto"``, listwise needs this many complete answers per driver.
COMPLETE_PER_DRIVER = 10


def choose_missing(frame: pd.DataFrame, outcome: str, drivers: Sequence[str]) -> str:
    """``listwise`` when complete answers are plentiful (10 per driver), else ``pairwise``.

    Touchpoint ratings are often answered only by customers who used the touchpoint, so few
    answer all of them; pairwise correlations then keep the information of every answer.
    """
    complete = len(frame[[outcome, *drivers]].dropna())
    return "listwise" if complete >= COMPLETE_PER_DRIVER * len(drivers) else "pairwise"


def default_outcome(columns: Sequence[str]) -> str:
    """The first of ``nps``, ``csat``, ``ces``, ``satisfied`` among ``columns``."""
    for name in _OUTCOMES:
        if name in columns:
            return name
    raise ParameterError(
        f"no outcome column ({', '.join(_OUTCOMES)}) in the data; "
        f"columns: {', '.join(columns) or 'none'}."
    )


def correlation(
    values: np.ndarray, *, missing: str = "listwise", weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Pearson correlation matrix of the columns of ``values`` (NaN = missing), and its counts.

    ``listwise`` uses only complete rows; ``pairwise`` each pair's complete rows, with
    r = cov(x, y) / (sd(x) · sd(y)), all three over those rows. ``weights`` are row frequencies
    (a bootstrap resample). Returns the matrix and the (weighted) count of each pair.
    """
    w = np.ones(len(values)) if weights is None else np.asarray(weights, dtype="float64")
    present = ~np.isnan(values)
    if missing == "listwise":
        keep = present.all(axis=1) & (w > 0)
        x, w = values[keep], w[keep]
        return _complete_corr(x - x.mean(axis=0) if len(x) else x, w)
    return _pairwise_corr(*_pairwise_parts(values), w)


def _pairwise_parts(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The row-wise parts of every pairwise sum, computed once for many weightings.

    With m the presence mask and x the centred values (0 where missing): left = [m | x | x²],
    right = [m | x]; leftᵀ·W·right then holds, for each pair (i, j) over the rows where both are
    present, the count, Σxᵢ, Σxᵢ² and Σxᵢxⱼ (see :func:`_pairwise_corr`).
    """
    present = ~np.isnan(values)
    m = present.astype("float64")
    x = np.where(present, values - np.nanmean(values, axis=0), 0.0)
    return np.hstack([m, x, x * x]), np.hstack([m, x])


def _pairwise_corr(
    left: np.ndarray, right: np.ndarray, w: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete correlations from :func:`_pairwise_parts` with row weights ``w``."""
    p = right.shape[1] // 2
    sums_all = left.T @ (right * w[:, None])
    counts = sums_all[:p, :p]
    sums = sums_all[p : 2 * p, :p]  # sums[i, j]: Σ x_i over rows where j is present
    squares = sums_all[2 * p :, :p]
    cross = sums_all[p : 2 * p, p:]
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_i, mean_j = sums / counts, sums.T / counts
        cov = cross / counts - mean_i * mean_j
        var_i = squares / counts - mean_i**2
        corr = cov / np.sqrt(var_i * var_i.T)
    np.fill_diagonal(corr, 1.0)
    return corr, counts


def _complete_corr(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted correlation of complete, roughly centred rows: cov = X'WX/W − x̄x̄'."""
    total = w.sum()
    mean = (w @ x) / max(total, 1.0)
    cov = (x * w[:, None]).T @ x / max(total, 1.0) - np.outer(mean, mean)
    sd = np.sqrt(np.diag(cov))
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = cov / np.outer(sd, sd)
    np.fill_diagonal(corr, np.where(sd > 0, 1.0, np.nan))
    return corr, np.full(cov.shape, total)


def quadrants(importance: np.ndarray, performance: np.ndarray) -> np.ndarray:
    """Importance–performance quadrant of each driver (ids from :data:`QUADRANTS`).

    A driver is *important* when its importance is at least the mean importance of all drivers
    (R²/p for a full decomposition) and *strong* when its performance is at least the mean
    performance of all drivers (Martilla & James 1977, "Importance-performance analysis",
    Journal of Marketing 41(1), with data-centred thresholds): fix first = important & weak,
    keep up = important & strong, surplus = unimportant & strong, low priority = unimportant &
    weak.
    """
    important = importance >= np.mean(importance)
    strong = performance >= np.nanmean(performance)
    return np.select(
        [important & ~strong, important & strong, ~important & strong],
        list(QUADRANTS[:3]),
        default=QUADRANTS[3],
    ).astype(object)


def key_drivers(
    frame: Any,
    *,
    outcome: str,
    drivers: Sequence[str],
    missing: str = "listwise",
    performance: str = "mean",
    scale: Sequence[int] = (1, 5),
    resamples: int = 200,
    confidence: float = 0.95,
    seed: int = 0,
    min_n: int = MIN_N,
) -> DriverResult:
    """Key-driver analysis of ``outcome`` on ``drivers``, with bootstrap intervals.

    Parameters
    ----------
    frame
        A pandas, polars or DuckDB frame; it is read, never changed.
    outcome
        The outcome column: NPS 0–10, CSAT, CES or a 0/1 column such as ``satisfied``.
    drivers
        The driver columns (e.g. ``rating_<touchpoint>``), at most :data:`MAX_DRIVERS`.
    missing
        ``listwise`` or ``pairwise`` (see the module documentation).
    performance
        ``mean`` answer, or ``top2``: percent of answers in the top two points of ``scale``.
        Over the rows where the driver and the outcome are answered (listwise: complete rows);
        ``n`` counts those rows.
    resamples
        Bootstrap resamples (rows drawn with replacement, the correlation matrix and both
        importances recomputed); the intervals are the percentile intervals at ``confidence``
        (Efron & Tibshirani 1993, "An Introduction to the Bootstrap", ch. 13). 0: no intervals.
    seed
        Seed of the bootstrap's random numbers.
    min_n
        Fewer usable rows is a :class:`DataError`.

    Returns
    -------
    DriverResult
        Rows per driver with raw importances (each column sums to ``r2``), intervals,
        performance, ``n`` and the quadrant (by Shapley importance, see :func:`quadrants`);
        flags ``collinear`` (max VIF > :data:`VIF_LIMIT` or condition number >
        :data:`CONDITION_LIMIT`), ``methods_disagree`` (Spearman rho < :data:`AGREEMENT_LIMIT`)
        and ``not_positive_definite`` (pairwise only).
    """
    drivers = list(drivers)
    values = _values(frame, outcome, drivers)
    if missing not in _MISSING:
        raise ParameterError(f"missing must be one of {', '.join(_MISSING)}; got {missing!r}.")
    if performance not in _PERFORMANCE:
        raise ParameterError(
            f"performance must be one of {', '.join(_PERFORMANCE)}; got {performance!r}."
        )
    if resamples < 0 or not 0 < confidence < 1:
        raise ParameterError(
            f"resamples must be 0 or more and confidence between 0 and 1; "
            f"got {resamples!r} and {confidence!r}."
        )
    corr, counts = correlation(values, missing=missing)
    n = int(counts.min())
    if n < max(min_n, len(drivers) + 2):
        raise DataError(
            f"too few complete answers for a driver analysis of '{outcome}': {n} "
            f"({missing}); at least {max(min_n, len(drivers) + 2)} are needed.",
            hint="Use fewer drivers or --missing pairwise.",
        )
    _check_variance(values, corr, [outcome, *drivers])
    corr, repaired = _positive_definite(corr, missing, drivers)
    weights, shapley = relative_weights(corr), shapley_r2(corr)
    r2 = float(shapley.sum())
    low, high = _bootstrap(values, missing, resamples, confidence, seed)
    perf, per_n = _performance(values, missing, performance, scale)
    data = [drivers, weights, low[0], high[0], shapley, low[1], high[1], perf, per_n]
    rows = pd.DataFrame(dict(zip(COLUMNS, [*data, quadrants(shapley, perf)], strict=True)))
    eigen = np.linalg.eigvalsh(corr[1:, 1:])
    condition = float(np.sqrt(eigen[-1] / eigen[0]))
    max_vif = float(np.diag(np.linalg.inv(corr[1:, 1:])).max())
    rho = _spearman(weights, shapley)
    flags = []
    if max_vif > VIF_LIMIT or condition > CONDITION_LIMIT:
        flags.append("collinear")
    if rho < AGREEMENT_LIMIT:
        flags.append("methods_disagree")
    if repaired:
        flags.append("not_positive_definite")
    return DriverResult(rows, r2, n, outcome, missing, condition, max_vif, rho, tuple(flags))


def _values(frame: Any, outcome: str, drivers: list[str]) -> np.ndarray:
    data = nw.from_native(frame)
    if isinstance(data, nw.LazyFrame):
        data = data.collect()
    names = data.columns
    if not drivers:
        raise ParameterError("a driver analysis needs at least one driver column.")
    if len(drivers) > MAX_DRIVERS:
        raise ParameterError(f"at most {MAX_DRIVERS} drivers are allowed; got {len(drivers)}.")
    if len(set(drivers)) != len(drivers) or outcome in drivers:
        raise ParameterError("drivers must be distinct columns, and not the outcome.")
    unknown = [c for c in [outcome, *drivers] if c not in names]
    if unknown:
        raise ParameterError(
            f"unknown column{'s' * (len(unknown) > 1)} {', '.join(map(repr, unknown))}; "
            f"columns: {', '.join(names)}."
        )
    try:
        values = data.select(nw.col(outcome, *drivers).cast(nw.Float64)).to_numpy()
    except Exception as error:  # engines raise their own types for non-numeric casts
        raise DataError(f"outcome and drivers must be numbers: {error}") from error
    return np.asarray(values, dtype="float64")


def _check_variance(values: np.ndarray, corr: np.ndarray, names: list[str]) -> None:
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-missing columns
        spread = np.nanmax(values, axis=0) - np.nanmin(values, axis=0)
    constant = [name for name, s in zip(names, spread, strict=True) if not s > 0]
    if constant or np.isnan(corr).any():
        raise DataError(
            "every column of a driver analysis must vary, with answers in common: "
            f"{', '.join(constant) or 'some pair of columns has no common answers'}."
        )


def _positive_definite(
    corr: np.ndarray, missing: str, drivers: list[str]
) -> tuple[np.ndarray, bool]:
    values, vectors = np.linalg.eigh(corr)
    if values[0] > _EIGEN_FLOOR:
        return corr, False
    if missing == "listwise":
        null = np.linalg.eigh(corr[1:, 1:])[1][:, 0]
        involved = [d for d, v in zip(drivers, null, strict=True) if abs(v) > 0.1]
        if np.linalg.eigvalsh(corr[1:, 1:])[0] <= _EIGEN_FLOOR:
            raise DataError(
                f"drivers are perfectly collinear: {', '.join(involved)}.",
                hint="Drop one of them.",
            )
        return corr, False  # the outcome is a linear function of the drivers: R² = 1
    fixed = (vectors * np.clip(values, _EIGEN_FLOOR, None)) @ vectors.T
    scale = np.sqrt(np.diag(fixed))
    return fixed / np.outer(scale, scale), True


def _bootstrap(
    values: np.ndarray, missing: str, resamples: int, confidence: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    p = values.shape[1] - 1
    if resamples == 0:
        return np.full((2, p), np.nan), np.full((2, p), np.nan)
    rng = np.random.default_rng(seed)
    if missing == "listwise":
        values = values[~np.isnan(values).any(axis=1)]
        values = values - values.mean(axis=0)
    else:
        parts = _pairwise_parts(values)
    rows = len(values)
    draws = np.empty((resamples, 2, p))
    for b in range(resamples):  # a loop over resamples, not rows: each is vectorised
        counts = np.bincount(rng.integers(0, rows, rows), minlength=rows).astype("float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            if missing == "listwise":
                corr = _complete_corr(values, counts)[0]
            else:
                corr = _pairwise_corr(*parts, counts)[0]
        if np.isnan(corr).any():  # a resample without variance: leave it out
            draws[b] = np.nan
            continue
        corr = _positive_definite(corr, "pairwise", [])[0]
        draws[b, 0], draws[b, 1] = relative_weights(corr), shapley_r2(corr)
    alpha = (1 - confidence) / 2
    low, high = np.nanquantile(draws, [alpha, 1 - alpha], axis=0)
    return low, high


def _performance(
    values: np.ndarray, missing: str, performance: str, scale: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    if len(scale) != 2 or not scale[0] < scale[1]:
        raise ParameterError(f"scale must be (lowest, highest); got {scale!r}.")
    present = ~np.isnan(values)
    used = present[:, 1:] & present[:, :1]
    if missing == "listwise":
        used = np.broadcast_to(present.all(axis=1)[:, None], used.shape)
    x = values[:, 1:]
    if performance == "top2":
        x = 100.0 * (x >= scale[1] - 1)
    count = used.sum(axis=0)
    total = np.where(used, x, 0.0).sum(axis=0)
    return total / count, count.astype("int64")


def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    if len(a) < 3:
        return float("nan")
    ranks = pd.DataFrame({"a": a, "b": b}).rank()
    return float(np.corrcoef(ranks["a"], ranks["b"])[0, 1])


def render(result: DriverResult, fmt: str = "table") -> str:
    """The result as an aligned ``table``, formula-safe ``csv`` or ``json`` text.

    JSON is ``{"schema_version": 1, "outcome", "missing", "n", "r2", "condition_number",
    "max_vif", "rank_correlation", "flags": [...], "rows": [...]}`` with NaN as ``null``.
    """
    from cxlib.output import plain, records, render

    document = {
        "outcome": result.outcome,
        "missing": result.missing,
        "n": result.n,
        "r2": result.r2,
        "condition_number": plain(result.condition_number),
        "max_vif": plain(result.max_vif),
        "rank_correlation": plain(result.rank_correlation),
        "flags": list(result.flags),
    }
    footer = f"R² = {result.r2:.4f}, n = {result.n:,}" + (
        f", flags: {', '.join(result.flags)}" if result.flags else ""
    )
    rows = records(result.rows)
    return render(rows, list(COLUMNS), fmt, document=document, digits=4, footer=footer)
