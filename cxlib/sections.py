"""The sections of the workbook notebooks: each function shows one part of a page.

Notebooks stay thin: after :func:`cxlib.page.start` they call these functions. Every number shown
carries its n, its interval or a "too few answers" flag, and the page's "data as of" date.
"""

from __future__ import annotations

import pandas as pd

from cxlib import charts, views
from cxlib.metrics import nps
from cxlib.page import Page
from cxlib.params import Segment
from cxlib.periods import Period

TREND_MONTHS = 12


def overview_html(page: Page, period: Period, segment: Segment | None) -> str:
    """The overview's NPS tile and monthly trend for one period and segment, as HTML."""
    tr = page.tr
    if not page.has("responses"):
        return views.notice(tr("note.no_responses"), warning=True)
    selection = page.select("responses", period=period, segment=segment)
    total = nps(selection.frame).iloc[0]
    trend_window = trend_period(period)
    trend = nps(
        page.select("responses", period=trend_window, segment=segment).frame,
        grain="month",
        timezone=page.workspace.timezone,
    )
    parts = [page.note_html(selection.notes), views.tiles(nps_tile(page, total))]
    if len(trend):
        parts.append(charts.chart_html(charts.nps_trend_chart(trend, tr)))
        parts.append(views.paragraph(tr("overview.trend_caption", months=len(trend))))
    else:
        parts.append(views.notice(tr("note.no_dates"), warning=True))
    return "".join(parts)


def nps_tile(page: Page, row: pd.Series) -> str:
    """A tile with NPS, its interval, n, the data-as-of date and a small-n flag."""
    tr = page.tr
    n = int(row["n"])
    if n == 0:
        return views.tile(
            tr("metric.nps"), "–", [tr("tile.n", n=tr.number(0))], tr("flag.no_answers")
        )
    value, interval = nps_cells(page, row)
    details = [
        tr("tile.interval", interval=interval),
        tr("tile.n", n=tr.number(n)),
        tr("tile.as_of", date=tr.date(page.as_of("responses"))),
    ]
    flag = tr("flag.small_n", min_n=30) if "small_n" in row["flags"] else ""
    return views.tile(tr("metric.nps"), value, details, flag)


def nps_cells(page: Page, row: pd.Series) -> tuple[str, str]:
    """NPS and its interval as table cells, one decimal (``+22.4``, ``19.8 … 25.0``)."""
    tr = page.tr
    interval = f"{tr.number(row['ci_low'], digits=1)} … {tr.number(row['ci_high'], digits=1)}"
    return tr.number(row["value"], digits=1, signed=True), interval


def trend_period(period: Period) -> Period:
    """The window a trend shows: the 12 months up to the period's end, or all data."""
    if period.is_all or period.end is None:
        return period
    start = (pd.Timestamp(period.end) - pd.DateOffset(months=TREND_MONTHS)).date()
    return Period(period.label, min(start, period.start or start), period.end)


def overview(page: Page) -> None:
    """Show the overview: the NPS tile and trend, with filters in interactive mode."""
    page.show(views.heading(page.tr("overview.nps_heading")))
    if page.interactive and page.has("responses"):
        from cxlib.widgets import overview_filters

        overview_filters(page, overview_html)
    else:
        page.show(overview_html(page, page.params.period, page.params.segment))
    page.show(views.notice(page.tr("overview.next")))


def nps_by_dimension(page: Page) -> None:
    """Show NPS with intervals for each workspace dimension present in the responses."""
    tr = page.tr
    page.show(views.heading(tr("current.nps_by_heading")))
    if not page.has("responses"):
        page.show(views.notice(tr("note.no_responses"), warning=True))
        return
    selection = page.select("responses")
    page.show(page.note_html(selection.notes))
    dimensions = [d for d in page.workspace.dimensions if d in selection.frame.columns]
    for dimension in dimensions:
        results = nps(selection.frame, by=[dimension]).sort_values("value", ascending=False)
        rows = [
            (
                r[dimension],
                *nps_cells(page, r),
                tr.number(r["n"]),
                tr("flag.small_n_short") if "small_n" in r["flags"] else "",
            )
            for _, r in results.iterrows()
        ]
        page.show(
            views.heading(tr.label("dimension", dimension), 3),
            charts.chart_html(charts.nps_by_chart(results, dimension, tr)),
            views.table(
                [
                    tr.label("dimension", dimension),
                    tr("metric.nps"),
                    tr("table.interval"),
                    tr("table.n"),
                    tr("table.flag"),
                ],
                rows,
                numeric=frozenset({1, 3}),
            ),
        )


