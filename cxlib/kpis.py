"""The KPI catalogue and KPI tracking over time.

Each :class:`Kpi` names its label (a message id), unit, direction, source table and the
function that computes it. :func:`kpi_series` gives any KPI by period and dimensions with its
interval; :func:`workspace_metrics` is what ``cx-workbook metrics`` prints. Rows carry display
units: NPS −100…100, shares in percent, times in hours, means on the answer scale.

Flags (documented list): ``small_n`` (fewer than ``min_n`` answers), ``suppressed`` (eNPS group
below the privacy minimum; numbers missing), ``no_interval`` (a median time: no interval is
computed).

``n_effective`` (the last row column, added after the others so that none moves) is Kish's
effective sample size (Σw)²/Σw² of a weighted survey KPI (a ``weight`` column in the
responses); it equals ``n`` for unweighted KPIs and every non-survey KPI. See
:mod:`cxlib.metrics`, "Survey weights".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from cxlib import loyalty, metrics, service
from cxlib.errors import ParameterError, did_you_mean
from cxlib.metrics import MIN_N, Metric

#: Columns of a KPI row, before the dimensions come in after ``period``.
ROW_COLUMNS = ("kpi", "period", "n", "value", "ci_low", "ci_high", "unit", "flags", "n_effective")
COMPARE_COLUMNS = ("change", "p_value", "p_adjusted", "significant")
UNITS = ("nps", "percent", "hours", "score")


@dataclass(frozen=True)
class Kpi:
    """One KPI of the catalogue.

    Attributes
    ----------
    id
        Stable id (``nps``, ``csat``, ``rating_delivery`` …).
    label
        Message id of its name (``kpi_name.nps``); touchpoint ratings use ``kpi_name.rating``.
    unit
        ``nps`` (points −100…100), ``percent``, ``hours`` or ``score`` (answer scale).
    higher_is_better
        Direction: False for times, churn and reopen rate.
    table
        The canonical table it is computed from.
    column
        The column it needs in that table.
    """

    id: str
    label: str
    unit: str
    higher_is_better: bool
    table: str
    column: str


_BASE = (
    Kpi("nps", "kpi_name.nps", "nps", True, "responses", "nps"),
    Kpi("csat", "kpi_name.csat", "percent", True, "responses", "csat"),
    Kpi("ces", "kpi_name.ces", "percent", True, "responses", "ces"),
    Kpi("ces_mean", "kpi_name.ces_mean", "score", True, "responses", "ces"),
    Kpi("satisfied", "kpi_name.satisfied", "percent", True, "responses", "satisfied"),
    Kpi("enps", "kpi_name.enps", "nps", True, "employees", "enps"),
    Kpi("first_response_hours", "kpi_name.first_response_hours", "hours", False, "tickets",
        "first_response_at"),
    Kpi("resolution_hours", "kpi_name.resolution_hours", "hours", False, "tickets",
        "resolved_at"),
    Kpi("sla_first_response", "kpi_name.sla_first_response", "percent", True, "tickets",
        "first_response_at"),
    Kpi("sla_resolution", "kpi_name.sla_resolution", "percent", True, "tickets", "resolved_at"),
    Kpi("first_contact_resolution", "kpi_name.first_contact_resolution", "percent", True,
        "tickets", "contacts"),
    Kpi("reopen_rate", "kpi_name.reopen_rate", "percent", False, "tickets", "reopened"),
    Kpi("repurchase_rate", "kpi_name.repurchase_rate", "percent", True, "orders", "customer_id"),
    Kpi("churn_rate", "kpi_name.churn_rate", "percent", False, "customers", "churned"),
)  # fmt: skip


def catalogue(rating_columns: Sequence[str] = ()) -> dict[str, Kpi]:
    """The KPI catalogue: the fixed KPIs plus one mean KPI per touchpoint rating column."""
    kpis = {kpi.id: kpi for kpi in _BASE}
    for column in rating_columns:
        kpis[column] = Kpi(column, "kpi_name.rating", "score", True, "responses", column)
    return kpis


@dataclass(frozen=True)
class Settings:
    """What the KPIs take from ``workspace.yaml``."""

    timezone: str = "UTC"
    scales: Mapping[str, tuple[int, int]] = field(
        default_factory=lambda: {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
    )
    sla: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    churn_inactive_days: int = 365
    min_group_employees: int = metrics.MIN_GROUP_EMPLOYEES
    confidence: float = 0.95
    min_n: int = MIN_N


def _survey_metric(kpi: Kpi, settings: Settings) -> Metric:
    if kpi.id in ("nps",):
        return Metric("nps", "nps")
    if kpi.id == "enps":
        return Metric("nps", "enps", min_group=settings.min_group_employees)
    if kpi.id == "csat":
        return Metric("share", "csat", at_least=settings.scales.get("csat", (1, 5))[1] - 1)
    if kpi.id == "ces":
        low, high = settings.scales.get("ces", (1, 7))
        return Metric("share", "ces", at_least=max(low, high - 2))
    if kpi.id == "satisfied":
        return Metric("share", "satisfied", at_least=1)
    return Metric("mean", kpi.column)


def kpi_results(
    tables: Mapping[str, Any],
    kpis: Sequence[Kpi],
    *,
    by: Sequence[str] = (),
    grain: str | None = None,
    period: Any = None,
    settings: Settings | None = None,
) -> dict[str, pd.DataFrame]:
    """The raw result frame of each KPI (columns as its module returns them).

    Survey KPIs of one table are computed in one pass (:func:`cxlib.metrics.compute`).
    """
    settings = settings or Settings()
    common: dict[str, Any] = {
        "by": by,
        "grain": grain,
        "period": period,
        "timezone": settings.timezone,
    }
    stats: dict[str, Any] = {"confidence": settings.confidence, "min_n": settings.min_n}
    out: dict[str, pd.DataFrame] = {}
    for table in ("responses", "employees"):
        specs = {k.id: _survey_metric(k, settings) for k in kpis if k.table == table}
        if specs:
            frame = _table(tables, table)
            out.update(metrics.compute(frame, specs, timestamp="submitted_at", **common, **stats))
    ticket_kpis = [k for k in kpis if k.table == "tickets"]
    if ticket_kpis:
        frame = _table(tables, "tickets")
        ids = {k.id for k in ticket_kpis}
        if ids & set(service.TIMES):
            times = service.ticket_times(frame, **common, min_n=settings.min_n)
            for name in ids & set(service.TIMES):
                out[name] = times[times["measure"] == name].drop(columns="measure")
        wanted = {
            "sla_first_response": "first_response_hours",
            "sla_resolution": "resolution_hours",
        }
        targets = {m: settings.sla[m] for k, m in wanted.items() if k in ids and m in settings.sla}
        if targets:
            sla = service.sla_attainment(frame, targets, **common, **stats)
            for kpi_id, measure in wanted.items():
                if kpi_id in ids and measure in targets:
                    out[kpi_id] = sla[sla["measure"] == measure].drop(columns="measure")
        if "first_contact_resolution" in ids:
            fcr = service.first_contact_resolution(frame, **common, **stats)
            out["first_contact_resolution"] = fcr.drop(columns="measure")
        if "reopen_rate" in ids:
            out["reopen_rate"] = service.reopen_rate(frame, **common, **stats).drop(
                columns="measure"
            )
    loyal = [k.id for k in kpis if k.table in ("orders", "customers")]
    if loyal and grain is not None:
        raise ParameterError(
            f"{', '.join(loyal)} have no series by {grain} yet; ask for them without a grain."
        )
    if "repurchase_rate" in loyal:
        out["repurchase_rate"] = loyalty.repurchase_rate(
            _table(tables, "orders"), by=by, period=period, timezone=settings.timezone, **stats
        )
    if "churn_rate" in loyal:
        out["churn_rate"] = loyalty.churn_rate(
            tables.get("customers"),
            orders=tables.get("orders"),
            by=by,
            period=period,
            inactive_days=settings.churn_inactive_days,
            timezone=settings.timezone,
            **stats,
        )
    return out


def _table(tables: Mapping[str, Any], name: str) -> Any:
    if name not in tables or tables[name] is None:
        raise ParameterError(f"no '{name}' table given.", hint=f"Tables: {', '.join(tables)}.")
    return tables[name]


def kpi_series(
    tables: Mapping[str, Any],
    kpi: str | Kpi,
    *,
    grain: str | None = "month",
    by: Sequence[str] = (),
    period: Any = None,
    settings: Settings | None = None,
) -> pd.DataFrame:
    """One KPI over time (and by dimensions), with its interval, in KPI rows.

    Returns
    -------
    pandas.DataFrame
        ``kpi, period, <by…>, n, value, ci_low, ci_high, unit, flags, n_effective`` (see
        :data:`ROW_COLUMNS`);
        for times ``value`` is the median and the interval is missing (flag ``no_interval``).
    """
    if isinstance(kpi, str):
        known = catalogue(_rating_columns(tables))
        if kpi not in known:
            raise ParameterError(
                f"KPI '{kpi}' is not in the catalogue.{did_you_mean(kpi, known)}",
                hint=f"KPIs: {', '.join(known)}.",
            )
        kpi = known[kpi]
    results = kpi_results(tables, [kpi], by=by, grain=grain, period=period, settings=settings)
    label = getattr(period, "label", "") or "all"
    return to_rows(kpi, results[kpi.id], by=by, period_label=label)


def to_rows(
    kpi: Kpi, result: pd.DataFrame, *, by: Sequence[str], period_label: str
) -> pd.DataFrame:
    """Turn a module's result frame into KPI rows (see :func:`kpi_series`)."""
    rows = result.copy()
    if "period" not in rows.columns:
        rows.insert(0, "period", period_label)
    if "median" in rows.columns:
        rows["value"], rows["ci_low"], rows["ci_high"] = rows["median"], np.nan, np.nan
        rows["flags"] = [",".join(filter(None, (f, "no_interval"))) for f in rows["flags"]]
    if "n_effective" not in rows.columns:
        rows["n_effective"] = rows["n"].astype("float64")
    rows["kpi"], rows["unit"] = kpi.id, kpi.unit
    return rows[_row_columns(by)]


