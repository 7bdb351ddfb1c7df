"""The current-state page's closing analyses: significant changes between periods, service
times and SLA (:mod:`cxlib.current_service`), churn, repurchase, lifetime value and RFM
segments (:mod:`cxlib.current_loyalty`), and the summary of what the data says.

Each ``*_section`` shows one part of ``02_current_state``; what it cannot show (no tickets, no
orders, a period without data, a segment the table lacks) becomes a notice and the rest of the
page renders. Results the summary shares with the sections are computed once per page
(:func:`cxlib.current_common.cached`). Every number carries its n and its interval or a "too
few" flag; the statistics are in :mod:`cxlib.current_stats`.
"""

from __future__ import annotations

import pandas as pd

from cxlib import charts, current_charts, views
from cxlib.current_common import (
    Changes,
    Unavailable,
    cached,
    change_label,
    changes_result,
    interval_text,
    kpi_value,
    marked_table,
    p_text,
    page_drivers,
    select,
    theme_tags,
    verdict,
)
from cxlib.current_loyalty import loyalty_section
from cxlib.current_service import service_section
from cxlib.current_stats import ALPHA
from cxlib.drivers import QUADRANTS, DriverResult
from cxlib.errors import CxError
from cxlib.metrics import MIN_N
from cxlib.page import Page

__all__ = ["changes_section", "loyalty_section", "service_section", "summary_section"]


def changes_section(page: Page) -> None:
    """Show significant changes between the latest period and the one before: a chart of the
    NPS changes and, per KPI, every comparison with its interval, p and Holm-adjusted p; only
    those significant after adjustment are marked."""
    tr = page.tr
    result = changes_result(page)
    if isinstance(result, Unavailable):
        page.show(views.heading(tr("changes.heading_plain")), result.html(page))
        return
    table = result.table.assign(
        label=[change_label(page, r) for _, r in result.table.iterrows()],
        verdict=[verdict(page, r) for _, r in result.table.iterrows()],
    )
    periods = {"period": result.period.label, "baseline": result.baseline.label}
    tested = int(table["p_value"].notna().sum())
    significant = int(table["significant"].sum())
    parts = [
        views.heading(tr("changes.heading", **periods)),
        page.note_html(result.notes),
        views.paragraph(
            tr(
                "changes.intro",
                **periods,
                count=tr.number(tested),
                alpha=tr.number(100 * ALPHA),
                min_n=tr.number(MIN_N),
            )
        ),
    ]
    if page.params.period.is_all:
        parts.append(views.paragraph(tr("changes.latest_quarter", **periods)))
    summary = "changes.count" if significant else "changes.none"
    parts.append(views.notice(tr(summary, count=tr.number(significant), total=tr.number(tested))))
    if "nps" in set(table["kpi"]):
        parts.append(charts.chart_html(current_charts.change_chart(_kpi(table, "nps"), tr)))
    for kpi in dict.fromkeys(table["kpi"]):
        rows = _kpi(table, kpi)
        parts += [views.heading(tr(f"metric.{kpi}"), 3), _changes_table(page, rows, result)]
    page.show(*parts)


def _kpi(table: pd.DataFrame, kpi: str) -> pd.DataFrame:
    return table[table["kpi"] == kpi].reset_index(drop=True)


def _changes_table(page: Page, rows: pd.DataFrame, result: Changes) -> str:
    tr = page.tr
    body: list[tuple[object, ...]] = []
    marked: set[int] = set()
    for i, r in rows.iterrows():
        note = tr("flag.small_n_short") if "small_n" in r["flags"] else ""
        interval = (
            interval_text(page, r["ci_low"], r["ci_high"]) if r["ci_low"] == r["ci_low"] else "–"
        )
        body.append(
            (
                r["label"],
                kpi_value(page, r["kpi"], r["value_baseline"]),
                tr.number(r["n_baseline"]),
                kpi_value(page, r["kpi"], r["value"]),
                tr.number(r["n"]),
                kpi_value(page, r["kpi"], r["change"], change=True),
                interval,
                p_text(page, r["p_value"]),
                p_text(page, r["p_adjusted"]),
                r["verdict"],
                note,
            )
        )
        if r["significant"]:
            marked.add(int(str(i)))
    headers = [
        tr("changes.group"),
        result.baseline.label,
        tr("table.n"),
        result.period.label,
        tr("table.n"),
        tr("changes.change"),
        tr("table.interval"),
        tr("changes.p"),
        tr("changes.p_adjusted"),
        tr("changes.result"),
        tr("table.flag"),
    ]
    if not any(row[-1] for row in body):  # the note column only when a row has a note
        headers, body = headers[:-1], [row[:-1] for row in body]
    return marked_table(headers, body, numeric=frozenset(range(1, 9)), marked=marked)


# -- what the data says ----------------------------------------------------------------------

#: At most this many changes, drivers and themes are named in the summary.
SUMMARY_ITEMS = 3


def summary_section(page: Page) -> None:
    """Show a few sentences on what the data says: the largest significant changes (one per
    group, by points), the fix-first drivers and the complaint themes that cost the most NPS,
    each with its n."""
    tr = page.tr
    sentences = [tr(msgid, **params) for msgid, params in summary_messages(page)]
    page.show(views.heading(tr("summary.heading")), *(views.paragraph(s) for s in sentences))


def summary_messages(page: Page) -> list[tuple[str, dict[str, str]]]:
    """The summary as (message id, parameters) pairs, numbers formatted for the page; a reason
    that two parts share (no responses) is given once."""
    messages = [*_change_messages(page), *_driver_messages(page), *_theme_messages(page)]
    return [m for i, m in enumerate(messages) if m not in messages[:i]]


