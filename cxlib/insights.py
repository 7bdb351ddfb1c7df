"""The current-state page's analysis sections: what drives the experience.

Key drivers (:mod:`cxlib.drivers`) of the survey's outcome by touchpoint rating, shown as an
importance–performance chart and table; every figure with its n and interval.
"""

from __future__ import annotations

from cxlib import charts, views
from cxlib.current_common import page_drivers, theme_tags
from cxlib.drivers import QUADRANTS
from cxlib.errors import CxError
from cxlib.page import Page


def drivers_section(page: Page) -> None:
    """Show the key drivers of the main survey outcome: quadrant chart, table, method notes."""
    tr = page.tr
    page.show(views.heading(tr("drivers.heading")))
    if not page.has("responses"):
        page.show(views.notice(tr("note.no_responses"), warning=True))
        return
    selection = page.select("responses")
    frame = selection.frame
    ratings = [c for c in frame.columns if c.startswith("rating_")]
    scores = [c for c in ("nps", "csat", "ces", "satisfied") if c in frame.columns]
    if len(ratings) < 2 or not scores:
        page.show(views.notice(tr("drivers.not_possible")))
        return
    result = page_drivers(page, frame)
    if isinstance(result, CxError):
        page.show(views.notice(tr("drivers.failed", problem=result.one_line()), warning=True))
        return
    rows = result.rows.assign(
        label=[tr.label("touchpoint", d.removeprefix("rating_")) for d in result.rows["driver"]]
    )
    share = 100 / result.r2 if result.r2 > 0 else 0.0
    table_rows = [
        (
            r["label"],
            tr.number(r["importance_shapley"] * share, digits=1),
            f"{tr.number(r['importance_shapley_ci_low'] * share, digits=1)} … "
            f"{tr.number(r['importance_shapley_ci_high'] * share, digits=1)}",
            tr.number(r["importance_relative_weight"] * share, digits=1),
            tr.number(r["performance"], digits=2),
            tr.number(r["n"]),
            tr(f"quadrant.{r['quadrant']}"),
        )
        for _, r in rows.sort_values("importance_shapley", ascending=False).iterrows()
    ]
    headers = [
        tr("journey.touchpoint"),
        tr("drivers.shapley"),
        tr("table.interval"),
        tr("drivers.relative_weight"),
        tr("drivers.performance"),
        tr("table.n"),
        tr("drivers.quadrant"),
    ]
    notes = [tr(f"drivers.flag.{flag}") for flag in result.flags]
    fix_first = [r["label"] for _, r in rows.iterrows() if r["quadrant"] == QUADRANTS[0]]
    page.show(
        page.note_html(selection.notes),
        views.paragraph(
            tr(
                "drivers.intro",
                outcome=tr.label("metric", result.outcome),
                r2=tr.number(100 * result.r2, digits=1),
                n=tr.number(result.n),
                method=tr(f"drivers.{result.missing}"),
            )
        ),
        charts.chart_html(charts.quadrant_chart(rows, tr)),
        views.table(headers, table_rows, numeric=frozenset({1, 3, 4, 5})),
        views.notice(tr("drivers.fix_first", names=", ".join(fix_first) or "–")),
        *(views.notice(note, warning=True) for note in notes),
    )


#: Themes shown over time and with example comments.
TOP_THEMES = 5
EXAMPLES = 3


def themes_section(page: Page) -> None:
    """Show complaint themes: what each costs in NPS, how often they come up, example comments.

    Comments are tagged in their own language (the ``language`` column, else the workspace's);
    example comments come from detractors and are redacted (:mod:`cxlib.privacy`).
    """
    from cxlib import themes

    tr = page.tr
    page.show(views.heading(tr("themes.heading")))
    if not page.has("responses") or not page.maps("responses", "comment"):
        page.show(views.notice(tr("themes.no_comments")))
        return
    selection = page.select("responses")
    frame = selection.frame
    tags = theme_tags(page, frame)

    def label(theme: str) -> str:
        return tr.label("theme", theme)

    parts = [page.note_html(selection.notes)]
    if "nps" in frame.columns:
        impact = themes.theme_impact(frame, tags).head(10)
        impact = impact.assign(label=[label(t) for t in impact["theme"]])
        parts += [
            views.paragraph(tr("themes.impact_intro")),
            charts.chart_html(charts.theme_impact_chart(impact, tr)),
        ]
        top = impact["theme"].head(TOP_THEMES).tolist()
    else:
        counts = tags.sum().sort_values(ascending=False)
        top = counts.index[:TOP_THEMES].tolist()
    if "submitted_at" in frame.columns:
        frequency = themes.theme_frequency(
            frame, tags, grain="month", timezone=page.workspace.timezone
        )
        frequency = frequency[frequency["theme"].isin(top)]
        frequency = frequency.assign(label=[label(t) for t in frequency["theme"]])
        parts.append(charts.chart_html(charts.themes_over_time_chart(frequency, tr)))
    detractors = "nps" in frame.columns
    unhappy = frame[frame["nps"] <= 6] if detractors else frame
    heading = "themes.examples" if detractors else "themes.examples_all"
    for theme in top[:EXAMPLES]:
        examples = themes.example_verbatims(unhappy, tags.loc[unhappy.index], theme, k=EXAMPLES)
        if len(examples):
            parts += [
                views.heading(tr(heading, theme=label(theme)), 3),
                views.quotes(examples["text"].tolist()),
            ]
    parts.append(views.notice(tr("themes.privacy")))
    page.show(*parts)