def _row_columns(by: Sequence[str]) -> list[str]:
    return ["kpi", "period", *by, "n", "value", "ci_low", "ci_high", "unit", "flags", "n_effective"]


def _rating_columns(tables: Mapping[str, Any]) -> list[str]:
    frame = tables.get("responses")
    if frame is None:
        return []
    return [c for c in nw.from_native(frame).collect_schema().names() if c.startswith("rating_")]


def workspace_settings(workspace: Any) -> Settings:
    """:class:`Settings` from a loaded :class:`cxlib.workspace.Workspace`."""
    config = workspace.config
    sources = workspace.sources.get("responses", ())
    scales = dict(sources[0].scales) if sources else dict(Settings().scales)
    return Settings(
        timezone=workspace.timezone,
        scales=scales,
        sla=dict(config.get("service", {}).get("sla", {})),
        churn_inactive_days=int(config.get("loyalty", {}).get("churn_inactive_days", 365)),
        min_group_employees=int(
            config.get("privacy", {}).get("min_group_employees", metrics.MIN_GROUP_EMPLOYEES)
        ),
    )


def workspace_metrics(
    workspace: Any,
    *,
    by: Sequence[str] = (),
    grain: str | None = None,
    period: str = "",
    compare: str = "",
) -> pd.DataFrame:
    """Every KPI the workspace's data allows, as KPI rows: what ``cx-workbook metrics`` shows.

    Parameters
    ----------
    workspace
        A loaded workspace.
    by
        Workspace dimensions; a grain name (``month`` …) in ``by`` is taken as the grain.
        KPIs of tables without one of these dimensions are left out.
    grain
        ``week``, ``month``, ``quarter`` or ``year``.
    period, compare
        Periods as in :func:`cxlib.periods.parse_period`. With ``compare``, every row gets
        ``change`` (from ``compare`` to ``period``), ``p_value``, ``p_adjusted`` (Holm, across
        the rows of one KPI) and ``significant`` (at 0.05); times get the change only.

    Raises
    ------
    ParameterError
        For an unknown dimension (naming the workspace's dimensions) or a bad period.
    """
    from cxlib._frames import GRAINS, check_grain
    from cxlib.periods import parse_period
    from cxlib.sources import load_table
    from cxlib.workspace import require_dimension

    dims: list[str] = []
    for name in by:
        if name in GRAINS:
            if grain not in (None, name):
                raise ParameterError(f"--by {name} and --grain {grain} disagree; give one grain.")
            grain = name
        else:
            require_dimension(workspace, name)
            if name not in dims:
                dims.append(name)
    check_grain(grain)
    current = parse_period(period)
    baseline = parse_period(compare) if compare else None
    if baseline is not None and grain is not None:
        raise ParameterError("--compare compares period totals; leave out --grain.")
    settings = workspace_settings(workspace)
    tables = {name: load_table(workspace, name).frame for name in workspace.sources}
    every = list(catalogue(_rating_columns(tables)).values())
    reasons = {k.id: _left_out(k, tables, dims, settings, current, grain) for k in every}
    kpis = [k for k in every if reasons[k.id] is None]
    left_out = [{"kpi": kpi, "reason": why} for kpi, why in reasons.items() if why is not None]
    results = kpi_results(tables, kpis, by=dims, grain=grain, period=current, settings=settings)
    rows = [to_rows(k, results[k.id], by=dims, period_label=current.label or "all") for k in kpis]
    if baseline is None:
        table = _concat(rows, dims, compare=False)
        table.attrs["left_out"] = left_out
        return table
    before = kpi_results(tables, kpis, by=dims, period=baseline, settings=settings)
    compared = []
    for kpi, row in zip(kpis, rows, strict=True):
        compared.append(_with_change(row, results[kpi.id], before[kpi.id], dims))
    table = _concat(compared, dims, compare=True)
    table.attrs["left_out"] = left_out
    return table


