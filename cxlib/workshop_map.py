"""The journey map page (03): the map, belief beside evidence, pain points, departments.

Shown by :func:`journey_map_section`; the numbers come from :mod:`cxlib.workshop_evidence`.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from cxlib import charts, views, workshop_charts
from cxlib.i18n import Translator
from cxlib.journey import Journey
from cxlib.metrics import MIN_N
from cxlib.page import Page
from cxlib.workshop_common import (
    Data,
    as_of_text,
    interval_text,
    kpi_name,
    load_content,
    load_data,
    notes_html,
    settings_of,
    signed,
    value_text,
)
from cxlib.workshop_evidence import (
    Content,
    department_view,
    largest_gaps,
    map_rows,
    measure_touchpoints,
    rank_pain_points,
)


def journey_map_section(page: Page, *, today: dt.date | None = None) -> None:
    """Show every journey of the workbook as a map, beside what the data says.

    Per journey: the map chart (phases, stages, touchpoints by channel, owners, pain points,
    moments of truth), the emotion the workshop believes beside each linked touchpoint's
    measured satisfaction over the page's period and segment (with n and interval), the
    largest gaps called out, the pain points ranked; then one department view.
    """
    tr = page.tr
    page.show(views.heading(tr("steps.map.heading")))
    content, problems = load_content(page, today)
    if content is None:
        page.show(notes_html(tr, problems))
        return
    if not content.journeys:
        page.show(views.notice(tr("steps.map.no_journey")))
        return
    data = load_data(page, period=page.params.period)
    page.show(notes_html(tr, data.notes))
    measured_all = []
    for journey in content.journeys:
        rows = map_rows(content, journey.id)
        measured = measured_rows(page, rows, data) if len(rows) else rows
        page.show(journey_html(page, journey, measured, data))
        if page.interactive and not measured.empty:  # no widgets in reports
            from cxlib.widgets import poster_download

            poster_download(page, journey.id, journey.name)
        measured_all.append(measured)
    page.show(department_html(page, content, pd.concat(measured_all, ignore_index=True)))


def measured_rows(page: Page, rows: pd.DataFrame, data: Data) -> pd.DataFrame:
    """A journey's map rows with what the page's data measures for each touchpoint."""
    source = page.workspace.sources.get("responses", ())
    scale = source[0].rating_scale if source else (1, 5)
    return measure_touchpoints(
        rows, data.tables, data.catalogue(), settings=settings_of(page), rating_scale=scale
    )


def journey_html(page: Page, journey: Journey, measured: pd.DataFrame, data: Data) -> str:
    """One journey: heading, persona, map chart, emotion chart, measurements, gaps, pain points.

    ``measured`` is :func:`cxlib.workshop_evidence.measure_touchpoints` of its map rows.
    """
    tr = page.tr
    parts = [views.heading(journey.name, 3)]
    facts = [
        (tr("workshop.field.persona"), journey.persona),
        (tr("workshop.field.scenario"), journey.scenario),
    ]
    parts.append(views.meta([(label, text) for label, text in facts if text]))
    if measured.empty:
        return "".join([*parts, views.notice(tr("steps.map.no_touchpoints"))])
    parts += [
        charts.chart_html(workshop_charts.journey_map_chart(measured, tr)),
        views.paragraph(tr("steps.map.legend")),
        views.heading(tr("steps.emotion_heading"), 3),
        views.paragraph(tr("steps.emotion_intro", min_n=tr.number(MIN_N))),
        charts.chart_html(workshop_charts.emotion_chart(measured, tr)),
    ]
    as_of = as_of_text(tr, data, ["responses"])
    period = page.params.period.label or tr("meta.all_data")
    parts.append(
        views.paragraph(tr("steps.measured_over", period=period) + (f" {as_of}." if as_of else ""))
    )
    parts.append(_measure_table(tr, measured, data))
    parts.append(gaps_html(tr, measured))
    parts.append(views.heading(tr("steps.pain.heading"), 3))
    parts.append(views.paragraph(tr("steps.pain.rule")))
    parts.append(pain_table(tr, rank_pain_points(measured)))
    return "".join(parts)


def _measure_table(tr: Translator, measured: pd.DataFrame, data: Data) -> str:
    catalogue = data.catalogue()
    rows = []
    for _, r in measured.iterrows():
        unit = str(r["unit"])
        measure = kpi_name(tr, r["measure"], catalogue.get(r["measure"])) if r["measure"] else "–"
        rows.append(
            (
                r["touchpoint"],
                measure,
                tr.number(r["n"]),
                value_text(tr, r["value"], unit),
                interval_text(tr, r["ci_low"], r["ci_high"], unit),
                signed(tr, r["emotion"], 0),
                signed(tr, r["mapped"], 2),
                signed(tr, r["gap"], 2),
                tr(f"steps.state.{r['state']}"),
            )
        )
    headers = [
        tr("journey.touchpoint"),
        tr("workshop.field.measure"),
        tr("table.n"),
        tr("table.value"),
        tr("table.interval"),
        tr("steps.believed"),
        tr("steps.measured"),
        tr("steps.gap"),
        tr("table.flag"),
    ]
    return views.table(headers, rows, numeric=frozenset({2, 3, 5, 6, 7}))


def gaps_html(tr: Translator, measured: pd.DataFrame) -> str:
    """The largest gaps in words; touchpoints with too few answers named, never compared."""
    gaps = largest_gaps(measured)
    parts = [views.heading(tr("steps.gaps.heading"), 3)]
    if gaps.empty:
        parts.append(views.paragraph(tr("steps.gaps.none")))
    for _, r in gaps.iterrows():
        msgid = "steps.gaps.optimistic" if r["gap"] > 0 else "steps.gaps.pessimistic"
        parts.append(
            views.notice(
                tr(
                    msgid,
                    touchpoint=r["touchpoint"],
                    believed=signed(tr, r["emotion"], 0),
                    measured=tr.number(r["mapped"], digits=2, signed=True),
                    value=value_text(tr, r["value"], str(r["unit"])),
                    n=tr.number(r["n"]),
                    owner=r["owner"],
                )
            )
        )
    few = measured[measured["state"] == "small_n"]
    if len(few):
        names = ", ".join(
            f"{t} (n = {tr.number(n)})" for t, n in zip(few["touchpoint"], few["n"], strict=True)
        )
        parts.append(
            views.notice(
                tr("steps.gaps.too_few", names=names, min_n=tr.number(MIN_N)), warning=True
            )
        )
    return "".join(parts)


def pain_table(tr: Translator, ranked: pd.DataFrame, *, top: int | None = None) -> str:
    """Ranked pain points: rank, pain point, touchpoint, stage, owner, moment of truth, measured."""
    if ranked.empty:
        return views.paragraph(tr("steps.pain.none"))
    shown = ranked if top is None else ranked.head(top)
    rows = [
        (
            tr.number(r["rank"]),
            r["pain_point"],
            r["touchpoint"],
            r["stage"],
            r["owner"],
            tr("steps.yes") if r["moment_of_truth"] else tr("steps.no"),
            _measured_text(tr, r),
        )
        for _, r in shown.iterrows()
    ]
    headers = [
        tr("steps.rank"),
        tr("steps.pain.pain_point"),
        tr("journey.touchpoint"),
        tr("steps.map.lane_stage"),
        tr("steps.owner"),
        tr("workshop.field.moment_of_truth"),
        tr("steps.measured_raw"),
    ]
    return views.table(headers, rows, numeric=frozenset({0}))


def _measured_text(tr: Translator, row: pd.Series) -> str:
    state = str(row["state"])
    if state in ("measured", "small_n"):
        text = tr(
            "steps.pain.measured",
            value=value_text(tr, row["value"], str(row["unit"])),
            n=tr.number(row["n"]),
        )
        return text + (f" ({tr('flag.small_n_short')})" if state == "small_n" else "")
    return tr(f"steps.state.{state}")


def department_html(page: Page, content: Content, rows: pd.DataFrame) -> str:
    """Per department: its touchpoints, pain points, goals and actions (overdue counted)."""
    tr = page.tr
    departments = department_view(content, rows, departments=page.workspace.departments)
    parts = [
        views.heading(tr("steps.departments.heading")),
        views.paragraph(tr("steps.departments.intro")),
    ]
    if not departments:
        return "".join([*parts, views.paragraph(tr("steps.departments.none"))])
    table_rows = []
    for d in departments:
        actions = "; ".join(
            f"{a.title} ({tr(f'workshop.action_status.{a.status}')})" for a in d.actions
        )
        table_rows.append(
            (
                d.name,
                "; ".join(d.touchpoints) or "–",
                "; ".join(d.pain_points) or "–",
                "; ".join(d.goals) or "–",
                actions or "–",
                tr.number(d.overdue) if d.overdue else "–",
            )
        )
    headers = [
        tr("steps.departments.department"),
        tr("steps.departments.touchpoints"),
        tr("workshop.field.pain_points"),
        tr("steps.departments.goals"),
        tr("steps.actions"),
        tr("steps.overdue"),
    ]
    return "".join([*parts, views.table(headers, table_rows, numeric=frozenset({5}))])


def measured_pain_points(page: Page, content: Content, data: Data) -> pd.DataFrame:
    """Every journey's pain points ranked together (the overview's top pain points)."""
    frames = []
    for journey in content.journeys:
        rows = map_rows(content, journey.id)
        if len(rows):
            frames.append(measured_rows(page, rows, data))
    if not frames:
        return pd.DataFrame(columns=["rank", "pain_point", "touchpoint", "owner", "state"])
    every = pd.concat(frames, ignore_index=True)
    every["order"] = range(len(every))
    return rank_pain_points(every)
