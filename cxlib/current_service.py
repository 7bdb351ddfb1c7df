"""The current-state page's service part: ticket times, SLA attainment, first-contact
resolution and reopen rate (:mod:`cxlib.service`), with intervals, by month and by channel and
priority.

Times are medians and 90th percentiles with distribution-free intervals from order statistics
(:func:`cxlib.current_stats.time_intervals`); shares carry Wilson intervals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from cxlib import charts, current_charts, service, views
from cxlib.current_common import NBSP, Unavailable, interval_text, select
from cxlib.current_stats import time_intervals
from cxlib.errors import ParameterError
from cxlib.kpis import workspace_settings
from cxlib.metrics import MIN_N
from cxlib.page import Page
from cxlib.sections import trend_period

#: Ticket columns whose values break the service figures down, when the tickets have them.
BREAKDOWNS = ("channel", "priority")
_SLA_KPI = {"first_response_hours": "sla_first_response", "resolution_hours": "sla_resolution"}


def service_section(page: Page) -> None:
    """Show ticket times (median, 90th percentile), SLA attainment, first-contact resolution
    and reopen rate for the page's period and segment; the monthly first-response trend; and
    the same by channel and priority. Without tickets: a notice."""
    tr = page.tr
    page.show(views.heading(tr("service.heading")))
    if not page.has("tickets"):
        page.show(views.notice(tr("service.no_tickets")))
        return
    selection = select(page, "tickets")
    if isinstance(selection, Unavailable):
        page.show(selection.html(page))
        return
    frame = selection.frame
    if frame.empty:
        page.show(
            page.note_html(selection.notes),
            views.notice(tr("service.no_tickets_in_period"), warning=True),
        )
        return
    shares = _shares(page, frame)
    parts = [
        page.note_html(selection.notes),
        views.paragraph(tr("service.intro")),
        views.tiles(*_time_tiles(page, frame), *_share_tiles(page, frame, shares)),
    ]
    sla = page.workspace.config.get("service", {}).get("sla", {})
    if sla:
        parts.append(views.paragraph(tr("service.targets", targets=_targets_text(page, sla))))
    missing = _not_measured(page, frame, shares)
    if missing:
        parts.append(views.notice(tr("service.not_measured", names=", ".join(missing))))
    if isinstance(shares.get("sla"), Unavailable):
        parts.append(shares["sla"].html(page))
    parts += _trend(page)
    for column in BREAKDOWNS:
        if column in frame.columns and frame[column].notna().any():
            parts.append(_breakdown(page, frame, column))
    page.show(*parts)


def _time_tiles(page: Page, frame: pd.DataFrame) -> list[str]:
    tr = page.tr
    if not any(end in frame.columns for end in service.TIMES.values()):
        return []
    tz = page.workspace.timezone
    times = service.ticket_times(frame, timezone=tz)
    intervals = time_intervals(frame, timezone=tz).set_index("measure")
    as_of = page.as_of("tickets", frame)
    tiles = []
    for _, row in times.iterrows():
        label = tr(f"kpi_name.{row['measure']}")
        if row["n"] == 0:
            tiles.append(views.tile(label, "–", [tr("service.n", n=tr.number(0))]))
            continue
        bounds = intervals.loc[row["measure"]]
        details = [
            tr("service.median", interval=_interval(page, bounds, "median")),
            tr(
                "service.p90",
                value=_hours(page, row["p90"]),
                interval=_interval(page, bounds, "p90"),
            ),
            tr("service.n", n=tr.number(row["n"])),
        ]
        if row["excluded"]:
            details.append(tr("service.excluded", n=tr.number(row["excluded"])))
        if as_of is not None:
            details.append(tr("tile.as_of", date=tr.date(as_of)))
        flag = tr("service.small_n", min_n=MIN_N) if "small_n" in row["flags"] else ""
        tiles.append(views.tile(label, _hours(page, row["median"]), details, flag))
    return tiles


def _shares(page: Page, frame: pd.DataFrame, **options: Any) -> dict[str, Any]:
    """SLA attainment, first-contact resolution and reopen rate the tickets allow."""
    tz = page.workspace.timezone
    out: dict[str, Any] = {}
    targets = {
        measure: rules
        for measure, rules in workspace_settings(page.workspace).sla.items()
        if service.TIMES.get(measure) in frame.columns
    }
    if targets or "sla_met" in frame.columns:
        try:
            out["sla"] = service.sla_attainment(frame, targets, timezone=tz, **options)
        except ParameterError:
            out["sla"] = Unavailable("service.sla_not_possible")
    if {"resolved_at", "contacts"} <= set(frame.columns):
        out["fcr"] = service.first_contact_resolution(frame, timezone=tz, **options)
    if {"resolved_at", "reopened"} <= set(frame.columns):
        out["reopen"] = service.reopen_rate(frame, timezone=tz, **options)
    return out


def _share_tiles(page: Page, frame: pd.DataFrame, shares: Mapping[str, Any]) -> list[str]:
    tr = page.tr
    as_of = page.as_of("tickets", frame)
    tiles = []
    for result in shares.values():
        if isinstance(result, Unavailable):
            continue
        for _, row in result.iterrows():
            label = _share_label(page, row["measure"])
            if row["n"] == 0:
                tiles.append(views.tile(label, "–", [tr("service.n", n=tr.number(0))]))
                continue
            details = [
                tr("tile.interval", interval=_share_interval(page, row)),
                tr("service.n", n=tr.number(row["n"])),
            ]
            if as_of is not None:
                details.append(tr("tile.as_of", date=tr.date(as_of)))
            flag = tr("service.small_n", min_n=MIN_N) if "small_n" in row["flags"] else ""
            value = tr("tile.percent", value=tr.number(row["value"], digits=1))
            tiles.append(views.tile(label, value, details, flag))
    return tiles


def _share_label(page: Page, measure: str) -> str:
    """The name of a share's ``measure`` (SLA measure, first_contact_resolution, reopen_rate)."""
    if measure == "sla_met":
        return page.tr("service.sla_met")
    return page.tr(f"kpi_name.{_SLA_KPI.get(measure, measure)}")


