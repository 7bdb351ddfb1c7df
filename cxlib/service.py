"""Ticket metrics: response and resolution times, SLA attainment, first-contact resolution,
reopen rate and backlog.

Input is the canonical ``tickets`` table (``ticket_id, created_at, first_response_at?,
resolved_at?, status?, channel?, category?, priority?, contacts?, reopened?, sla_met?, csat?``)
as a pandas, polars or DuckDB frame; results are small pandas frames, never a change to the
caller's frame. A first response or resolution stamped before the ticket was created is not a
time: such tickets are excluded from that measure and counted in ``excluded``.

Quantiles are fixed to one method so that engines agree: linear interpolation between order
statistics (Hyndman & Fan 1996, definition 7 — numpy's and R's default, DuckDB's
``quantile_cont``, pandas' and polars' ``linear``): with the n times sorted, the q-quantile is
x₍ₖ₎ + (h − k)(x₍ₖ₊₁₎ − x₍ₖ₎) where h = (n − 1)q + 1 and k = ⌊h⌋.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from cxlib import _stats
from cxlib._frames import PERIOD, PeriodLike, aggregate, group_keys, hours_between, prepare
from cxlib.errors import ParameterError
from cxlib.metrics import MIN_N

#: The two ticket times: name → the timestamp column that ends it.
TIMES = {"first_response_hours": "first_response_at", "resolution_hours": "resolved_at"}
#: Result columns of :func:`ticket_times`, after the group keys.
TIME_COLUMNS = ("measure", "n", "excluded", "median", "p90", "flags")
#: Result columns of the share functions, after the group keys.
SHARE_COLUMNS = ("n", "hits", "value", "ci_low", "ci_high", "flags")


def _hours(frame: Any, end: str) -> nw.Expr:
    return hours_between(frame, "created_at", end, what="ticket times")


def ticket_times(
    frame: Any,
    *,
    by: Sequence[str] = (),
    grain: str | None = None,
    period: PeriodLike | None = None,
    timezone: str = "UTC",
    min_n: int = MIN_N,
) -> pd.DataFrame:
    """First-response and resolution time in hours: median and 90th percentile.

    Time = (first_response_at or resolved_at) − created_at, in hours; tickets without the end
    stamp are not counted (n), tickets whose end precedes creation are ``excluded`` (counted).
    Quantiles: linear interpolation (see the module docstring). Periods and ``by`` groups
    follow ``created_at``.

    Returns
    -------
    pandas.DataFrame
        One row per group and measure (:data:`TIMES`): keys and :data:`TIME_COLUMNS`.
    """
    measures = {name: end for name, end in TIMES.items() if _has(frame, end)}
    if not measures:
        raise ParameterError(
            "ticket times need first_response_at or resolved_at; the tickets have neither."
        )
    data, keys = prepare(
        frame,
        needed=["created_at", *measures.values()],
        by=by,
        grain=grain,
        period=period,
        timestamp="created_at",
        timezone=timezone,
    )
    columns: dict[str, nw.Expr] = {}
    for i, end in enumerate(measures.values()):
        hours = _hours(frame, end)
        columns[f"_h{i}"] = nw.when(hours >= 0).then(hours)
        columns[f"_x{i}"] = (hours < 0).cast(nw.Int64)
    data = data.with_columns(**columns)
    aggregations: dict[str, nw.Expr] = {}
    for i in range(len(measures)):
        value = nw.col(f"_h{i}")
        aggregations[f"_n{i}"] = value.count()
        aggregations[f"_x{i}"] = nw.col(f"_x{i}").sum()
        aggregations[f"_m{i}"] = value.quantile(0.5, interpolation="linear")
        aggregations[f"_p{i}"] = value.quantile(0.9, interpolation="linear")
    result = aggregate(data, keys, aggregations, grain=grain)
    out_keys = group_keys(by, grain)
    parts = []
    for i, name in enumerate(measures):
        part = result[out_keys].copy()
        part["measure"] = name
        part["n"] = result[f"_n{i}"].fillna(0).astype("int64")
        part["excluded"] = result[f"_x{i}"].fillna(0).astype("int64")
        part["median"] = result[f"_m{i}"].astype("float64")
        part["p90"] = result[f"_p{i}"].astype("float64")
        part["flags"] = np.where(part["n"] < min_n, "small_n", "").astype(object)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)[[*out_keys, *TIME_COLUMNS]]


def sla_attainment(
    frame: Any,
    targets: Mapping[str, Mapping[str, float]],
    *,
    by: Sequence[str] = (),
    grain: str | None = None,
    period: PeriodLike | None = None,
    timezone: str = "UTC",
    confidence: float = 0.95,
    min_n: int = MIN_N,
) -> pd.DataFrame:
    """Share of tickets answered / resolved within their target, in percent, Wilson interval.

    ``targets`` is ``service.sla`` of ``workspace.yaml``: measure → rules, e.g.
    ``{"first_response_hours": {"default": 24, "priority=high": 4}, "resolution_hours":
    {"default": 72}}``. A rule ``column=value`` applies to tickets with that value (the first
    matching rule in the order written wins); ``default`` to the rest (without a default, the
    other tickets are not measured). Attainment = tickets with time ≤ target / tickets with a
    valid time (open tickets are not yet measured). Without targets, an explicit ``sla_met``
    column gives the measure ``sla_met``.

    Returns
    -------
    pandas.DataFrame
        Keys, ``measure`` and :data:`SHARE_COLUMNS` (value and interval in percent).
    """
    indicators: dict[str, nw.Expr] = {}
    needed = ["created_at"]
    names: list[str] = []
    for name, rules in targets.items():
        if name not in TIMES:
            raise ParameterError(
                f"SLA measure '{name}' is not known; use {', '.join(TIMES)}.",
                hint="Check service.sla in workspace.yaml.",
            )
        target = _target(rules)
        needed += [TIMES[name], *_rule_columns(rules)]
        hours = _hours(frame, TIMES[name])
        valid = (hours >= 0) & ~target.is_null()
        i = len(names)
        indicators[f"_n{i}"] = nw.when(valid).then(1).otherwise(0)
        indicators[f"_h{i}"] = nw.when(valid & (hours <= target)).then(1).otherwise(0)
        names.append(name)
    if not names:
        if not _has(frame, "sla_met"):
            raise ParameterError(
                "no SLA targets and no sla_met column: nothing to measure.",
                hint="Add service.sla to workspace.yaml or map sla_met.",
            )
        indicators = {"_n0": (~nw.col("sla_met").is_null()).cast(nw.Int64)}
        indicators["_h0"] = (nw.col("sla_met") == 1).cast(nw.Int64)
        needed, names = ["sla_met"], ["sla_met"]
    return _shares(frame, indicators, names, needed, by, grain, period, timezone, confidence, min_n)


def first_contact_resolution(frame: Any, **options: Any) -> pd.DataFrame:
    """First-contact resolution: resolved with one contact / resolved, in percent (Wilson).

    A ticket is resolved when ``resolved_at`` is set and not before ``created_at``; tickets
    without ``contacts`` are not counted. Options as in :func:`sla_attainment`.
    """
    resolved = ~nw.col("resolved_at").is_null() & (_hours(frame, "resolved_at") >= 0)
    counted = resolved & ~nw.col("contacts").is_null()
    indicators = {
        "_n0": nw.when(counted).then(1).otherwise(0),
        "_h0": nw.when(counted & (nw.col("contacts") == 1)).then(1).otherwise(0),
    }
    needed = ["created_at", "resolved_at", "contacts"]
    return _share_call(frame, indicators, "first_contact_resolution", needed, options)


def reopen_rate(frame: Any, **options: Any) -> pd.DataFrame:
    """Reopen rate: resolved tickets reopened (``reopened`` = 1) / resolved, percent (Wilson)."""
    resolved = ~nw.col("resolved_at").is_null() & (_hours(frame, "resolved_at") >= 0)
    counted = resolved & ~nw.col("reopened").is_null()
    indicators = {
        "_n0": nw.when(counted).then(1).otherwise(0),
        "_h0": nw.when(counted & (nw.col("reopened") == 1)).then(1).otherwise(0),
    }
    needed = ["created_at", "resolved_at", "reopened"]
    return _share_call(frame, indicators, "reopen_rate", needed, options)


def _share_call(
    frame: Any, indicators: dict[str, nw.Expr], name: str, needed: list[str], options: Any
) -> pd.DataFrame:
    allowed = {"by", "grain", "period", "timezone", "confidence", "min_n"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ParameterError(f"unknown option(s) {', '.join(unknown)}; use {', '.join(allowed)}.")
    return _shares(
        frame,
        indicators,
        [name],
        needed,
        options.get("by", ()),
        options.get("grain"),
        options.get("period"),
        options.get("timezone", "UTC"),
        options.get("confidence", 0.95),
        options.get("min_n", MIN_N),
    )


def _shares(
    frame: Any,
    indicators: dict[str, nw.Expr],
    names: list[str],
    needed: list[str],
    by: Sequence[str],
    grain: str | None,
    period: PeriodLike | None,
    timezone: str,
    confidence: float,
    min_n: int,
) -> pd.DataFrame:
    z = _stats.z_value(confidence)
    data, keys = prepare(
        frame,
        needed=needed,
        by=by,
        grain=grain,
        period=period,
        timestamp="created_at",
        timezone=timezone,
    )
    data = data.with_columns(**indicators)
    sums = {name: nw.col(name).sum() for name in indicators}
    counts = aggregate(data, keys, sums, grain=grain)
    if not keys and counts.empty:
        counts = pd.DataFrame({name: [0] for name in indicators})
    out_keys = group_keys(by, grain)
    parts = []
    for i, name in enumerate(names):
        n = counts[f"_n{i}"].astype("float64").fillna(0).to_numpy()
        hits = counts[f"_h{i}"].astype("float64").fillna(0).to_numpy()
        part = counts[out_keys].copy()
        part["measure"] = name
        part["n"], part["hits"] = n.astype("int64"), hits.astype("int64")
        with np.errstate(divide="ignore", invalid="ignore"):
            part["value"] = np.where(n > 0, 100 * hits / n, np.nan)
        low, high = _stats.wilson(hits, n, z)
        part["ci_low"], part["ci_high"] = 100 * low, 100 * high
        part["flags"] = np.where(n < min_n, "small_n", "").astype(object)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)[[*out_keys, "measure", *SHARE_COLUMNS]]


def _target(rules: Mapping[str, float]) -> nw.Expr:
    chain: Any = None
    for rule, hours in rules.items():
        if rule == "default":
            continue
        column, _, value = rule.partition("=")
        condition = nw.col(column.strip()).cast(nw.String) == value.strip()
        chain = (
            nw.when(condition).then(float(hours))
            if chain is None
            else chain.when(condition).then(float(hours))
        )
    default = rules.get("default")
    if chain is None:
        return nw.lit(None if default is None else float(default), dtype=nw.Float64)
    return chain.otherwise(nw.lit(None if default is None else float(default), nw.Float64))


def _rule_columns(rules: Mapping[str, float]) -> list[str]:
    columns = []
    for rule in rules:
        if rule == "default":
            continue
        column, sep, value = rule.partition("=")
        if not sep or not column.strip() or not value.strip():
            raise ParameterError(
                f"SLA rule '{rule}' is not 'default' or 'column=value'.",
                hint="For example: priority=high: 4.",
            )
        columns.append(column.strip())
    return columns


def _has(frame: Any, column: str) -> bool:
    return column in nw.from_native(frame).collect_schema().names()


def backlog(
    frame: Any, *, grain: str = "month", by: Sequence[str] = (), timezone: str = "UTC"
) -> pd.DataFrame:
    """Open tickets at the end of each period, from the first to the last period with tickets.

    open(t) = #(created before the end of t) − #(resolved before the end of t), i.e. the running
    sum of tickets opened minus tickets resolved per period. Tickets resolved before they were
    created are left out and counted in ``excluded`` (same on every row of a group).

    Returns
    -------
    pandas.DataFrame
        Keys, ``period``, ``opened``, ``resolved``, ``open`` (at the period's end), ``excluded``.
    """
    has_resolved = _has(frame, "resolved_at")
    invalid = (_hours(frame, "resolved_at") < 0) if has_resolved else nw.lit(False)
    data, keys = prepare(frame, needed=["created_at"], by=by, timestamp="created_at")
    data = data.with_columns(_bad=invalid.cast(nw.Int64).fill_null(0))
    excluded = aggregate(data, keys, {"excluded": nw.col("_bad").sum()}, grain=None)
    data = data.filter(nw.col("_bad") == 0)
    opened, open_keys = prepare(
        data.to_native(), needed=[], by=by, grain=grain, timestamp="created_at", timezone=timezone
    )
    counts = [aggregate(opened, open_keys, {"opened": nw.len()}, grain=grain)]
    if has_resolved:
        closed, closed_keys = prepare(
            data.to_native(),
            needed=[],
            by=by,
            grain=grain,
            timestamp="resolved_at",
            timezone=timezone,
        )
        counts.append(aggregate(closed, closed_keys, {"resolved": nw.len()}, grain=grain))
    table = counts[0]
    for other in counts[1:]:
        table = table.merge(other, on=[*by, PERIOD], how="outer")
    if "resolved" not in table.columns:
        table["resolved"] = 0
    table[["opened", "resolved"]] = table[["opened", "resolved"]].fillna(0).astype("int64")
    table = table.sort_values([*by, PERIOD], kind="stable").reset_index(drop=True)
    change = table["opened"] - table["resolved"]
    if by:
        table["open"] = change.groupby([table[b] for b in by], dropna=False).cumsum()
    else:
        table["open"] = change.cumsum()
    if by:
        table = table.merge(excluded, on=list(by), how="left")
    else:
        table["excluded"] = int(excluded["excluded"].fillna(0).iloc[0]) if len(excluded) else 0
    table["excluded"] = table["excluded"].fillna(0).astype("int64")
    return table[[*by, PERIOD, "opened", "resolved", "open", "excluded"]]
