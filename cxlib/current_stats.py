"""Statistics of the current-state page: which periods to compare, changes between them,
intervals for ticket-time quantiles and the loyalty figures' ranges.

Computation only: inputs are frames (already filtered to a period and segment by the page),
results are small pandas frames or frozen values; words are made where they are shown
(:mod:`cxlib.current_state`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxlib import _stats
from cxlib._stats import first_binomial_k
from cxlib.comparisons import compare
from cxlib.loyalty import LifetimeValue, lifetime_value
from cxlib.metrics import MIN_N, Metric, compute
from cxlib.periods import Period, parse_period

#: Changes are significant when their Holm-adjusted p-value is below this.
ALPHA = 0.05
#: Columns of :func:`survey_changes`.
CHANGE_COLUMNS = (
    "kpi",
    "dimension",
    "group",
    "n",
    "value",
    "n_baseline",
    "value_baseline",
    "change",
    "ci_low",
    "ci_high",
    "z",
    "p_value",
    "p_adjusted",
    "significant",
    "flags",
)


def latest_complete_quarter(newest: dt.date) -> Period:
    """The last calendar quarter that ends on or before the day after ``newest``.

    ``newest`` is the local date of the newest row (data as of): a quarter is complete when the
    data reach its last day.
    """
    quarter = (newest.month - 1) // 3 + 1
    current = parse_period(f"{newest.year}-Q{quarter}")
    assert current.end is not None
    if newest + dt.timedelta(days=1) >= current.end:
        return current
    return previous_period(current)


def previous_period(period: Period) -> Period:
    """The period before ``period``: the previous year, quarter or month; otherwise (a
    year-to-date window) the same days one year earlier.

    Raises
    ------
    ValueError
        For all data (``Period("")``), which has no period before it.
    """
    if period.start is None or period.end is None:
        raise ValueError("all data has no previous period")
    label = period.label
    if len(label) == 4 and label.isdigit():
        return parse_period(str(int(label) - 1))
    if len(label) == 7 and label[4:6] == "-Q":
        year, quarter = int(label[:4]), int(label[6])
        return parse_period(f"{year - 1}-Q4" if quarter == 1 else f"{year}-Q{quarter - 1}")
    if len(label) == 7 and label[4] == "-":
        year, month = int(label[:4]), int(label[5:])
        return parse_period(f"{year - 1}-12" if month == 1 else f"{year}-{month - 1:02d}")
    start = period.start.replace(year=period.start.year - 1)
    end = _year_earlier(period.end)
    return Period(label.replace(str(period.start.year), str(start.year), 1), start, end)


def _year_earlier(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def survey_changes(
    current: pd.DataFrame,
    baseline: pd.DataFrame,
    metrics: Mapping[str, Metric],
    *,
    dimensions: Sequence[str] = (),
    alpha: float = ALPHA,
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> pd.DataFrame:
    """Each metric in ``current`` against ``baseline``, overall and by each dimension.

    Every row is one comparison: the change (current − baseline; NPS points or percentage
    points), its two-sided z-test from :func:`cxlib.comparisons.compare` (NPS:
    z = (NPS₁ − NPS₂)/√(Var₁ + Var₂), Var = [p + d − (p − d)²]/n, Rocks 2016; shares: the pooled
    two-proportion z-test) and the p-values of *all* rows adjusted together with Holm's method
    (Holm 1979; :func:`cxlib._stats.adjust_p`), so ``significant`` (adjusted p < ``alpha``)
    holds for the family of comparisons shown.

    The interval of the change is the unpooled Wald interval change ± z·SE, not adjusted for
    multiplicity: NPS SE = √(Var₁ + Var₂) (as in the test); shares
    SE = √[p₁(1 − p₁)/n₁ + p₂(1 − p₂)/n₂] (Agresti 2013, "Categorical Data Analysis", §3.1.2).
    With survey weights every n is Kish's effective n (see :mod:`cxlib.metrics`).

    Parameters
    ----------
    current, baseline
        The responses of the two periods (same segment).
    metrics
        Name → :class:`cxlib.metrics.Metric` of kind ``nps`` or ``share``.
    dimensions
        Columns to break each metric down by; groups missing from ``current`` are not shown,
        groups missing from ``baseline`` get no test (NaN p-values, outside the family).

    Returns
    -------
    pandas.DataFrame
        :data:`CHANGE_COLUMNS`; ``dimension`` and ``group`` are ``""`` for the overall rows;
        ``flags`` is ``small_n`` when either side has fewer than ``min_n`` (effective) answers.
    """
    z_crit = _stats.z_value(confidence)
    parts = []
    for by in [(), *((d,) for d in dimensions)]:
        now = compute(current, metrics, by=by, confidence=confidence, min_n=min_n)
        before = compute(baseline, metrics, by=by, confidence=confidence, min_n=min_n)
        for key, spec in metrics.items():
            if spec.kind not in ("nps", "share"):
                raise ValueError(
                    f"survey_changes takes nps and share metrics; {key} is {spec.kind}"
                )
            tested = compare(now[key], before[key], on=by, correction="none", alpha=alpha)
            merged = _merged(now[key], before[key], list(by))  # rows in compare's order
            se = _change_se(merged, spec.kind)
            part = tested.assign(
                kpi=key,
                dimension=by[0] if by else "",
                group=tested[by[0]].astype(object) if by else "",
                ci_low=tested["change"] - z_crit * se,
                ci_high=tested["change"] + z_crit * se,
                flags=_small(merged, min_n),
            )
            parts.append(part.drop(columns=list(by)))
    table = pd.concat(parts, ignore_index=True)
    table["p_adjusted"] = _stats.adjust_p(table["p_value"].to_numpy(float), "holm")
    table["significant"] = np.nan_to_num(table["p_adjusted"].to_numpy(float), nan=1.0) < alpha
    return table[list(CHANGE_COLUMNS)]


def _merged(now: pd.DataFrame, before: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    def effective(frame: pd.DataFrame) -> pd.DataFrame:
        if "n_effective" in frame.columns:
            return frame
        return frame.assign(n_effective=frame["n"].astype("float64"))

    now, before = effective(now), effective(before)
    if by:
        return now.merge(before, on=by, how="left", suffixes=("", "_b"))
    return now.head(1).join(before.head(1).add_suffix("_b").reset_index(drop=True))


def _change_se(merged: pd.DataFrame, kind: str) -> Any:
    """SE of the change in display units (unpooled), per row of :func:`_merged`."""
    n1 = merged["n_effective"].to_numpy(float)
    n2 = merged["n_effective_b"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if kind == "nps":
            p1 = merged["promoters"].to_numpy(float) / n1
            d1 = merged["detractors"].to_numpy(float) / n1
            p2 = merged["promoters_b"].to_numpy(float) / n2
            d2 = merged["detractors_b"].to_numpy(float) / n2
            variance = (p1 + d1 - (p1 - d1) ** 2) / n1 + (p2 + d2 - (p2 - d2) ** 2) / n2
        else:
            s1 = merged["hits"].to_numpy(float) / n1
            s2 = merged["hits_b"].to_numpy(float) / n2
            variance = s1 * (1 - s1) / n1 + s2 * (1 - s2) / n2
    return 100 * np.sqrt(variance)


def _small(merged: pd.DataFrame, min_n: int) -> Any:
    n1 = merged["n_effective"].to_numpy(float)
    n2 = np.nan_to_num(merged["n_effective_b"].to_numpy(float), nan=0.0)
    return np.where((n1 < min_n) | (n2 < min_n), "small_n", "").astype(object)


def quantile_interval(
    values: Sequence[float] | np.ndarray, q: float, *, confidence: float = 0.95
) -> tuple[float, float]:
    """Distribution-free interval of the ``q``-quantile from order statistics.

    With the n values sorted, x₍₁₎ ≤ … ≤ x₍ₙ₎, and B ~ Binomial(n, q) the number of values at
    or below the true quantile ξ: P(x₍ₗ₎ > ξ) = P(B ≤ l − 1) and P(x₍ᵤ₎ < ξ) = P(B ≥ u). The
    equal-tailed interval takes the largest l with P(B ≤ l − 1) ≤ a/2 and the smallest u with
    P(B ≥ u) ≤ a/2 (a = 1 − confidence); [x₍ₗ₎, x₍ᵤ₎] covers ξ with probability ≥ 1 − a for
    any continuous distribution (Conover 1999, "Practical Nonparametric Statistics", 3rd ed.,
    §3.2; the interval of ``scipy.stats.quantile_test``). A bound that no order statistic
    reaches (too few values) is NaN. Missing values are left out.

    Examples
    --------
    >>> quantile_interval(range(1, 11), 0.5)  # n = 10: x₍₂₎ … x₍₉₎, coverage 97.9 %
    (2.0, 9.0)
    """
    if not 0 < q < 1 or not 0 < confidence < 1:
        raise ValueError(f"q and confidence must lie between 0 and 1; got {q!r}, {confidence!r}")
    x = np.sort(np.asarray(values, dtype="float64"))
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return float("nan"), float("nan")
    tail = (1 - confidence) / 2
    # lower: l − 1 = the largest k with P(B ≤ k) ≤ tail (l = 0 when none: no bound)
    lower = first_binomial_k(n, q, lambda cdf: cdf > tail)
    # upper: u − 1 = the smallest k with P(B ≥ k + 1) = 1 − P(B ≤ k) ≤ tail
    upper = min(first_binomial_k(n, q, lambda cdf: 1 - cdf <= tail) + 1, n + 1)
    low = float(x[lower - 1]) if lower >= 1 else float("nan")
    high = float(x[upper - 1]) if upper <= n else float("nan")
    return low, high


#: The ticket times: measure → the column that ends it (as :data:`cxlib.service.TIMES`).
_TIME_ENDS = {"first_response_hours": "first_response_at", "resolution_hours": "resolved_at"}


def time_intervals(
    tickets: pd.DataFrame,
    *,
    by: Sequence[str] = (),
    month: bool = False,
    timezone: str = "UTC",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Order-statistic intervals (:func:`quantile_interval`) of the median and 90th percentile
    of each ticket time, per group: what :func:`cxlib.service.ticket_times` gives without.

    Times are counted as there: end − ``created_at`` in hours, tickets without the end stamp
    or with an end before creation left out. ``month`` groups by the local month of
    ``created_at`` (column ``period``, ``2026-09``).

    Returns
    -------
    pandas.DataFrame
        Keys (``by``, then ``period``), ``measure``, ``n``, ``median_low``, ``median_high``,
        ``p90_low``, ``p90_high``.
    """
    keys = list(by)
    frame = tickets[[*keys, "created_at"]].copy()
    if month:
        local = tickets["created_at"].dt.tz_convert(timezone).dt.tz_localize(None)
        frame["period"] = local.dt.strftime("%Y-%m")
        frame = frame[local.notna()]
        keys.append("period")
    rows = []
    for measure, end in _TIME_ENDS.items():
        if end not in tickets.columns:
            continue
        hours = (tickets[end] - tickets["created_at"]).dt.total_seconds() / 3600
        data = frame.assign(_hours=hours.loc[frame.index].where(lambda h: h >= 0))
        data = data[data["_hours"].notna()]
        groups = data.groupby(keys, sort=True, dropna=False) if keys else [((), data)]
        for key, group in groups:
            values = group["_hours"].to_numpy(float)
            median = quantile_interval(values, 0.5, confidence=confidence)
            p90 = quantile_interval(values, 0.9, confidence=confidence)
            key = key if isinstance(key, tuple) else (key,)
            rows.append((*key, measure, len(values), *median, *p90))
    columns = [*keys, "measure", "n", "median_low", "median_high", "p90_low", "p90_high"]
    return pd.DataFrame(rows, columns=columns)


