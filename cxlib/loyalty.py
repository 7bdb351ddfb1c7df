"""Order and customer metrics: repurchase rate, churn, customer lifetime value, RFM segments.

Inputs are the canonical ``orders`` (``order_id, customer_id, ordered_at, revenue``) and
``customers`` (``customer_id, churned?, started_at?, ended_at?, tenure_months?, revenue?``)
tables as pandas, polars or DuckDB frames; results are small pandas frames (RFM: one row per
customer), never a change to the caller's frame. Shares are in percent with Wilson intervals.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from cxlib import _stats
from cxlib._frames import PeriodLike, aggregate, check_columns, prepare
from cxlib.errors import ParameterError
from cxlib.metrics import MIN_N

SHARE_COLUMNS = ("n", "hits", "value", "ci_low", "ci_high", "flags")
#: RFM segment ids, in the order their rules are tried (see :func:`rfm`).
SEGMENTS = ("champions", "loyal", "at_risk", "lost", "new", "needs_attention")


def _share_frame(counts: pd.DataFrame, keys: list[str], z: float, min_n: int) -> pd.DataFrame:
    n = counts["_n"].astype("float64").fillna(0).to_numpy()
    hits = counts["_h"].astype("float64").fillna(0).to_numpy()
    out = counts[keys].copy()
    out["n"], out["hits"] = n.astype("int64"), hits.astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out["value"] = np.where(n > 0, 100 * hits / n, np.nan)
    low, high = _stats.wilson(hits, n, z)
    out["ci_low"], out["ci_high"] = 100 * low, 100 * high
    out["flags"] = np.where(n < min_n, "small_n", "").astype(object)
    return out[[*keys, *SHARE_COLUMNS]]


def repurchase_rate(
    orders: Any,
    *,
    by: Sequence[str] = (),
    period: PeriodLike | None = None,
    timezone: str = "UTC",
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> pd.DataFrame:
    """Repurchase rate = customers with ≥ 2 orders / customers with ≥ 1 order, percent (Wilson).

    Orders in ``period`` only, when one is given; ``by`` dimensions of the orders (a customer
    who ordered in two channels counts in both).

    Returns
    -------
    pandas.DataFrame
        Keys and :data:`SHARE_COLUMNS` (``n`` customers, ``hits`` repeat customers).
    """
    z = _stats.z_value(confidence)
    data, keys = prepare(
        orders,
        needed=["customer_id"],
        by=by,
        period=period,
        timestamp="ordered_at",
        timezone=timezone,
    )
    per_customer = data.filter(~nw.col("customer_id").is_null())
    per_customer = per_customer.group_by([*keys, "customer_id"]).agg(_orders=nw.len())
    per_customer = per_customer.with_columns(
        _n=nw.lit(1), _h=(nw.col("_orders") >= 2).cast(nw.Int64)
    )
    counts = aggregate(
        per_customer, keys, {"_n": nw.col("_n").sum(), "_h": nw.col("_h").sum()}, grain=None
    )
    if not keys and counts.empty:
        counts = pd.DataFrame({"_n": [0], "_h": [0]})
    return _share_frame(counts, keys, z, min_n)


def churn_rate(
    customers: Any,
    *,
    period: PeriodLike | None = None,
    by: Sequence[str] = (),
    orders: Any = None,
    inactive_days: int = 365,
    timezone: str = "UTC",
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> pd.DataFrame:
    """Churn rate = customers lost in the period / customers at its start, percent (Wilson).

    With an explicit ``churned`` flag in ``customers`` (it wins): without a period, all
    customers count and the churned ones are lost. With a period [S, E), customers at its
    start are those started before S (or without ``started_at``) and not ended before S; lost
    are those of them flagged churned whose ``ended_at`` lies in [S, E) (all flagged ones when
    there is no ``ended_at``).

    Without a flag, churn comes from inactivity in ``orders`` (``loyalty.churn_inactive_days``,
    default 365): a customer is active at a moment when they ordered before it and within the
    ``inactive_days`` before it; at the start are the customers active at S, and lost those
    of them whose last order is before E − ``inactive_days`` (inactive at the end). This needs
    a period.
    """
    z = _stats.z_value(confidence)
    columns = nw.from_native(customers).collect_schema().names() if customers is not None else []
    if "churned" in columns:
        return _churn_flagged(customers, columns, period, by, timezone, z, min_n)
    if orders is None:
        raise ParameterError(
            "churn needs a churned column in customers or the orders to find inactive customers.",
            hint="Map churned in workspace.yaml or add an orders source.",
        )
    if period is None or period.start is None or period.end is None:
        raise ParameterError(
            "churn from inactivity needs a period (e.g. 2026 or 2026-Q3).",
            hint="Pass --period, or map an explicit churned column.",
        )
    if inactive_days < 1:
        raise ParameterError(f"churn_inactive_days must be 1 or more; got {inactive_days!r}.")
    data, keys = prepare(orders, needed=["customer_id", "ordered_at"], by=by)
    start, end = _utc(period.start, timezone), _utc(period.end, timezone)
    window = dt.timedelta(days=inactive_days)
    ordered = nw.col("ordered_at")
    data = data.with_columns(
        _s=nw.when(ordered < nw.lit(start)).then(ordered),
        _e=nw.when(ordered < nw.lit(end)).then(ordered),
    )
    spans = data.group_by([*keys, "customer_id"]).agg(
        _last=nw.col("_s").max(), _last_end=nw.col("_e").max()
    )
    active = ~nw.col("_last").is_null() & (nw.col("_last") >= nw.lit(start - window))
    lost = active & (nw.col("_last_end") < nw.lit(end - window))
    spans = spans.with_columns(_n=active.cast(nw.Int64), _h=lost.cast(nw.Int64))
    counts = aggregate(
        spans, keys, {"_n": nw.col("_n").sum(), "_h": nw.col("_h").sum()}, grain=None
    )
    if not keys and counts.empty:
        counts = pd.DataFrame({"_n": [0], "_h": [0]})
    return _share_frame(counts, keys, z, min_n)


def _churn_flagged(
    customers: Any,
    columns: Sequence[str],
    period: PeriodLike | None,
    by: Sequence[str],
    timezone: str,
    z: float,
    min_n: int,
) -> pd.DataFrame:
    data, keys = prepare(customers, needed=["churned"], by=by)
    churned = nw.col("churned") == 1
    if period is None or period.start is None or period.end is None:
        present, lost = ~nw.col("churned").is_null(), churned
    else:
        start, end = nw.lit(_utc(period.start, timezone)), nw.lit(_utc(period.end, timezone))
        present = ~nw.col("churned").is_null()
        if "started_at" in columns:
            present = present & (nw.col("started_at").is_null() | (nw.col("started_at") < start))
        lost = churned
        if "ended_at" in columns:
            present = present & (nw.col("ended_at").is_null() | (nw.col("ended_at") >= start))
            lost = churned & (nw.col("ended_at") >= start) & (nw.col("ended_at") < end)
    data = data.with_columns(
        _n=present.cast(nw.Int64).fill_null(0),
        _h=(present & lost).cast(nw.Int64).fill_null(0),
    )
    counts = aggregate(data, keys, {"_n": nw.col("_n").sum(), "_h": nw.col("_h").sum()}, grain=None)
    if not keys and counts.empty:
        counts = pd.DataFrame({"_n": [0], "_h": [0]})
    return _share_frame(counts, keys, z, min_n)


def _utc(day: dt.date, timezone: str) -> dt.datetime:
    local = dt.datetime(day.year, day.month, day.day, tzinfo=zoneinfo.ZoneInfo(timezone))
    return local.astimezone(dt.UTC)


@dataclass(frozen=True)
class LifetimeValue:
    """Customer lifetime value, historic and by formula (currency units).

    Attributes
    ----------
    customers, revenue, years
        Customers with orders, their total revenue and the years the orders span.
    historic
        revenue / customers.
    yearly_revenue
        revenue / customers / years: the average yearly revenue per customer.
    formula
        margin × retention / (1 + discount − retention) × yearly_revenue.
    """

    customers: int
    revenue: float
    years: float
    historic: float
    yearly_revenue: float
    formula: float
    margin: float
    discount: float
    retention: float


def lifetime_value(
    orders: Any, *, margin: float, discount: float, retention: float
) -> LifetimeValue:
    """Historic and formula customer lifetime value.

    historic CLV = Σ revenue / customers. Formula CLV (Gupta & Lehmann 2003, "Customers as
    Assets", Journal of Interactive Marketing 17(1), the infinite-horizon margin multiple):
    CLV = m × r / (1 + i − r) × R̄, with m the margin (``loyalty.margin``), i the yearly
    discount rate (``loyalty.discount``), r the yearly retention rate (1 − yearly churn, as a
    share) and R̄ the average yearly revenue per customer = Σ revenue / customers / years, where
    years = (last − first order date in days + 1) / 365.25 (at least one day).
    """
    for name, value, low, high in (
        ("margin", margin, 0.0, 1.0),
        ("discount", discount, 0.0, 1.0),
        ("retention", retention, 0.0, 1.0),
    ):
        if not low <= value <= high or value != value:
            raise ParameterError(f"{name} must lie between {low:g} and {high:g}; got {value!r}.")
    data = nw.from_native(orders)
    check_columns(
        data.collect_schema().names(), ["customer_id", "revenue", "ordered_at"], what="column"
    )
    totals = aggregate(
        data.with_columns(_revenue=nw.col("revenue").cast(nw.Float64)),
        [],
        {
            "revenue": nw.col("_revenue").sum(),
            "customers": nw.col("customer_id").n_unique(),
            "first": nw.col("ordered_at").min(),
            "last": nw.col("ordered_at").max(),
        },
        grain=None,
    ).iloc[0]
    customers = int(totals["customers"]) if totals["customers"] == totals["customers"] else 0
    revenue = float(totals["revenue"] or 0.0)
    if customers == 0 or pd.isna(totals["first"]):
        nan = float("nan")
        return LifetimeValue(0, revenue, nan, nan, nan, nan, margin, discount, retention)
    days = (pd.Timestamp(totals["last"]) - pd.Timestamp(totals["first"])).total_seconds() / 86400
    years = (max(days, 0.0) + 1) / 365.25
    historic = revenue / customers
    yearly = historic / years
    formula = margin * retention / (1 + discount - retention) * yearly
    return LifetimeValue(
        customers, revenue, years, historic, yearly, formula, margin, discount, retention
    )


def rfm(orders: Any, *, as_of: dt.datetime | None = None) -> pd.DataFrame:
    """RFM scores (quintiles 1–5) and named segments per customer, as target groups.

    recency = days from the last order to ``as_of`` (default: the newest order), frequency =
    orders, monetary = Σ revenue. Each becomes a quintile score 1–5 from its percentile rank
    (ties share their average rank): score = ⌈5 × rank / n⌉; recency is reversed (recent = 5)
    (Hughes 1994, "Strategic Database Marketing"). Segments, first matching rule wins:
    champions R ≥ 4 & F ≥ 4; loyal R ≥ 3 & F ≥ 3; at_risk R ≤ 2 & F ≥ 3; lost R ≤ 2 & F ≤ 2;
    new R ≥ 4 & F ≤ 2; needs_attention the rest. Segment values are ids (:data:`SEGMENTS`).

    Returns
    -------
    pandas.DataFrame
        ``customer_id, recency_days, frequency, monetary, r, f, m, segment``.
    """
    data, _ = prepare(orders, needed=["customer_id", "ordered_at", "revenue"])
    data = data.filter(~nw.col("customer_id").is_null())
    per = aggregate(
        data.with_columns(_revenue=nw.col("revenue").cast(nw.Float64)),
        ["customer_id"],
        {
            "last": nw.col("ordered_at").max(),
            "frequency": nw.len(),
            "monetary": nw.col("_revenue").sum(),
        },
        grain=None,
    )
    last = pd.to_datetime(per["last"], utc=True)
    reference = pd.Timestamp(as_of) if as_of is not None else last.max()
    if reference is not None and reference.tzinfo is None:
        reference = reference.tz_localize("UTC")
    out = per[["customer_id"]].copy()
    out["recency_days"] = (reference - last).dt.total_seconds() / 86400
    out["frequency"] = per["frequency"].astype("int64")
    out["monetary"] = per["monetary"].astype("float64")
    out["r"] = _quintile(-out["recency_days"])
    out["f"] = _quintile(out["frequency"])
    out["m"] = _quintile(out["monetary"])
    r, f = out["r"], out["f"]
    conditions = [
        (r >= 4) & (f >= 4),
        (r >= 3) & (f >= 3),
        (r <= 2) & (f >= 3),
        (r <= 2) & (f <= 2),
        (r >= 4) & (f <= 2),
    ]
    out["segment"] = np.select(conditions, SEGMENTS[:-1], default=SEGMENTS[-1]).astype(object)
    return out.sort_values("customer_id", kind="stable").reset_index(drop=True)


def _quintile(values: pd.Series) -> pd.Series:
    if values.empty:
        return values.astype("int64")
    rank = values.rank(method="average", pct=True)
    return np.ceil(5 * rank).clip(1, 5).astype("int64")
