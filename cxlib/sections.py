"""The sections of the workbook notebooks: each function shows one part of a page.

Notebooks stay thin: after :func:`cxlib.page.start` they call these functions. Every number shown
carries its n, its interval or a "too few answers" flag, and a "data as of" date.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlib import charts, views
from cxlib.metrics import MIN_N, Metric, compute, nps, rating_means
from cxlib.page import HEADER_CLASS, Page, header_html
from cxlib.params import Segment
from cxlib.periods import Period
from cxlib.quality import Problem
from cxlib.workshop_sections import overview_workshop_html

if TYPE_CHECKING:
    from cxlib.cube import Cube

TREND_MONTHS = 12


def overview(page: Page) -> None:
    """Show the overview: tiles and trend (with filters in interactive mode), then goal status,
    the top pain points and overdue actions (:func:`workshop_sections.overview_workshop_html`).

    Interactive, the responses are aggregated once (:func:`overview_cube`) and every filter or
    language change redraws from those sums alone.
    """
    if page.interactive and not _nps_unavailable(page):
        from cxlib.widgets import overview_filters

        cube = overview_cube(page)
        workshop: dict[str, str] = {}  # per language: it does not depend on the filters

        def render(shown: Page, period: Period, segment: Segment | None) -> str:
            language = shown.params.language
            if language not in workshop:
                workshop[language] = overview_workshop_html(shown)
            return overview_body_html(shown, period, segment, cube=cube) + workshop[language]

        def header(shown: Page) -> str:
            if shown.params.language == page.params.language:
                return ""  # the header start() showed is in this language
            # the app's top bar comes from the Voila template, in the workspace's language: its
            # link to the steps takes the chosen language's words through CSS (no script)
            home = _css_string(shown.tr("app.home"))
            hide = (
                f"<style>.{HEADER_CLASS} {{ display: none; }}"
                ".cx-app-home { font-size: 0; }"
                f".cx-app-home::after {{ content: {home}; font-size: 0.95rem; }}</style>"
            )
            return hide + views.block(header_html(shown, filters=True, shown_first=False))

        overview_filters(page, render, cube=cube, header=header)
        return
    page.show(views.heading(page.tr("overview.nps_heading")))
    if _nps_missing(page):
        return
    page.show(overview_html(page, page.params.period, page.params.segment))
    page.show(overview_workshop_html(page))


def _css_string(text: str) -> str:
    """``text`` as a double-quoted CSS string that cannot end its ``<style>`` element."""
    return json.dumps(text, ensure_ascii=False).replace("<", "\\3c ")


def overview_cube(page: Page) -> Cube:
    """The responses' NPS, CSAT and CES sums per month and dimension value (one scan)."""
    from cxlib.cube import build_cube

    frame = page.table("responses").frame
    specs = {"nps": Metric("nps", "nps"), **_survey_specs(page)}
    dimensions = [d for d in page.workspace.dimensions if d in frame.columns]
    return build_cube(frame, specs, dimensions=dimensions, timezone=page.workspace.timezone)


def overview_body_html(
    page: Page, period: Period, segment: Segment | None, *, cube: Cube | None = None
) -> str:
    """What the overview's filters redraw: heading, tiles and trend."""
    return views.heading(page.tr("overview.nps_heading")) + overview_html(
        page, period, segment, cube=cube
    )