def _left_out(
    kpi: Kpi,
    tables: Mapping[str, Any],
    by: Sequence[str],
    settings: Settings,
    period: Any,
    grain: str | None,
) -> str | None:
    """Why the workspace's data does not allow ``kpi`` (a reason id), or None when it does.

    Reasons: ``no_series_by_grain`` (loyalty KPIs), ``no_table``, ``missing_column:<name>``
    (the data do not hold the KPI), ``missing_dimension:<name>`` (its table lacks a --by
    dimension), ``needs_period`` (churn from inactivity), ``no_sla_target``.
    """
    if grain is not None and kpi.table in ("orders", "customers"):
        return "no_series_by_grain"
    if kpi.id == "churn_rate":
        customers = tables.get("customers")
        if customers is not None and {"churned", *by} <= set(_columns(customers)):
            return None
        orders = tables.get("orders")
        if orders is None:
            return "no_table"
        if period.is_all:
            return "needs_period"
        return _missing_column(set(), orders, by)
    frame = tables.get(kpi.table)
    if frame is None:
        return "no_table"
    missing = _missing_column({kpi.column}, frame, by)
    if missing:
        return missing
    if kpi.id == "sla_first_response" and "first_response_hours" not in settings.sla:
        return "no_sla_target"
    if kpi.id == "sla_resolution" and "resolution_hours" not in settings.sla:
        return "no_sla_target"
    if kpi.id in ("first_contact_resolution", "reopen_rate"):
        return _missing_column({"resolved_at"}, frame, ())
    return None


