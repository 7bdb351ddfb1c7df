"""Shared parts of the current-state sections: a per-page cache, reasons a part cannot be
shown, selections that survive a segment a table lacks, the period-over-period changes (shared
by :mod:`cxlib.current_state` and its summary) and their formatting.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from cxlib import views
from cxlib.current_stats import latest_complete_quarter, previous_period, survey_changes
from cxlib.errors import CxError, ParameterError
from cxlib.metrics import Metric
from cxlib.page import Page, Selection
from cxlib.periods import Period

if TYPE_CHECKING:
    from cxlib.drivers import DriverResult

T = TypeVar("T")
_CACHE: weakref.WeakKeyDictionary[Page, dict[str, Any]] = weakref.WeakKeyDictionary()


def cached(page: Page, key: str, compute: Callable[[], T]) -> T:
    """``compute()`` once per page and key (a page's sections and summary share results)."""
    store = _CACHE.setdefault(page, {})
    if key not in store:
        store[key] = compute()
    result: T = store[key]
    return result


#: Bootstrap resamples for the drivers' intervals on a page (the CLI's default is 200).
DRIVER_RESAMPLES = 100


def page_drivers(page: Page, frame: pd.DataFrame) -> DriverResult | CxError:
    """Key drivers of the page's responses (``frame``: its responses selection, with at least
    two ratings and an outcome score), with bootstrap intervals, once per page: the drivers
    section and the summary show the same result. A :class:`CxError` is returned, not raised,
    so each part says it in its own way."""
    from cxlib.drivers import choose_missing, default_outcome, key_drivers

    def compute() -> DriverResult | CxError:
        ratings = [c for c in frame.columns if c.startswith("rating_")]
        scores = [c for c in ("nps", "csat", "ces", "satisfied") if c in frame.columns]
        outcome = default_outcome(scores)
        missing = choose_missing(frame, outcome, ratings)
        try:
            return key_drivers(
                frame,
                outcome=outcome,
                drivers=ratings,
                missing=missing,
                resamples=DRIVER_RESAMPLES,
                seed=0,
            )
        except CxError as error:
            return error

    return cached(page, "drivers", compute)


def theme_tags(page: Page, frame: pd.DataFrame) -> pd.DataFrame:
    """Themes of the page's responses (``frame``: ``page.select("responses").frame``), tagged
    once per page (:func:`cxlib.themes.tag_themes`) for the themes section and the summary."""
    from cxlib import themes

    return cached(
        page,
        "theme_tags",
        lambda: themes.tag_themes(
            frame,
            default_language=page.workspace.language,
            taxonomies=themes.workspace_taxonomies(page.workspace),
        ),
    )


@dataclass(frozen=True)
class Unavailable:
    """Why a part cannot be shown: a message id and its parameters; ``""`` when another part
    of the page already says why (e.g. a period without answers)."""

    msgid: str
    params: tuple[tuple[str, str], ...] = ()

    def html(self, page: Page, *, warning: bool = True) -> str:
        """The reason as a notice in the page's language (nothing for ``""``)."""
        if not self.msgid:
            return ""
        return views.notice(page.tr(self.msgid, **dict(self.params)), warning=warning)


def select(page: Page, name: str, **options: Any) -> Selection | Unavailable:
    """:meth:`Page.select`, or the reason it failed (a segment value the table lacks)."""
    try:
        return page.select(name, **options)
    except ParameterError:
        segment = page.params.segment
        label = segment.label if segment is not None else ""
        return Unavailable(
            "current_state.segment_absent",
            (("table", page.tr(f"table_name.{name}")), ("segment", label)),
        )


# -- significant changes ---------------------------------------------------------------------


@dataclass(frozen=True)
class Changes:
    """Survey KPIs of a period against the one before (:func:`survey_changes` rows)."""

    period: Period
    baseline: Period
    table: pd.DataFrame
    notes: tuple[tuple[str, dict[str, Any]], ...]


def survey_metrics(page: Page) -> dict[str, Metric]:
    """NPS, CSAT (top two points) and CES (agreeing) of the columns the responses map."""
    sources = page.workspace.sources.get("responses", ())
    scales = sources[0].scales if sources else {}
    metrics: dict[str, Metric] = {}
    if page.maps("responses", "nps"):
        metrics["nps"] = Metric("nps", "nps")
    if page.maps("responses", "csat"):
        metrics["csat"] = Metric("share", "csat", at_least=scales.get("csat", (1, 5))[1] - 1)
    if page.maps("responses", "ces"):
        low, high = scales.get("ces", (1, 7))
        metrics["ces"] = Metric("share", "ces", at_least=max(low, high - 2))
    return metrics


def changes_result(page: Page) -> Changes | Unavailable:
    """The page's period (or, for all data, the latest complete quarter) against the period
    before, for NPS, CSAT and CES overall and by each workspace dimension; once per page."""
    return cached(page, "changes", lambda: _changes(page))


def _changes(page: Page) -> Changes | Unavailable:
    if not page.has("responses"):
        return Unavailable("changes.no_responses")
    metrics = survey_metrics(page)
    if not metrics:
        return Unavailable("changes.no_scores")
    everything = select(page, "responses", period=Period(""))
    if isinstance(everything, Unavailable):
        return everything
    newest = page.as_of("responses", everything.frame)
    if newest is None:
        return Unavailable("note.no_dates")
    period = page.params.period
    if period.is_all:
        period = latest_complete_quarter(newest)
    baseline = previous_period(period)
    current = select(page, "responses", period=period)
    before = select(page, "responses", period=baseline)
    if isinstance(current, Unavailable):
        return current
    if isinstance(before, Unavailable):
        return before
    names = (("period", period.label), ("baseline", baseline.label))
    if current.frame.empty:
        return Unavailable("changes.no_data", names)
    if before.frame.empty:
        return Unavailable("changes.no_baseline", names)
    dimensions = [d for d in page.workspace.dimensions if d in current.frame.columns]
    table = survey_changes(current.frame, before.frame, metrics, dimensions=dimensions)
    return Changes(period, baseline, table, current.notes)


def change_label(page: Page, row: pd.Series) -> str:
    """``Region: Hamburg`` (the group of a change row); overall rows: the page's segment or
    ``All customers``."""
    tr = page.tr
    if not row["dimension"]:
        segment = page.params.segment
        if segment is None:
            return tr("meta.all_customers")
        dimension = tr.label("dimension", segment.dimension)
        return tr("changes.group_label", dimension=dimension, value=segment.value)
    value = row["group"]
    shown = tr("table.missing_value") if value is None or value != value else str(value)
    return tr("changes.group_label", dimension=tr.label("dimension", row["dimension"]), value=shown)


def verdict(page: Page, row: pd.Series) -> str:
    """Significant increase / decrease, no significant change, or no test possible."""
    if row["significant"]:
        return page.tr("changes.up" if row["change"] > 0 else "changes.down")
    if row["p_value"] != row["p_value"]:
        return page.tr("changes.no_test")
    return page.tr("changes.not_significant")


#: Keeps a number, its unit and an interval on one line in a table cell.
NBSP = "\u00a0"


def interval_text(page: Page, low: float, high: float, *, digits: int = 1) -> str:
    """``5.7 … 7.0`` that does not break across lines."""
    tr = page.tr
    return f"{tr.number(low, digits=digits)}{NBSP}…{NBSP}{tr.number(high, digits=digits)}"


def kpi_value(page: Page, kpi: str, value: float, *, change: bool = False) -> str:
    """An NPS (``+22.4``) or a share (``62.3 %``); a change in points, signed."""
    tr = page.tr
    if value == value:
        value = round(value, 1) or 0.0  # no "-0.0"
    if change or kpi == "nps":
        return tr.number(value, digits=1, signed=True)
    return tr("tile.percent", value=tr.number(value, digits=1))


def p_text(page: Page, p: float) -> str:
    """A p-value with three decimals, ``< 0.001`` below that; ``–`` when there is none."""
    tr = page.tr
    if p != p:
        return "–"
    if p < 0.001:
        return tr("changes.p_below", p=tr.number(0.001, digits=3)).replace(" ", NBSP)
    return tr.number(p, digits=3)


def marked_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    numeric: frozenset[int] = frozenset(),
    marked: set[int] | frozenset[int] = frozenset(),
) -> str:
    """:func:`cxlib.views.table` whose ``marked`` rows are bold (class ``cx-marked``)."""
    head = "".join(f"<th>{views.esc(h)}</th>" for h in headers)
    lines = []
    for index, row in enumerate(rows):
        cells = []
        for i, value in enumerate(row):
            text = views.esc(value)
            text = f"<strong>{text}</strong>" if index in marked and text else text
            cells.append(f'<td class="num">{text}</td>' if i in numeric else f"<td>{text}</td>")
        attribute = ' class="cx-marked"' if index in marked else ""
        lines.append(f"<tr{attribute}>" + "".join(cells) + "</tr>")
    return (
        f'<table class="cx-table"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(lines)}</tbody></table>"
    )
