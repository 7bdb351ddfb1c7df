"""The KPI tracking page (04): each goal's KPI against its target, actions and their effect.

Shown by :func:`kpi_tracking_section`; the numbers come from :mod:`cxlib.workshop_tracking`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np

from cxlib import charts, views, workshop_charts
from cxlib.actions import Action
from cxlib.i18n import Translator
from cxlib.metrics import MIN_N, adjust_p
from cxlib.page import Page
from cxlib.workshop_common import (
    Data,
    as_of_text,
    change_text,
    complete_until,
    interval_text,
    kpi_name,
    load_page,
    notes_html,
    settings_of,
    track_goals,
    value_text,
)
from cxlib.workshop_evidence import Content
from cxlib.workshop_tracking import (
    ALPHA,
    EFFECT_MONTHS,
    WINDOW,
    Effect,
    Tracking,
    action_effect,
)


def kpi_tracking_section(page: Page, *, today: dt.date | None = None) -> None:
    """Per goal: the KPI over time against its target, status, actions and measured effects.

    ``period`` is the reporting period: trends run up to and including it.
    """
    tr = page.tr
    page.show(views.heading(tr("steps.kpi.heading")))
    content, data = load_page(page, today)
    if content is None or data is None:
        return
    if not content.goals:
        page.show(views.notice(tr("steps.goals.none")))
        return
    page.show(
        notes_html(tr, data.notes),
        views.paragraph(
            tr(
                "steps.kpi.method",
                min_n=tr.number(MIN_N),
                months=tr.number(WINDOW["month"]),
                quarters=tr.number(WINDOW["quarter"]),
            )
        ),
    )
    trackings = track_goals(page, content, data)
    effects = _effects(page, content, data, trackings)
    adjusted = adjust_p([e.p_value for e in effects], "holm") if effects else np.array([])
    for tracking in trackings:
        mine = [
            (e, float(p))
            for e, p in zip(effects, adjusted, strict=True)
            if e.action.goal_id == tracking.goal.id
        ]
        actions = [a for a in content.actions if a.goal_id == tracking.goal.id]
        page.show(tracking_html(page, tracking, data, actions, mine))


def _effects(
    page: Page, content: Content, data: Data, trackings: Sequence[Tracking]
) -> list[Effect]:
    kpis = {t.goal.id: t.kpi for t in trackings}
    settings = settings_of(page)
    found = []
    for action in content.actions:
        if action.status != "done" or action.done_on is None or action.goal_id not in kpis:
            continue
        kpi = kpis[action.goal_id]
        until = complete_until(page, data, kpi.table if kpi else "")
        found.append(action_effect(action, kpi, data.tables, settings=settings, data_until=until))
    return found


def tracking_html(
    page: Page,
    tracking: Tracking,
    data: Data,
    actions: Sequence[Action],
    effects: Sequence[tuple[Effect, float]],
) -> str:
    """One goal's track: status line, chart with target, deadline and actions, effects table."""
    tr, goal, kpi = page.tr, tracking.goal, tracking.kpi
    name = kpi_name(tr, goal.kpi, kpi)
    parts = [views.heading(tr("steps.kpi.goal_heading", goal=goal.title, kpi=name), 3)]
    if tracking.missing is not None or kpi is None or tracking.series.empty:
        missing = tracking.missing or ("steps.missing.no_complete", {})
        return "".join([*parts, views.notice(tr(missing[0], **missing[1]), warning=True)])
    status = tr(f"workshop.goal_status.{tracking.status}")
    grain = tr(f"steps.grain.{tracking.grain}")
    current = tracking.current
    summary = tr(
        "steps.kpi.summary",
        status=status,
        grain=grain,
        current=value_text(tr, current["value"], kpi.unit) if current else "–",
        period=current["period"] if current else "–",
        n=tr.number(current["n"]) if current else "–",
        target=value_text(tr, goal.target, kpi.unit),
        deadline=tr.date(goal.deadline),
    )
    parts.append(views.notice(summary, warning=tracking.status in ("off_track", "at_risk")))
    markers = [
        workshop_charts.Marker(
            a.done_on if a.status == "done" and a.done_on else a.due,
            a.title,
            a.owner,
            a.status,
            a.status == "done",
        )
        for a in actions
        if a.status != "dropped"
    ]
    projection = tracking.projection
    ahead = None
    if projection is not None and projection.value is not None:
        assert projection.low is not None and projection.high is not None
        ahead = (projection.value, projection.low, projection.high)
    chart = workshop_charts.kpi_tracking_chart(
        tracking.series,
        kpi_label=name,
        unit=kpi.unit,
        target=goal.target,
        deadline=goal.deadline,
        projection=ahead,
        markers=markers,
        tr=tr,
    )
    as_of = as_of_text(tr, data, [kpi.table])
    caption = tr("steps.kpi.caption", grain=grain) + (f" {as_of}." if as_of else "")
    parts += [charts.chart_html(chart), views.paragraph(caption)]
    parts.append(effects_html(tr, effects, [a for a in actions if a.status != "done"]))
    return "".join(parts)