def _missing_column(needed: set[str], frame: Any, by: Sequence[str]) -> str | None:
    columns = set(_columns(frame))
    absent = sorted(needed - columns)
    if absent:
        return f"missing_column:{absent[0]}"
    dimensions = [d for d in by if d not in columns]
    return f"missing_dimension:{dimensions[0]}" if dimensions else None


def _columns(frame: Any) -> list[str]:
    return list(nw.from_native(frame).collect_schema().names())


def _with_change(
    rows: pd.DataFrame, now: pd.DataFrame, before: pd.DataFrame, by: list[str]
) -> pd.DataFrame:
    rows = rows.reset_index(drop=True)
    if "median" in now.columns:
        merged = (
            now.merge(before[[*by, "median"]], on=by, how="left", suffixes=("", "_b"))
            if by
            else now.assign(median_b=before["median"].iloc[0] if len(before) else np.nan)
        )
        rows["change"] = (merged["median"] - merged["median_b"]).to_numpy()
        rows["p_value"] = rows["p_adjusted"] = np.nan
        rows["significant"] = False
        return rows
    result = metrics.compare(now, before, on=by)
    for column in COMPARE_COLUMNS:
        rows[column] = result[column].to_numpy()
    return rows


def _concat(rows: list[pd.DataFrame], by: list[str], *, compare: bool) -> pd.DataFrame:
    columns = _row_columns(by)
    if compare:
        columns += list(COMPARE_COLUMNS)
    if not rows:
        return pd.DataFrame(columns=columns)
    return pd.concat(rows, ignore_index=True)[columns]


def render_rows(rows: pd.DataFrame, fmt: str) -> str:
    """KPI rows as an aligned ``table``, formula-safe ``csv`` or ``json`` text.

    JSON is ``{"schema_version": 1, "left_out": [...], "rows": [...]}``; missing values are
    ``null`` and ``flags`` is a list of flag ids (see :mod:`cxlib.output`).
    """
    from cxlib.output import records, render

    document = {"left_out": rows.attrs.get("left_out", [])}
    return render(records(rows, lists=("flags",)), list(rows.columns), fmt, document=document)
