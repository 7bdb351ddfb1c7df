"""The workshop steps' sections: goals (01), journey map (03), KPI tracking (04), overview parts.

The strategy loop goal → analysis → action → measured effect, shown from what workshops entered
(:mod:`cxlib.workbook`) and the data: :func:`goals_section`, :func:`journey_map_section`
(:mod:`cxlib.workshop_map`), :func:`kpi_tracking_section` and :func:`overview_workshop_html`.
Every number carries its n and interval (or a "too few answers" flag); missing data becomes a
notice and the rest of the page still renders. Text from workshops is escaped by
:mod:`cxlib.views` and drawn as data by :mod:`cxlib.workshop_charts`.
"""

from __future__ import annotations

import datetime as dt

from cxlib import views
from cxlib.actions import overdue
from cxlib.i18n import Translator
from cxlib.metrics import MIN_N
from cxlib.page import Page
from cxlib.workshop_common import (
    Data,
    as_of_text,
    change_text,
    interval_text,
    kpi_name,
    load_content,
    load_data,
    load_page,
    notes_html,
    reporting_end,
    track_goals,
    value_text,
)
from cxlib.workshop_kpi import kpi_tracking_section
from cxlib.workshop_map import journey_map_section, measured_pain_points, pain_table
from cxlib.workshop_tracking import Tracking

__all__ = [
    "goals_section",
    "journey_map_section",
    "kpi_tracking_section",
    "overview_workshop_html",
    "track_goals",
]

#: The progress shown is capped to this range (a share of the way from baseline to target).
PROGRESS_SHOWN = (0.0, 1.0)
TOP_PAIN_POINTS = 3


# --- 01 goals ---------------------------------------------------------------------------------


def goals_section(page: Page, *, today: dt.date | None = None) -> None:
    """Show each goal: KPI, baseline, target, deadline, owner, SMART check, current, progress.

    The current value is the KPI in the latest complete month or quarter (the grain chosen by
    :func:`cxlib.workshop_tracking.choose_grain`) up to the page's period, for its segment;
    progress is the share of the way from baseline to target, with the projection's status.
    """
    tr = page.tr
    page.show(views.heading(tr("steps.goals.heading")))
    content, data = load_page(page, today)
    if content is None or data is None:
        return
    if not content.goals:
        page.show(views.notice(tr("steps.goals.none")))
        return
    page.show(
        notes_html(tr, data.notes), views.paragraph(tr("steps.goals.intro", min_n=tr.number(MIN_N)))
    )
    stages = {s.id: s.name for s in content.stages}
    for tracking in track_goals(page, content, data):
        page.show(goal_html(page, tracking, data, stages))


def goal_html(page: Page, tracking: Tracking, data: Data, stages: dict[str, str]) -> str:
    """One goal: its facts, the current value and progress tiles, the SMART check."""
    tr, goal, kpi = page.tr, tracking.goal, tracking.kpi
    unit = kpi.unit if kpi else ""
    aligned = goal.aligned_with
    if aligned in ("mission", "vision"):
        aligned = tr(f"workshop.aligned_with.{aligned}")
    baseline = "–"
    if goal.baseline is not None:
        baseline = tr(
            "steps.goals.baseline",
            value=value_text(tr, goal.baseline, unit),
            n=tr.number(goal.baseline_n) if goal.baseline_n is not None else "–",
        )
    facts = [
        (tr("workshop.field.kpi"), kpi_name(tr, goal.kpi, kpi)),
        (tr("workshop.field.baseline"), baseline),
        (tr("workshop.field.target"), value_text(tr, goal.target, unit)),
        (tr("workshop.field.deadline"), tr.date(goal.deadline)),
        (tr("steps.owner"), goal.owner),
        (tr("workshop.field.aligned_with"), aligned or "–"),
        (tr("workshop.field.stages"), ", ".join(stages.get(s, s) for s in goal.stages) or "–"),
    ]
    parts = [views.heading(goal.title, 3), views.meta(facts)]
    if goal.description:
        parts.append(views.paragraph(goal.description))
    if tracking.missing is not None:
        parts.append(views.notice(tr(tracking.missing[0], **tracking.missing[1]), warning=True))
    else:
        parts.append(views.tiles(current_tile(page, tracking, data), progress_tile(tr, tracking)))
    parts.append(smart_html(tr, tracking))
    return "".join(parts)


def current_tile(page: Page, tracking: Tracking, data: Data) -> str:
    """The KPI in the latest complete period: value, interval, n, period, data as of."""
    tr, kpi, row = page.tr, tracking.kpi, tracking.current
    label = tr("steps.goals.current")
    if kpi is None or row is None:
        return views.tile(label, "–", [], tr("flag.no_answers"))
    details = [
        tr("steps.goals.in_period", period=row["period"]),
        tr("tile.interval", interval=interval_text(tr, row["ci_low"], row["ci_high"], kpi.unit)),
        tr("tile.n", n=tr.number(row["n"])),
    ]
    as_of = as_of_text(tr, data, [kpi.table])
    if as_of:
        details.append(as_of)
    flag = tr("flag.small_n", min_n=MIN_N) if "small_n" in str(row["flags"]) else ""
    return views.tile(label, value_text(tr, row["value"], kpi.unit), details, flag)