def effects_html(
    tr: Translator, effects: Sequence[tuple[Effect, float]], open_actions: Sequence[Action]
) -> str:
    """Done actions with their before/after effect and test; open actions with their due date."""
    parts = [views.heading(tr("steps.effects.heading"), 3)]
    if not effects:
        parts.append(views.paragraph(tr("steps.effects.none")))
    else:
        parts.append(views.paragraph(tr("steps.effects.intro", months=tr.number(EFFECT_MONTHS))))
        rows = [_effect_row(tr, effect, adjusted) for effect, adjusted in effects]
        headers = [
            tr("steps.action"),
            tr("steps.effects.done_on"),
            tr("steps.effects.before"),
            tr("steps.effects.after"),
            tr("steps.effects.change"),
            tr("steps.effects.test"),
            tr("steps.effects.p"),
            tr("steps.effects.significant"),
        ]
        parts.append(views.table(headers, rows, numeric=frozenset({4, 6})))
    if open_actions:
        rows = [
            (
                a.title,
                a.owner,
                tr(f"workshop.action_status.{a.status}"),
                tr.date(a.due),
            )
            for a in open_actions
        ]
        headers = [
            tr("steps.action"),
            tr("steps.owner"),
            tr("workshop.field.status"),
            tr("workshop.field.due"),
        ]
        parts += [views.heading(tr("steps.effects.open"), 3), views.table(headers, rows)]
    return "".join(parts)


def _effect_row(tr: Translator, effect: Effect, adjusted: float) -> tuple[str, ...]:
    action = effect.action
    done = tr.date(action.done_on) if action.done_on else "–"
    if (
        effect.missing is not None
        or effect.before is None
        or effect.after is None
        or effect.kpi is None
    ):
        why = tr(effect.missing[0], **effect.missing[1]) if effect.missing else "–"
        return (action.title, done, why, "", "", "", "", "")
    unit = effect.kpi.unit
    windows = []
    for window in (effect.before, effect.after):
        windows.append(
            tr(
                "steps.effects.window",
                value=value_text(tr, window.value, unit),
                interval=interval_text(tr, window.ci_low, window.ci_high, unit),
                n=tr.number(window.n),
                start=tr.date(window.start),
                end=tr.date(window.end - dt.timedelta(days=1)),
            )
        )
    significant = math.isfinite(adjusted) and adjusted < ALPHA
    verdict = tr("steps.yes") if significant else tr("steps.no")
    notes = [tr(f"steps.effects.flag.{f}") for f in effect.flags]
    if notes:
        verdict = f"{verdict} ({'; '.join(notes)})"
    p_text = tr(
        "steps.effects.p_values", p=_p_text(tr, effect.p_value), adjusted=_p_text(tr, adjusted)
    )
    return (
        action.title,
        done,
        windows[0],
        windows[1],
        change_text(tr, effect.change, unit),
        tr(f"steps.test.{effect.test}"),
        p_text,
        verdict,
    )


def _p_text(tr: Translator, p: float) -> str:
    if not math.isfinite(p):
        return "–"
    if p < 0.001:
        return tr("steps.p_below", value=tr.number(0.001, digits=3))
    return tr.number(p, digits=3)