def _not_measured(page: Page, frame: pd.DataFrame, shares: Mapping[str, Any]) -> list[str]:
    """Names of the service figures the tickets' columns do not allow."""
    tr = page.tr
    names = [
        tr(f"kpi_name.{name}") for name, end in service.TIMES.items() if end not in frame.columns
    ]
    if "sla" not in shares:
        names.append(tr("service.sla"))
    if "fcr" not in shares:
        names.append(tr("kpi_name.first_contact_resolution"))
    if "reopen" not in shares:
        names.append(tr("kpi_name.reopen_rate"))
    return names


def _targets_text(page: Page, sla: Mapping[str, Mapping[str, float]]) -> str:
    tr = page.tr
    parts = []
    for measure, rules in sla.items():
        if measure not in _SLA_KPI:
            continue
        texts = [
            _hours(page, hours)
            if rule == "default"
            else tr("service.rule", rule=rule, hours=_hours(page, hours))
            for rule, hours in rules.items()
        ]
        name = tr(f"kpi_name.{_SLA_KPI[measure]}")
        parts.append(tr("service.rule", rule=name, hours=", ".join(texts)))
    return "; ".join(parts)


def _hours(page: Page, value: float) -> str:
    return page.tr("service.hours", value=page.tr.number(value, digits=1)).replace(" ", NBSP)


def _interval(page: Page, bounds: pd.Series, stat: str) -> str:
    return interval_text(page, bounds[f"{stat}_low"], bounds[f"{stat}_high"])


def _share_interval(page: Page, row: pd.Series) -> str:
    return interval_text(page, row["ci_low"], row["ci_high"])