def progress_tile(tr: Translator, tracking: Tracking) -> str:
    """Progress from baseline to target (shown capped to 0–100 %) and the projected status."""
    status = tr(f"workshop.goal_status.{tracking.status}")
    details = [tr("steps.status", status=status)]
    projection = tracking.projection
    unit = tracking.kpi.unit if tracking.kpi else ""
    if projection is not None and projection.value is not None:
        details.append(
            tr(
                "steps.projection",
                value=value_text(tr, projection.value, unit),
                interval=interval_text(tr, projection.low, projection.high, unit),
                points=tr.number(projection.n_points),
            )
        )
    if tracking.progress is None:
        return views.tile(tr("steps.goals.progress"), "–", details, tr("steps.goals.no_baseline"))
    low, high = PROGRESS_SHOWN
    shown = min(max(tracking.progress, low), high)
    flag = ""
    if tracking.progress < low:
        flag = tr("steps.goals.backwards")
    elif tracking.progress > high:
        flag = tr("steps.goals.beyond")
    value = tr("tile.percent", value=tr.number(100 * shown))
    return views.tile(tr("steps.goals.progress"), value, details, flag)


def smart_html(tr: Translator, tracking: Tracking) -> str:
    """The SMART check: each criterion met or not, and why not."""
    rows = []
    for item in tracking.smart:
        why = ""
        if item.problem is not None:
            params = {k: _shown(tr, v) for k, v in item.problem.values.items()}
            why = tr(item.problem.msgid, **params)
        rows.append((tr(f"workshop.smart.{item.criterion}"), "✓" if item.ok else "✗", why))
    met = sum(1 for item in tracking.smart if item.ok)
    heading = tr("steps.smart.heading", met=met, total=len(tracking.smart))
    variation = tracking.variation
    unit = tracking.kpi.unit if tracking.kpi else ""
    note = tr(
        "steps.smart.variation",
        variation=change_text(tr, variation, unit).lstrip("+") if variation is not None else "–",
    )
    headers = [tr("steps.smart.criterion"), tr("steps.smart.met"), tr("steps.smart.why")]
    return views.heading(heading, 3) + views.table(headers, rows) + views.paragraph(note)


def _shown(tr: Translator, value: object) -> object:
    if isinstance(value, dt.date):
        return tr.date(value)
    if isinstance(value, float):
        return tr.number(value, digits=2)
    return value


# --- 00 overview ------------------------------------------------------------------------------


def overview_workshop_html(page: Page, *, today: dt.date | None = None) -> str:
    """The overview's workshop part as HTML: goal status, top pain points, overdue actions.

    Goal status: goal, KPI, current value (latest complete period, with n), target, status.
    Top pain points: the first :data:`TOP_PAIN_POINTS` of the journey map's ranking, with their
    owner. Overdue actions: not done or dropped, due before today (owner, due date).
    """
    tr = page.tr
    parts = [views.heading(tr("steps.overview.heading"))]
    content, problems = load_content(page, today)
    if content is None:
        return "".join([*parts, notes_html(tr, problems)])
    data = load_data(page, period=None, until=reporting_end(page))
    parts.append(notes_html(tr, data.notes))
    parts.append(views.heading(tr("steps.overview.goals"), 3))
    if content.goals:
        rows = []
        for t in track_goals(page, content, data):
            unit = t.kpi.unit if t.kpi else ""
            current = "–"
            if t.current is not None:
                current = tr(
                    "steps.overview.current",
                    value=value_text(tr, t.current["value"], unit),
                    period=t.current["period"],
                    n=tr.number(t.current["n"]),
                )
            status = (
                tr(t.missing[0], **t.missing[1])
                if t.missing
                else tr(f"workshop.goal_status.{t.status}")
            )
            rows.append(
                (
                    t.goal.title,
                    kpi_name(tr, t.goal.kpi, t.kpi),
                    current,
                    value_text(tr, t.goal.target, unit),
                    status,
                )
            )
        headers = [
            tr("steps.overview.goal"),
            tr("workshop.field.kpi"),
            tr("steps.goals.current"),
            tr("workshop.field.target"),
            tr("steps.overview.status"),
        ]
        parts.append(views.table(headers, rows))
        as_of = as_of_text(tr, data, sorted(data.as_of))
        if as_of:
            parts.append(views.paragraph(as_of))
    else:
        parts.append(views.paragraph(tr("steps.goals.none")))
    parts.append(views.heading(tr("steps.overview.pain_points"), 3))
    period_data = load_data(page, period=page.params.period)
    ranked = measured_pain_points(page, content, period_data)
    parts.append(pain_table(tr, ranked, top=TOP_PAIN_POINTS))
    parts.append(views.heading(tr("steps.overview.overdue"), 3))
    late = overdue(content.actions, content.today)
    if late:
        late_rows = [(a.title, a.owner, tr.date(a.due)) for a in late]
        headers = [tr("steps.action"), tr("steps.owner"), tr("workshop.field.due")]
        parts.append(views.table(headers, late_rows))
    else:
        parts.append(views.paragraph(tr("steps.overview.none_overdue")))
    return "".join(parts)
