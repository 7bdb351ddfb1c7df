"""Survey metrics with honest uncertainty. First metric: the Net Promoter Score.

Computation is written once as narwhals expressions, so pandas (the default), polars and DuckDB
frames give the same numbers; the caller's frame is never changed. Indicator columns are computed
first and plain columns summed afterwards (the fast path on every engine).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import narwhals as nw

from cxlib.errors import ParameterError

#: Fewer answers than this are flagged ``small_n`` ("too few answers"), never shown as certain.
MIN_N = 30
GRAINS = ("month", "quarter", "year")
#: Result columns of :func:`nps`, after the group keys.
NPS_COLUMNS = ("n", "promoters", "detractors", "value", "ci_low", "ci_high", "flags")


def nps(
    frame: Any,
    *,
    score: str = "nps",
    by: Sequence[str] = (),
    grain: str | None = None,
    timestamp: str = "submitted_at",
    timezone: str = "UTC",
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> Any:
    """Net Promoter Score with its adjusted-Wald interval, overall or by groups and period.

    NPS = 100 × (P − D) / n, where P counts promoters (scores 9–10), D detractors (0–6) and n
    all non-missing answers (Reichheld 2003, "The One Number You Need to Grow", HBR).

    The interval is the adjusted Wald interval of Rocks (2016), "Interval Estimation for the Net
    Promoter Score", The American Statistician 70(4): with n' = n + 3, p' = (P + ¾)/n',
    d' = (D + ¾)/n' and m' = p' − d',
    ``m' ± z · √[(p' + d' − m'²) / n']``, clipped to [−1, 1] and multiplied by 100.
    The point estimate stays the unadjusted NPS.

    Parameters
    ----------
    frame
        A pandas, polars or DuckDB frame with the 0–10 ``score`` column (missing answers allowed).
    score
        The 0–10 column (``nps``; ``enps`` for employees).
    by
        Columns to group by.
    grain
        ``"month"``, ``"quarter"`` or ``"year"`` to add a ``period`` column (``2026-09``,
        ``2026-Q3``, ``2026``) computed from ``timestamp`` in ``timezone``; rows without a
        timestamp are then left out.
    confidence
        Two-sided confidence level of the interval.
    min_n
        Groups with fewer answers get the flag ``small_n``.

    Returns
    -------
    frame of the same kind
        One row per group (sorted by the keys) with the keys and :data:`NPS_COLUMNS`: ``value``,
        ``ci_low`` and ``ci_high`` on the −100…100 scale; ``value`` is NaN where ``n`` is 0.
    """
    if grain is not None and grain not in GRAINS:
        raise ParameterError(f"grain must be one of {', '.join(GRAINS)}; got {grain!r}.")
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence must lie between 0 and 1; got {confidence!r}.")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    data = nw.from_native(frame)
    data = data.filter(~nw.col(score).is_null()).with_columns(
        _promoter=(nw.col(score) >= 9).cast(nw.Int64),
        _detractor=(nw.col(score) <= 6).cast(nw.Int64),
    )
    keys = list(by)
    if grain is not None:
        data = data.filter(~nw.col(timestamp).is_null()).with_columns(
            period=_period(timestamp, grain, timezone)
        )
        keys.append("period")
    counts = {
        "n": nw.len(),
        "promoters": nw.col("_promoter").sum(),
        "detractors": nw.col("_detractor").sum(),
    }
    result = data.group_by(keys).agg(**counts).sort(keys) if keys else data.select(**counts)
    n_adj = nw.col("n") + 3
    p_adj = (nw.col("promoters") + 0.75) / n_adj
    d_adj = (nw.col("detractors") + 0.75) / n_adj
    m_adj = p_adj - d_adj
    half = z * ((p_adj + d_adj - m_adj**2) / n_adj) ** 0.5
    answered = nw.col("n") > 0
    share = (nw.col("promoters") - nw.col("detractors")) / nw.col("n")
    result = result.with_columns(
        value=nw.when(answered).then(100 * share),
        ci_low=nw.when(answered).then(100 * (m_adj - half).clip(-1, 1)),
        ci_high=nw.when(answered).then(100 * (m_adj + half).clip(-1, 1)),
        flags=nw.when(nw.col("n") < min_n).then(nw.lit("small_n")).otherwise(nw.lit("")),
    )
    return result.select(*keys, *NPS_COLUMNS).to_native()


@dataclass(frozen=True)
class Change:
    """A difference between two independent NPS results and its two-sided z-test."""

    change: float
    z: float
    p_value: float


def nps_change(
    n_1: int, promoters_1: int, detractors_1: int, n_2: int, promoters_2: int, detractors_2: int
) -> Change:
    """Change in NPS from group 2 to group 1, with a two-sided z-test.

    With p and d the promoter and detractor shares, Var(NPS) = [p + d − (p − d)²] / n on the
    −1…1 scale (the variance of the mean of a +1/0/−1 score; Rocks 2016), and
    z = (NPS₁ − NPS₂) / √(Var₁ + Var₂); p = 2 · (1 − Φ(|z|)).

    Returns
    -------
    Change
        ``change`` in NPS points (−200…200), ``z`` and ``p_value``; NaN when either group is
        empty or both have zero variance.
    """
    if n_1 <= 0 or n_2 <= 0:
        return Change(math.nan, math.nan, math.nan)
    p1, d1 = promoters_1 / n_1, detractors_1 / n_1
    p2, d2 = promoters_2 / n_2, detractors_2 / n_2
    variance = (p1 + d1 - (p1 - d1) ** 2) / n_1 + (p2 + d2 - (p2 - d2) ** 2) / n_2
    change = (p1 - d1) - (p2 - d2)
    if variance <= 0:
        return Change(100 * change, math.nan, math.nan)
    z = change / math.sqrt(variance)
    p_value = math.erfc(abs(z) / math.sqrt(2))
    return Change(100 * change, z, p_value)


def _period(timestamp: str, grain: str, timezone: str) -> nw.Expr:
    local = nw.col(timestamp).dt.convert_time_zone(timezone)
    if grain == "month":
        return local.dt.to_string("%Y-%m")
    if grain == "year":
        return local.dt.to_string("%Y")
    quarter = ((local.dt.month() - 1) // 3 + 1).cast(nw.String)
    return nw.concat_str([local.dt.to_string("%Y"), nw.lit("-Q"), quarter])


def rating_means(
    frame: Any, columns: Sequence[str], *, confidence: float = 0.95, min_n: int = MIN_N
) -> Any:
    """Mean of each rating column with a normal-approximation confidence interval.

    mean ± z · s / √n, with s the sample standard deviation (n − 1 in the denominator) and z the
    normal quantile for ``confidence`` (the large-sample interval for a mean; e.g. Agresti &
    Franklin, "Statistics", ch. 8). With fewer than ``min_n`` answers the interval is too narrow
    to trust, and the row is flagged ``small_n``; with fewer than two it is missing.

    Returns
    -------
    frame of the same kind
        One row per column: ``rating, n, value, ci_low, ci_high, flags``.
    """
    if not 0 < confidence < 1:
        raise ParameterError(f"confidence must lie between 0 and 1; got {confidence!r}.")
    if not columns:
        raise ParameterError("rating_means needs at least one rating column.")
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    data = nw.from_native(frame)
    rows = []
    for column in columns:
        values = nw.col(column).cast(nw.Float64)
        rows.append(
            data.select(
                n=values.count(),
                value=values.mean(),
                sd=values.std(ddof=1),
            ).with_columns(rating=nw.lit(column))
        )
    result = nw.concat(rows)
    half = z * nw.col("sd") / nw.col("n") ** 0.5
    several = nw.col("n") > 1
    result = result.with_columns(
        ci_low=nw.when(several).then(nw.col("value") - half),
        ci_high=nw.when(several).then(nw.col("value") + half),
        flags=nw.when(nw.col("n") < min_n).then(nw.lit("small_n")).otherwise(nw.lit("")),
    )
    return result.select("rating", "n", "value", "ci_low", "ci_high", "flags").to_native()