def overview_html(
    page: Page, period: Period, segment: Segment | None, *, cube: Cube | None = None
) -> str:
    """The overview's NPS tile and monthly trend for one period and segment, as HTML.

    With ``cube`` (:func:`overview_cube`) every figure comes from its sums — the same numbers
    as from the rows, which are then not touched; without, from the filtered rows.
    """
    tr = page.tr
    if cube is None:
        selection = page.select("responses", period=period, segment=segment)
        total = nps(selection.frame).iloc[0]
        trend = nps(
            page.select("responses", period=trend_period(period), segment=segment).frame,
            grain="month",
            timezone=page.workspace.timezone,
        )
        shares = _survey_shares(page, selection.frame, grain=None)
        notes = selection.notes
        as_of = page.as_of("responses", selection.frame)
    else:
        notes, period, segment = _cube_filters(page, cube, period, segment)
        results = cube.compute(period=period, segment=segment)
        total = results.pop("nps").iloc[0]
        shares = results
        trend = cube.compute(period=trend_period(period), segment=segment, grain="month")["nps"]
        latest = cube.latest(period=period, segment=segment)
        as_of = None if latest is None else latest.tz_convert(page.workspace.timezone).date()
    tiles = [_tile(page, "metric.nps", total, as_of, nps_cells)]
    for key, row in shares.items():
        tiles.append(_tile(page, f"metric.{key}", row.iloc[0], as_of, share_cells))
    parts = [page.note_html(notes), views.tiles(*tiles)]
    if len(trend):
        parts.append(charts.chart_html(charts.nps_trend_chart(trend, tr)))
        parts.append(views.paragraph(tr("overview.trend_caption", months=len(trend))))
    else:
        parts.append(views.notice(tr("note.no_dates"), warning=True))
    return "".join(parts)


def _cube_filters(
    page: Page, cube: Cube, period: Period, segment: Segment | None
) -> tuple[tuple[tuple[str, dict[str, Any]], ...], Period, Segment | None]:
    """Filters a cube can apply, with the notes :meth:`Page.select` would give for the rest."""
    notes: list[tuple[str, dict[str, Any]]] = []
    if segment is not None and segment.dimension not in cube.dimensions:
        notes.append(("note.segment_not_applicable", {"segment": segment.label}))
        segment = None
    if not period.is_all and not cube.dated:
        notes.append(("note.period_not_applicable", {"table": "responses"}))
        period = Period("")
    return tuple(notes), period, segment


def nps_tile(page: Page, row: pd.Series, rows: pd.DataFrame) -> str:
    """A tile with NPS, its interval, n, the data-as-of date of ``rows`` and a small-n flag."""
    return _tile(page, "metric.nps", row, page.as_of("responses", rows), nps_cells)


def share_tile(page: Page, label: str, row: pd.Series, rows: pd.DataFrame) -> str:
    """A tile with a share in percent (CSAT, CES), its Wilson interval, n, as-of and flags."""
    return _tile(page, label, row, page.as_of("responses", rows), share_cells)


def _tile(
    page: Page,
    label: str,
    row: pd.Series,
    as_of: dt.date | None,
    cells: Callable[[Page, pd.Series], tuple[str, str]],
) -> str:
    tr = page.tr
    if int(row["n"]) == 0:
        return views.tile(tr(label), "–", [tr("tile.n", n=tr.number(0))], tr("flag.no_answers"))
    value, interval = cells(page, row)
    details = [tr("tile.interval", interval=interval), _n_text(page, row)]
    if as_of is not None:
        details.append(tr("tile.as_of", date=tr.date(as_of)))
    flag = tr("flag.small_n", min_n=MIN_N) if "small_n" in row["flags"] else ""
    return views.tile(tr(label), value, details, flag)


def share_cells(page: Page, row: pd.Series, *, unit: str = "percent") -> tuple[str, str]:
    """A share (``62.3 %``) or a mean (``5.38``) and its interval as table cells."""
    tr = page.tr
    digits = 1 if unit == "percent" else 2
    low, high = tr.number(row["ci_low"], digits=digits), tr.number(row["ci_high"], digits=digits)
    value = tr.number(row["value"], digits=digits)
    if unit == "percent":
        return tr("tile.percent", value=value), f"{low} … {high}"
    return value, f"{low} … {high}"


def _survey_shares(
    page: Page, frame: pd.DataFrame, *, grain: str | None, with_mean: bool = False
) -> dict[str, pd.DataFrame]:
    """CSAT (top two points) and CES (agreeing) of the mapped columns, in one pass."""
    specs = _survey_specs(page, with_mean=with_mean)
    if not specs:
        return {}
    return compute(frame, specs, grain=grain, timezone=page.workspace.timezone)