def data_quality(page: Page) -> None:
    """Show, per configured source file, rows read, kept, dropped and coerced."""
    tr = page.tr
    page.show(
        views.heading(tr("current.sources_heading")), views.paragraph(tr("current.sources_intro"))
    )
    rows = []
    for name in page.workspace.sources:
        for report in page.table(name).reports:
            dropped = "; ".join(
                tr(
                    "quality.reason",
                    reason=reason,
                    count=tr.number(count),
                    lines=", ".join(map(str, lines)),
                )
                for reason, (count, lines) in report.dropped.items()
            )
            flagged = "; ".join(
                tr(
                    "quality.reason",
                    reason=reason,
                    count=tr.number(count),
                    lines=", ".join(map(str, lines)),
                )
                for reason, (count, lines) in report.warnings.items()
            )
            coerced = "; ".join(f"{k}: {tr.number(v)}" for k, v in report.coerced.items())
            rows.append(
                (
                    tr(f"table_name.{name}"),
                    report.path.name,
                    tr.number(report.rows_read),
                    tr.number(report.rows_kept),
                    dropped or "–",
                    flagged or "–",
                    coerced or "–",
                )
            )
    headers = [
        tr("quality.table"),
        tr("quality.file"),
        tr("quality.read"),
        tr("quality.kept"),
        tr("quality.dropped"),
        tr("quality.flagged"),
        tr("quality.coerced"),
    ]
    page.show(views.table(headers, rows, numeric=frozenset({2, 3})))


def strategy(page: Page) -> None:
    """Show mission, vision, values and departments from workspace.yaml."""
    tr, ws = page.tr, page.workspace
    parts = [views.heading(tr("goals.strategy_heading"))]
    for label, text in ((tr("goals.mission"), ws.mission), (tr("goals.vision"), ws.vision)):
        parts += [views.heading(label, 3), views.paragraph(text or tr("goals.not_set"))]
    parts += [
        views.heading(tr("goals.values"), 3),
        views.chips(ws.values) if ws.values else views.paragraph(tr("goals.not_set")),
    ]
    parts += [
        views.heading(tr("goals.departments"), 3),
        views.chips(ws.departments) if ws.departments else views.paragraph(tr("goals.not_set")),
    ]
    page.show(*parts)


def touchpoints(page: Page) -> None:
    """Show the touchpoints that have ratings in the data: answers, not applicable, mean."""
    tr = page.tr
    page.show(views.heading(tr("journey.touchpoints_heading")))
    if not page.has("responses"):
        page.show(views.notice(tr("note.no_responses"), warning=True))
        return
    selection = page.select("responses")
    columns = [c for c in selection.frame.columns if c.startswith("rating_")]
    if not columns:
        page.show(views.notice(tr("journey.no_ratings")))
        return
    rows = []
    for column in columns:
        values = selection.frame[column].dropna().astype(float)
        n = len(values)
        mean = values.mean() if n else None
        half = 1.96 * values.std(ddof=1) / n**0.5 if n > 1 else None
        interval = (
            f"{tr.number(mean - half, digits=2)} … {tr.number(mean + half, digits=2)}"
            if (mean is not None and half is not None)
            else "–"
        )
        flag = tr("flag.small_n_short") if n < 30 else ""
        rows.append(
            (
                column.removeprefix("rating_").replace("_", " "),
                tr.number(n),
                tr.number(mean, digits=2),
                interval,
                flag,
            )
        )
    page.show(
        page.note_html(selection.notes),
        views.paragraph(tr("journey.touchpoints_intro")),
        views.table(
            [
                tr("journey.touchpoint"),
                tr("table.n"),
                tr("journey.mean"),
                tr("table.interval"),
                tr("table.flag"),
            ],
            rows,
            numeric=frozenset({1, 2}),
        ),
    )


def nps_by_month(page: Page) -> None:
    """Show the monthly NPS series (with intervals and n) that KPI tracking will build on."""
    tr = page.tr
    page.show(views.heading(tr("kpi.nps_series_heading")))
    if not page.has("responses"):
        page.show(views.notice(tr("note.no_responses"), warning=True))
        return
    selection = page.select("responses", period=trend_period(page.params.period))
    series = nps(selection.frame, grain="month", timezone=page.workspace.timezone)
    if not len(series):
        page.show(views.notice(tr("note.no_dates"), warning=True))
        return
    rows = [
        (
            r["period"],
            *nps_cells(page, r),
            tr.number(r["n"]),
            tr("flag.small_n_short") if "small_n" in r["flags"] else "",
        )
        for _, r in series.iterrows()
    ]
    page.show(
        page.note_html(selection.notes),
        charts.chart_html(charts.nps_trend_chart(series, tr)),
        views.table(
            [
                tr("chart.month"),
                tr("metric.nps"),
                tr("table.interval"),
                tr("table.n"),
                tr("table.flag"),
            ],
            rows,
            numeric=frozenset({1, 3}),
        ),
    )


def next_steps(page: Page, msgid: str) -> None:
    """Say plainly what this page will show in a coming version."""
    page.show(views.heading(page.tr("next.heading")), views.notice(page.tr(msgid)))
