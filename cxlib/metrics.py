"""Survey metrics with honest uncertainty: NPS, eNPS, CSAT, CES and rating means.

Computation is written once as narwhals expressions, so pandas (the default), polars and DuckDB
frames give the same numbers; the caller's frame is never changed. Indicator columns are computed
first with ``with_columns`` and plain columns summed afterwards (the fast path on every engine);
only integer counts and sums leave the engine, and the intervals are computed from them, so the
engines agree to the last bit. Results are small pandas frames, whatever the engine of the input.
PySpark frames work too; they are tested by the opt-in job ``make test-spark`` (docs/spark.md).

Every result has the group keys (``by`` dimensions, then ``period`` with a grain), ``n``, the
``n_effective``, the ``value`` in display units (NPS −100…100, shares in percent 0–100, means on
the answer scale), ``ci_low``/``ci_high`` and ``flags`` (``small_n`` below ``min_n`` effective
answers; ``suppressed`` for eNPS groups below the privacy minimum, whose numbers are then missing).

Survey weights
--------------
When the frame has a ``weight`` column (``weight="auto"``, the default) or a weight column is named
with ``weight="<column>"``, every metric is weighted; ``weight=None`` ignores any weight column.
Only answers with a non-missing weight count; a negative weight is a :class:`ParameterError`.
With wᵢ the weights of the n answers of a group:

* shares and NPS parts are weighted shares, p = Σw·1[promoter] / Σw (likewise d, hits), and
  means are weighted means x̄ = Σw·x / Σw;
* n is replaced in every interval and test by Kish's effective sample size
  n_eff = (Σw)² / Σw² (Kish 1965, "Survey Sampling", Wiley; the design effect of unequal
  weights, deff = n / n_eff). The counts the formulas use become effective counts p · n_eff:
  adjusted Wald for the NPS with n' = n_eff + 3 and P' = p · n_eff + ¾ (Rocks 2016),
  Wilson with n_eff, and the mean interval x̄ ± z · s/√n_eff with the weighted variance
  s² = [Σw·x² − (Σw·x)²/Σw] / Σw · n_eff / (n_eff − 1) (reduces to the n − 1 sample
  variance when all weights are equal);
* the result keeps ``n`` (answers) and gives ``n_effective``; ``promoters``, ``detractors``
  and ``hits`` are effective counts p · n_eff (floats) when weighted, answer counts otherwise;
  ``small_n`` uses ``n_effective``, the eNPS privacy minimum the answers ``n``.

Without weights n_eff = n and every number is exactly the unweighted one; multiplying all
weights by a constant changes nothing. Only the sums Σw, Σw², Σw·1[…], Σw·x and Σw·x² leave the
engine, so the engines agree (float sums: within 1e-9).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from cxlib import _stats
from cxlib._frames import GRAINS, PeriodLike, aggregate, group_keys, prepare
from cxlib._stats import CORRECTIONS, adjust_p
from cxlib.comparisons import Change, compare, nps_change  # re-exported: users look here
from cxlib.errors import ParameterError

__all__ = [
    "CORRECTIONS",
    "GRAINS",
    "MEAN_COLUMNS",
    "MIN_N",
    "NPS_COLUMNS",
    "SHARE_COLUMNS",
    "Change",
    "Metric",
    "adjust_p",
    "ces",
    "compare",
    "compute",
    "csat",
    "enps",
    "mean_score",
    "nps",
    "nps_change",
    "rating_means",
    "share",
]

#: Fewer answers than this are flagged ``small_n`` ("too few answers"), never shown as certain.
MIN_N = 30
#: eNPS groups with fewer answers than this are suppressed (anonymity of employees).
MIN_GROUP_EMPLOYEES = 5
#: Result columns of :func:`nps`, after the group keys.
NPS_COLUMNS = ("n", "n_effective", "promoters", "detractors", "value", "ci_low", "ci_high", "flags")
#: Result columns of :func:`csat`, :func:`ces` and :func:`share`, after the group keys.
SHARE_COLUMNS = ("n", "n_effective", "hits", "value", "ci_low", "ci_high", "flags")
#: Result columns of :func:`mean_score`, after the group keys.
MEAN_COLUMNS = ("n", "n_effective", "value", "sd", "ci_low", "ci_high", "flags")
KINDS = ("nps", "share", "mean")
#: The canonical survey-weight column, used when present (``weight="auto"``).
WEIGHT = "weight"
_NEGATIVE = "_weight_negative"


@dataclass(frozen=True)
class Metric:
    """One survey metric on one score column.

    Attributes
    ----------
    kind
        ``nps`` (promoters 9–10 minus detractors 0–6), ``share`` (answers ≥ ``at_least``,
        Wilson interval) or ``mean`` (normal interval).
    column
        The score column.
    at_least
        For ``share``: the lowest answer that counts (CSAT 1–5: 4).
    min_group
        Groups with fewer answers are suppressed (eNPS privacy); 0 suppresses none.
    """

    kind: str
    column: str
    at_least: float | None = None
    min_group: int = 0


def compute(
    frame: Any,
    metrics: Mapping[str, Metric],
    *,
    by: Sequence[str] = (),
    grain: str | None = None,
    period: PeriodLike | None = None,
    timestamp: str = "submitted_at",
    timezone: str = "UTC",
    confidence: float = 0.95,
    min_n: int = MIN_N,
    weight: str | None = "auto",
) -> dict[str, pd.DataFrame]:
    """Compute several metrics in one pass over ``frame``; one result frame per metric name.

    Parameters
    ----------
    frame
        A pandas, polars or DuckDB frame; missing answers are left out of each metric's n.
    metrics
        Name → :class:`Metric`.
    by
        Dimension columns to group by; an unknown one is a :class:`ParameterError` that lists
        the columns there are.
    grain
        ``week`` (ISO 8601, ``2026-W07``), ``month`` (``2026-09``), ``quarter`` (``2026-Q3``)
        or ``year``: adds a ``period`` column from ``timestamp`` read in ``timezone``; rows
        without a timestamp are then left out.
    period
        A reporting period (:func:`cxlib.periods.parse_period`): only rows inside it count.
    confidence
        Two-sided confidence level of the intervals.
    min_n
        Groups with fewer (effective) answers get the flag ``small_n``.
    weight
        ``"auto"``: weight by the ``weight`` column when the frame has one; a column name: weight
        by that column (it must exist); ``None``: unweighted. See "Survey weights" above.
    """
    z = _stats.z_value(confidence)
    if min_n < 0:
        raise ParameterError(f"min_n must be 0 or more; got {min_n!r}.")
    for spec in metrics.values():
        if spec.kind not in KINDS:
            raise ParameterError(
                f"metric kind must be one of {', '.join(KINDS)}; got {spec.kind!r}."
            )
        if spec.kind == "share" and spec.at_least is None:
            raise ParameterError(f"share of '{spec.column}' needs at_least (the lowest hit).")
    if weight == "auto":
        columns = nw.from_native(frame).collect_schema().names()
        weight = WEIGHT if WEIGHT in columns else None
    needed = sorted({spec.column for spec in metrics.values()} | ({weight} if weight else set()))
    data, keys = prepare(
        frame,
        needed=needed,
        by=by,
        grain=grain,
        period=period,
        timestamp=timestamp,
        timezone=timezone,
    )
    indicators: dict[str, nw.Expr] = {}
    for i, spec in enumerate(metrics.values()):
        indicators.update(_indicators(f"_{i}", spec, weight))
    if weight:
        indicators[_NEGATIVE] = (nw.col(weight) < 0).cast(nw.Int64)
    data = data.with_columns(**indicators)
    sums = {name: nw.col(name).sum() for name in indicators}
    counts = aggregate(data, keys, sums, grain=grain)
    out_keys = group_keys(by, grain)
    if not out_keys and counts.empty:
        counts = pd.DataFrame({name: [0] for name in indicators})
    if weight and counts[_NEGATIVE].fillna(0).sum() > 0:
        raise ParameterError(
            f"survey weights must be 0 or more; '{weight}' has "
            f"{int(counts[_NEGATIVE].fillna(0).sum())} negative values.",
            column=weight,
        )
    return {
        name: _finish(counts, out_keys, f"_{i}", spec, z, min_n, weighted=bool(weight))
        for i, (name, spec) in enumerate(metrics.items())
    }


def _indicators(prefix: str, spec: Metric, weight: str | None = None) -> dict[str, nw.Expr]:
    score = nw.col(spec.column)
    if weight:
        w = nw.col(weight).cast(nw.Float64)
        present = ~score.is_null() & ~w.is_null()
        w = nw.when(present).then(w).otherwise(0.0)
        out = {f"{prefix}n": present.cast(nw.Int64), f"{prefix}w": w, f"{prefix}w2": w * w}
        if spec.kind == "nps":
            out[f"{prefix}p"] = w * (score >= 9).cast(nw.Float64)
            out[f"{prefix}d"] = w * (score <= 6).cast(nw.Float64)
        elif spec.kind == "share":
            out[f"{prefix}h"] = w * (score >= spec.at_least).cast(nw.Float64)
        else:
            value = score.cast(nw.Float64)
            out[f"{prefix}s"] = w * value
            out[f"{prefix}q"] = w * value * value
        return out
    out = {f"{prefix}n": (~score.is_null()).cast(nw.Int64)}
    if spec.kind == "nps":
        out[f"{prefix}p"] = (score >= 9).cast(nw.Int64)
        out[f"{prefix}d"] = (score <= 6).cast(nw.Int64)
    elif spec.kind == "share":
        out[f"{prefix}h"] = (score >= spec.at_least).cast(nw.Int64)
    else:
        value = score.cast(nw.Float64)
        out[f"{prefix}s"] = value
        out[f"{prefix}q"] = value * value
    return out


def _finish(
    counts: pd.DataFrame,
    keys: list[str],
    prefix: str,
    spec: Metric,
    z: float,
    min_n: int,
    *,
    weighted: bool = False,
) -> pd.DataFrame:
    def raw(suffix: str) -> Any:
        return counts[f"{prefix}{suffix}"].astype("float64").fillna(0.0).to_numpy()

    n = raw("n")
    out = counts[keys].copy()
    out["n"] = n.astype("int64")
    if weighted:
        # effective counts: weighted sum × Σw/Σw², so that n_eff = Σw · Σw/Σw² = (Σw)²/Σw²;
        # with all weights 1 the factor is exactly 1 and every number the unweighted one
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(raw("w2") > 0, raw("w") / raw("w2"), 0.0)
        n_eff = raw("w") * factor

        def col(suffix: str) -> Any:
            return raw(suffix) * factor

        def count(values: Any) -> Any:
            return values
    else:
        n_eff, col = n, raw

        def count(values: Any) -> Any:
            return values.astype("int64")

    out["n_effective"] = n_eff
    with np.errstate(divide="ignore", invalid="ignore"):
        if spec.kind == "nps":
            promoters, detractors = col("p"), col("d")
            out["promoters"] = count(promoters)
            out["detractors"] = count(detractors)
            value = np.where(n_eff > 0, 100 * (promoters - detractors) / n_eff, np.nan)
            low, high = _stats.nps_interval(promoters, detractors, n_eff, z)
            low, high = 100 * low, 100 * high
        elif spec.kind == "share":
            hits = col("h")
            out["hits"] = count(hits)
            value = np.where(n_eff > 0, 100 * hits / n_eff, np.nan)
            low, high = _stats.wilson(hits, n_eff, z)
            low, high = 100 * low, 100 * high
        else:
            value, sd = _stats.mean_sd(col("s"), col("q"), n_eff)
            out["sd"] = sd
            half = z * sd / np.sqrt(n_eff)
            low, high = value - half, value + half
    out["value"], out["ci_low"], out["ci_high"] = value, low, high
    flags = np.where(n_eff < min_n, "small_n", "")
    if spec.min_group:
        hidden = n < spec.min_group
        out.loc[hidden, [c for c in out.columns if c not in keys]] = np.nan
        out["n"] = n.astype("int64")
        flags = np.where(hidden, "small_n,suppressed", flags)
    out["flags"] = flags.astype(object)
    columns = {"nps": NPS_COLUMNS, "share": SHARE_COLUMNS, "mean": MEAN_COLUMNS}[spec.kind]
    return out[[*keys, *columns]]


def _one(frame: Any, spec: Metric, **options: Any) -> pd.DataFrame:
    return compute(frame, {"metric": spec}, **options)["metric"]


def _check_scale(scale: Sequence[int], name: str) -> tuple[int, int]:
    if len(scale) != 2 or not scale[0] < scale[1]:
        raise ParameterError(
            f"{name} scale must be (lowest, highest) with lowest < highest; got {scale!r}."
        )
    return int(scale[0]), int(scale[1])


def nps(frame: Any, *, score: str = "nps", **options: Any) -> pd.DataFrame:
    """Net Promoter Score with its adjusted-Wald interval, overall or by groups and period.

    NPS = 100 × (P − D) / n, where P counts promoters (scores 9–10), D detractors (0–6) and n
    all non-missing answers (Reichheld 2003, "The One Number You Need to Grow", HBR).

    The interval is the adjusted Wald interval of Rocks (2016), "Interval Estimation for the Net
    Promoter Score", The American Statistician 70(4): with n' = n + 3, p' = (P + ¾)/n',
    d' = (D + ¾)/n' and m' = p' − d', ``m' ± z · √[(p' + d' − m'²) / n']``, clipped to [−1, 1]
    and multiplied by 100. The point estimate stays the unadjusted NPS.

    Parameters
    ----------
    frame
        A pandas, polars or DuckDB frame with the 0–10 ``score`` column (missing answers allowed).
    score
        The 0–10 column (``nps``; ``enps`` for employees).
    **options
        ``by``, ``grain``, ``period``, ``timestamp``, ``timezone``, ``confidence``, ``min_n``,
        ``weight`` as in :func:`compute`. Weighted: p and d are weighted shares and n_eff
        (Kish) replaces n, so n' = n_eff + 3 and P' = p · n_eff + ¾ (module docstring).

    Returns
    -------
    pandas.DataFrame
        One row per group (sorted by the keys) with the keys and :data:`NPS_COLUMNS`; ``value``,
        ``ci_low`` and ``ci_high`` on the −100…100 scale, NaN where ``n`` is 0.
    """
    return _one(frame, Metric("nps", score), **options)


def enps(
    frame: Any, *, score: str = "enps", min_group: int = MIN_GROUP_EMPLOYEES, **options: Any
) -> pd.DataFrame:
    """Employee NPS: :func:`nps` on the 0–10 ``enps`` column, small groups suppressed.

    Groups with fewer than ``min_group`` answers (``privacy.min_group_employees``, default 5)
    keep their n but lose every number, flagged ``suppressed``, to protect anonymity.
    """
    return _one(frame, Metric("nps", score, min_group=min_group), **options)


def csat(
    frame: Any, *, score: str = "csat", scale: Sequence[int] = (1, 5), **options: Any
) -> pd.DataFrame:
    """CSAT: the share of top-2-box answers, in percent, with the Wilson interval.

    CSAT = 100 × #(answers ≥ high − 1) / n on a ``scale`` of (low, high) — 4–5 on 1–5, 6–7 on
    1–7, 9–10 on 0–10 (ACSI/industry convention of "satisfied or very satisfied"). The interval
    is the Wilson score interval (Wilson 1927; recommended by Brown, Cai & DasGupta 2001,
    Statistical Science 16): see :func:`cxlib._stats.wilson`. Weighted (a ``weight`` column or
    ``weight=``): the weighted share Σw·1[hit]/Σw, Wilson with Kish's n_eff = (Σw)²/Σw² in place
    of n (module docstring). Columns: :data:`SHARE_COLUMNS`.
    """
    _low, high = _check_scale(scale, "CSAT")
    return _one(frame, Metric("share", score, at_least=high - 1), **options)


def ces(
    frame: Any, *, score: str = "ces", scale: Sequence[int] = (1, 7), **options: Any
) -> pd.DataFrame:
    """CES: the share agreeing that it was easy, in percent, with the Wilson interval.

    On the 1–7 agreement scale of CES 2.0 ("The company made it easy for me to handle my
    issue"; Dixon, Freeman & Toman 2010, HBR; CEB 2013) agreeing means 5–7; on another scale
    (low, high) the top three points (≥ high − 2). The mean answer is :func:`mean_score`.
    Weighted as :func:`csat`. Columns: :data:`SHARE_COLUMNS`.
    """
    low, high = _check_scale(scale, "CES")
    return _one(frame, Metric("share", score, at_least=max(low, high - 2)), **options)


def share(frame: Any, column: str, *, at_least: float = 1, **options: Any) -> pd.DataFrame:
    """The share (percent, Wilson interval) of answers ≥ ``at_least`` — e.g. ``satisfied`` = 1.

    Weighted as :func:`csat` when there are weights.
    """
    return _one(frame, Metric("share", column, at_least=at_least), **options)


def mean_score(frame: Any, column: str, **options: Any) -> pd.DataFrame:
    """Mean answer with its normal-approximation interval (CES mean, touchpoint ratings).

    mean ± z · s/√n, with s the sample standard deviation (n − 1) computed from n, Σx and Σx²
    (the large-sample interval of a mean; e.g. Agresti & Franklin, "Statistics", ch. 8). With
    fewer than two answers the interval is missing. Weighted: x̄ = Σw·x/Σw ± z · s/√n_eff with
    s² = [Σw·x² − (Σw·x)²/Σw]/Σw · n_eff/(n_eff − 1) and n_eff = (Σw)²/Σw² (Kish 1965).
    Columns: :data:`MEAN_COLUMNS`.
    """
    return _one(frame, Metric("mean", column), **options)


def rating_means(
    frame: Any,
    columns: Sequence[str],
    *,
    confidence: float = 0.95,
    min_n: int = MIN_N,
    weight: str | None = "auto",
) -> pd.DataFrame:
    """Mean of each rating column with its interval (see :func:`mean_score`), in one pass.

    Weighted by ``weight`` as in :func:`compute` (the ``weight`` column when there is one).

    Returns
    -------
    pandas.DataFrame
        One row per column: ``rating, n, n_effective, value, ci_low, ci_high, flags``.
    """
    if not columns:
        raise ParameterError("rating_means needs at least one rating column.")
    specs = {column: Metric("mean", column) for column in columns}
    results = compute(frame, specs, confidence=confidence, min_n=min_n, weight=weight)
    rows = [result.assign(rating=name) for name, result in results.items()]
    return pd.concat(rows, ignore_index=True)[
        ["rating", "n", "n_effective", "value", "ci_low", "ci_high", "flags"]
    ]