def _survey_specs(page: Page, *, with_mean: bool = False) -> dict[str, Metric]:
    """The CSAT and CES metrics of the mapped columns (top two points; agreeing; the mean)."""
    scales = page.workspace.sources["responses"][0].scales
    specs: dict[str, Metric] = {}
    if page.maps("responses", "csat"):
        specs["csat"] = Metric("share", "csat", at_least=scales.get("csat", (1, 5))[1] - 1)
    if page.maps("responses", "ces"):
        low, high = scales.get("ces", (1, 7))
        specs["ces"] = Metric("share", "ces", at_least=max(low, high - 2))
        if with_mean:
            specs["ces_mean"] = Metric("mean", "ces")
    return specs


def _n_text(page: Page, row: pd.Series) -> str:
    """ "n = 626 answers", plus the effective n when survey weights make it smaller (Kish)."""
    tr, n = page.tr, int(row["n"])
    effective = row.get("n_effective")
    if effective is not None and effective == effective and round(float(effective)) < n:
        return tr("tile.n_effective", n=tr.number(n), effective=tr.number(float(effective)))
    return tr("tile.n", n=tr.number(n))


def nps_cells(page: Page, row: pd.Series) -> tuple[str, str]:
    """NPS and its interval as table cells, one decimal (``+22.4``, ``19.8 … 25.0``)."""
    tr = page.tr
    interval = f"{tr.number(row['ci_low'], digits=1)} … {tr.number(row['ci_high'], digits=1)}"
    return tr.number(row["value"], digits=1, signed=True), interval


def trend_period(period: Period) -> Period:
    """The window a trend shows: whole months, the 12 up to the period's end, or all data."""
    if period.is_all or period.end is None:
        return period
    end = pd.Timestamp(period.end)
    last_month = (end - pd.Timedelta(days=1)).replace(day=1)
    start = (last_month - pd.DateOffset(months=TREND_MONTHS - 1)).date()
    return Period(period.label, min(start, period.start or start), period.end)


def nps_by_dimension(page: Page) -> None:
    """Show NPS with intervals for each workspace dimension present in the responses."""
    tr = page.tr
    page.show(views.heading(tr("current.nps_by_heading")))
    if _nps_missing(page):
        return
    selection = page.select("responses")
    page.show(page.note_html(selection.notes))
    for dimension in [d for d in page.workspace.dimensions if d in selection.frame.columns]:
        frame = selection.frame.assign(
            **{dimension: selection.frame[dimension].fillna(tr("table.missing_value"))}
        )
        results = nps(frame, by=[dimension]).sort_values("value", ascending=False)
        label = tr.label("dimension", dimension)
        page.show(
            views.heading(label, 3),
            charts.chart_html(charts.nps_by_chart(results, dimension, tr)),
            _nps_table(page, label, results, dimension),
        )


def nps_by_month(page: Page) -> None:
    """Show the monthly NPS series (with intervals and n) that KPI tracking will build on."""
    tr = page.tr
    page.show(views.heading(tr("kpi.nps_series_heading")))
    if _nps_missing(page):
        return
    selection = page.select("responses", period=trend_period(page.params.period))
    series = nps(selection.frame, grain="month", timezone=page.workspace.timezone)
    if not len(series):
        page.show(views.notice(tr("note.no_dates"), warning=True))
        return
    page.show(
        page.note_html(selection.notes),
        charts.chart_html(charts.nps_trend_chart(series, tr)),
        _nps_table(page, tr("chart.month"), series, "period"),
    )
    kpis = _survey_shares(page, selection.frame, grain="month", with_mean=True)
    if kpis:
        page.show(
            views.heading(tr("kpi.series_heading")),
            views.paragraph(tr("kpi.series_intro", min_n=tr.number(MIN_N))),
            _kpi_table(page, kpis),
        )


def _kpi_table(page: Page, kpis: dict[str, pd.DataFrame]) -> str:
    """Survey KPIs by month: one row per KPI and month with value, interval, n and flag."""
    tr = page.tr
    rows = []
    for key, result in kpis.items():
        unit = "score" if key == "ces_mean" else "percent"
        for _, r in result.iterrows():
            value, interval = share_cells(page, r, unit=unit)
            flag = _flag_text(page, r["flags"])
            rows.append(
                (tr(f"kpi_name.{key}"), r["period"], value, interval, _n_cell(page, r), flag)
            )
    headers = [
        tr("table.kpi"),
        tr("chart.month"),
        tr("table.value"),
        tr("table.interval"),
        tr("table.n"),
        tr("table.flag"),
    ]
    return views.table(headers, rows, numeric=frozenset({2, 4}))