def _change_messages(page: Page) -> list[tuple[str, dict[str, str]]]:
    tr = page.tr
    result = changes_result(page)
    if isinstance(result, Unavailable):
        return [(result.msgid, dict(result.params))]
    periods = {"period": result.period.label, "baseline": result.baseline.label}
    table = result.table
    found = table[table["significant"]]
    if found.empty:
        tested = int(table["p_value"].notna().sum())
        return [("summary.no_change", {**periods, "count": tr.number(tested)})]
    # one sentence per group: its largest change in points (NPS points, percentage points)
    size = found["change"].abs().sort_values(ascending=False, kind="stable")
    largest = found.loc[size.index].drop_duplicates(["dimension", "group"])
    messages = []
    for _, row in largest.head(SUMMARY_ITEMS).iterrows():
        kpi = row["kpi"]
        messages.append(
            (
                "summary.change_up" if row["change"] > 0 else "summary.change_down",
                {
                    **periods,
                    "kpi": tr(f"metric.{kpi}"),
                    "group": change_label(page, row),
                    "before": kpi_value(page, kpi, row["value_baseline"]),
                    "after": kpi_value(page, kpi, row["value"]),
                    "change": kpi_value(page, kpi, row["change"], change=True),
                    "unit": tr("summary.unit_nps" if kpi == "nps" else "summary.unit_share"),
                    "n_before": tr.number(row["n_baseline"]),
                    "n_after": tr.number(row["n"]),
                    "p": _relation(p_text(page, row["p_adjusted"])),
                },
            )
        )
    more = len(found) - min(len(largest), SUMMARY_ITEMS)
    if more:
        messages.append(("summary.more_changes", {"count": tr.number(more)}))
    return messages


def _relation(p: str) -> str:
    """``= 0.012`` or ``< 0.001``: a p-value as a comparison to write after "p"."""
    return p if p.startswith("<") else f"= {p}"


def fix_first(page: Page) -> DriverResult | Unavailable:
    """The key drivers of the page's responses, as :func:`cxlib.insights.drivers_section`
    shows them (:func:`cxlib.current_common.page_drivers`)."""
    return _drivers(page)


def _drivers(page: Page) -> DriverResult | Unavailable:
    if not page.has("responses"):
        return Unavailable("changes.no_responses")
    selection = select(page, "responses")
    if isinstance(selection, Unavailable):
        return selection
    frame = selection.frame
    if frame.empty:  # the changes say that the period has no answers
        return Unavailable("")
    ratings = [c for c in frame.columns if c.startswith("rating_")]
    scores = [c for c in ("nps", "csat", "ces", "satisfied") if c in frame.columns]
    if len(ratings) < 2 or not scores:
        return Unavailable("drivers.not_possible")
    result = page_drivers(page, frame)
    return Unavailable("summary.no_drivers") if isinstance(result, CxError) else result


def _driver_messages(page: Page) -> list[tuple[str, dict[str, str]]]:
    tr = page.tr
    result = fix_first(page)
    if isinstance(result, Unavailable):
        return [(result.msgid, dict(result.params))] if result.msgid else []
    rows = result.rows[result.rows["quadrant"] == QUADRANTS[0]]
    rows = rows.sort_values("importance_shapley", ascending=False).head(SUMMARY_ITEMS)
    params = {"outcome": tr.label("metric", result.outcome), "n": tr.number(result.n)}
    if rows.empty:
        return [("summary.no_fix_first", params)]
    names = ", ".join(tr.label("touchpoint", d.removeprefix("rating_")) for d in rows["driver"])
    return [("summary.fix_first", {**params, "names": names})]


def _theme_impact(page: Page) -> pd.DataFrame | Unavailable:
    """Complaint themes of the page's comments: NPS points each costs (or counts without an
    NPS), largest first (:func:`cxlib.themes.theme_impact`). Once per page."""
    return cached(page, "themes", lambda: _themes(page))


def _themes(page: Page) -> pd.DataFrame | Unavailable:
    from cxlib import themes

    if not page.has("responses") or not page.maps("responses", "comment"):
        return Unavailable("themes.no_comments")
    selection = select(page, "responses")
    if isinstance(selection, Unavailable):
        return selection
    frame = selection.frame
    if frame.empty:
        return Unavailable("")
    tags = theme_tags(page, frame)
    if "nps" in frame.columns:
        return themes.theme_impact(frame, tags)
    counts = tags.sum().sort_values(ascending=False, kind="stable")
    return pd.DataFrame({"theme": counts.index, "n": counts.to_numpy(int)})


def _theme_messages(page: Page) -> list[tuple[str, dict[str, str]]]:
    tr = page.tr
    impact = _theme_impact(page)
    if isinstance(impact, Unavailable):
        return []
    if "points" in impact.columns:
        top = impact[impact["points"] > 0].head(SUMMARY_ITEMS)
        items = [
            tr(
                "summary.theme_points",
                theme=tr.label("theme", r["theme"]),
                points=tr.number(r["points"], digits=1),
                n=tr.number(r["n"]),
            )
            for _, r in top.iterrows()
        ]
        msgid = "summary.themes"
    else:
        top = impact[impact["n"] > 0].head(SUMMARY_ITEMS)
        items = [
            tr("summary.theme_count", theme=tr.label("theme", r["theme"]), n=tr.number(r["n"]))
            for _, r in top.iterrows()
        ]
        msgid = "summary.themes_counts"
    if not items:
        return [("summary.no_themes", {})]
    return [(msgid, {"items": "; ".join(items)})]