def _trend(page: Page) -> list[str]:
    """The monthly median first response with its interval, over the trend window."""
    tr = page.tr
    selection = select(page, "tickets", period=trend_period(page.params.period))
    if isinstance(selection, Unavailable) or "first_response_at" not in selection.frame.columns:
        return []
    frame, tz = selection.frame, page.workspace.timezone
    if frame["created_at"].isna().all():
        return []
    times = service.ticket_times(frame, grain="month", timezone=tz)
    times = times[(times["measure"] == "first_response_hours") & (times["n"] > 0)]
    intervals = time_intervals(frame, month=True, timezone=tz)
    series = times.merge(
        intervals[intervals["measure"] == "first_response_hours"][
            ["period", "median_low", "median_high"]
        ],
        on="period",
        how="left",
    ).assign(small=lambda t: t["n"] < MIN_N)
    if series.empty:
        return []
    return [
        views.heading(tr("service.trend_heading"), 3),
        charts.chart_html(current_charts.response_time_chart(series, tr)),
        views.paragraph(tr("service.trend_caption", months=tr.number(len(series)))),
    ]


def _breakdown(page: Page, frame: pd.DataFrame, column: str) -> str:
    """Times and SLA attainment per value of ``column`` (channel, priority) as a table."""
    tr = page.tr
    tz = page.workspace.timezone
    label = tr.label("dimension", column)
    data = frame.assign(**{column: frame[column].astype(object).fillna(tr("table.missing_value"))})
    has_times = any(end in data.columns for end in service.TIMES.values())
    times = service.ticket_times(data, by=[column], timezone=tz) if has_times else None
    intervals = time_intervals(data, by=[column], timezone=tz)
    sla = _shares(page, data, by=[column]).get("sla")
    groups = sorted(data[column].unique().tolist(), key=str)
    measures = [m for m, end in service.TIMES.items() if end in data.columns]
    rows = []
    for group in groups:
        cells: list[str] = [str(group), tr.number(int((data[column] == group).sum()))]
        small = False
        for measure in measures:
            assert times is not None
            row = times[(times[column] == group) & (times["measure"] == measure)]
            bounds = intervals[(intervals[column] == group) & (intervals["measure"] == measure)]
            if row.empty or bounds.empty or row["n"].iloc[0] == 0:
                cells += ["–", "–"]
                continue
            small = small or "small_n" in row["flags"].iloc[0]
            for stat in ("median", "p90"):
                cells.append(
                    tr(
                        "service.hours_interval",
                        value=_hours(page, row[stat].iloc[0]),
                        interval=_interval(page, bounds.iloc[0], stat),
                    )
                )
        if isinstance(sla, pd.DataFrame):
            for measure in dict.fromkeys(sla["measure"]):
                share = sla[(sla[column] == group) & (sla["measure"] == measure)]
                if share.empty or share["n"].iloc[0] == 0:
                    cells.append("–")
                    continue
                small = small or "small_n" in share["flags"].iloc[0]
                value = tr("tile.percent", value=tr.number(share["value"].iloc[0], digits=1))
                interval = _share_interval(page, share.iloc[0])
                cells.append(tr("service.share_interval", value=value, interval=interval))
        cells.append(tr("flag.small_n_short") if small else "")
        rows.append(cells)
    headers = [label, tr("service.tickets")]
    for measure in measures:
        headers += [tr(f"service.{measure}.median"), tr(f"service.{measure}.p90")]
    if isinstance(sla, pd.DataFrame):
        headers += [_share_label(page, m) for m in dict.fromkeys(sla["measure"])]
    headers.append(tr("table.flag"))
    if not any(row[-1] for row in rows):  # the note column only when a row has a note
        headers, rows = headers[:-1], [row[:-1] for row in rows]
    return views.heading(tr("service.by_heading", dimension=label), 3) + views.table(
        headers, rows, numeric=frozenset(range(1, len(headers)))
    )