def _nps_table(page: Page, label: str, results: pd.DataFrame, key: str) -> str:
    tr = page.tr
    rows = [
        (r[key], *nps_cells(page, r), _n_cell(page, r), _flag_text(page, r["flags"]))
        for _, r in results.iterrows()
    ]
    headers = [label, tr("metric.nps"), tr("table.interval"), tr("table.n"), tr("table.flag")]
    return views.table(headers, rows, numeric=frozenset({1, 3}))


def _n_cell(page: Page, row: pd.Series) -> str:
    """The answers of a table row; with survey weights also the effective n the flag uses."""
    tr, n = page.tr, int(row["n"])
    effective = row.get("n_effective")
    if effective is not None and effective == effective and round(float(effective)) < n:
        return tr("table.n_effective", n=tr.number(n), effective=tr.number(float(effective)))
    return tr.number(n)


def _flag_text(page: Page, flags: str) -> str:
    return page.tr("flag.small_n_short") if "small_n" in flags else ""


def _nps_missing(page: Page) -> bool:
    """Show why no NPS can be computed, if so, and say whether that is the case."""
    msgid = _nps_unavailable(page)
    if msgid:
        page.show(views.notice(page.tr(msgid), warning=True))
    return bool(msgid)


def _nps_unavailable(page: Page) -> str:
    """The message id saying why no NPS can be computed, or ``""`` when it can."""
    if not page.has("responses"):
        return "note.no_responses"
    if not page.maps("responses", "nps"):
        return "note.no_nps"
    return ""


def data_quality(page: Page) -> None:
    """Show, per configured source file, rows read, kept, dropped, flagged and values changed."""
    tr = page.tr
    page.show(
        views.heading(tr("current.sources_heading")), views.paragraph(tr("current.sources_intro"))
    )

    def listed(problems: dict[Problem, tuple[int, list[int]]]) -> str:
        return (
            "; ".join(
                tr(
                    "quality.reason",
                    reason=problem.text(tr),
                    count=tr.number(count),
                    lines=", ".join(map(str, lines)),
                )
                for problem, (count, lines) in problems.items()
            )
            or "–"
        )

    rows = []
    for name in page.workspace.sources:
        for report in page.table(name).reports:
            coerced = "; ".join(f"{p.text(tr)}: {tr.number(c)}" for p, c in report.coerced.items())
            rows.append(
                (
                    tr(f"table_name.{name}"),
                    report.path.name,
                    tr.number(report.rows_read),
                    tr.number(report.rows_kept),
                    listed(report.dropped),
                    listed(report.warnings),
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
    for label, items in (
        (tr("goals.values"), ws.values),
        (tr("goals.departments"), ws.departments),
    ):
        parts += [
            views.heading(label, 3),
            views.chips(items) if items else views.paragraph(tr("goals.not_set")),
        ]
    page.show(*parts)


def touchpoints(page: Page) -> None:
    """Show the touchpoints rated in the survey: answers, mean rating and its interval."""
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
    means = rating_means(selection.frame, columns)
    rows = [
        (
            tr.label("touchpoint", r["rating"].removeprefix("rating_")),
            tr.number(r["n"]),
            tr.number(r["value"], digits=2),
            f"{tr.number(r['ci_low'], digits=2)} … {tr.number(r['ci_high'], digits=2)}",
            _flag_text(page, r["flags"]),
        )
        for _, r in means.iterrows()
    ]
    headers = [
        tr("journey.touchpoint"),
        tr("table.n"),
        tr("journey.mean"),
        tr("table.interval"),
        tr("table.flag"),
    ]
    page.show(
        page.note_html(selection.notes),
        views.paragraph(tr("journey.touchpoints_intro")),
        views.table(headers, rows, numeric=frozenset({1, 2})),
    )