@dataclass(frozen=True)
class ValueRange:
    """Customer lifetime value with the range its retention interval gives.

    ``value`` uses the retention point estimate, ``low`` and ``high`` the retention interval's
    ends (CLV grows with retention): the range shows the churn estimate's uncertainty only.
    """

    value: LifetimeValue
    low: float
    high: float


def lifetime_value_range(
    orders: Any, *, margin: float, discount: float, churn: pd.Series
) -> ValueRange:
    """:func:`cxlib.loyalty.lifetime_value` at retention r = 1 − churn and at its interval.

    CLV = m × r / (1 + i − r) × R̄ (Gupta & Lehmann 2003) increases with r, so the CLV at
    r = 1 − churn_high and r = 1 − churn_low (``churn`` a :func:`cxlib.loyalty.churn_rate` row
    in percent with its Wilson interval) bound it for the retention uncertainty.
    """

    def at(churn_percent: float) -> LifetimeValue:
        retention = min(max(1 - churn_percent / 100, 0.0), 1.0)
        return lifetime_value(orders, margin=margin, discount=discount, retention=retention)

    value = at(float(churn["value"]))
    low = at(float(churn["ci_high"])).formula
    high = at(float(churn["ci_low"])).formula
    return ValueRange(value, low, high)


def rfm_segments(customers: pd.DataFrame, segments: Sequence[str]) -> pd.DataFrame:
    """Customers per RFM segment (from :func:`cxlib.loyalty.rfm`): count, share in percent,
    mean recency in days, mean orders and mean revenue; every segment of ``segments``, in
    that order (empty ones with 0).
    """
    total = len(customers)
    grouped = customers.groupby("segment").agg(
        customers=("customer_id", "size"),
        recency_days=("recency_days", "mean"),
        frequency=("frequency", "mean"),
        monetary=("monetary", "mean"),
    )
    out = grouped.reindex(list(segments)).rename_axis("segment").reset_index()
    out["customers"] = out["customers"].fillna(0).astype("int64")
    out["share"] = 100 * out["customers"] / total if total else np.nan
    return out[["segment", "customers", "share", "recency_days", "frequency", "monetary"]]
