"""What the workshop sections share: the workbook's content, filtered tables, number formats.

Loading never stops a page: a workbook or a table that cannot be read becomes a notice
(message id and parameters) and the section shows what it can.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cxlib import views
from cxlib.errors import CxError
from cxlib.i18n import Translator
from cxlib.kpis import Kpi, Settings, catalogue, workspace_settings
from cxlib.page import Page
from cxlib.periods import Period
from cxlib.workshop_evidence import Content, read_content
from cxlib.workshop_tracking import TIME_COLUMN, Tracking, track_goal

Note = tuple[str, dict[str, Any]]


@dataclass
class Data:
    """The page's tables for the workshop sections, and notes on what is missing.

    Attributes
    ----------
    tables
        Canonical table name → rows after the segment filter (and the period, see
        :func:`load_data`).
    notes
        Notices to show (segment or period not applicable, a table that failed to load …).
    as_of
        Table name → local date of its newest row (all rows: the data's "as of").
    """

    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    as_of: dict[str, dt.date] = field(default_factory=dict)

    def catalogue(self) -> dict[str, Kpi]:
        """The KPI catalogue with the rating columns of these responses."""
        frame = self.tables.get("responses")
        ratings = [c for c in frame.columns if c.startswith("rating_")] if frame is not None else []
        return catalogue(ratings)


def load_data(page: Page, *, period: Period | None, until: dt.date | None = None) -> Data:
    """Load every table the KPIs may use, filtered to the page's segment.

    Parameters
    ----------
    period
        Filter rows to this period (the journey map: the page's period); None for no period.
    until
        Keep only rows before this local day (KPI tracking: the reporting period's end).
    """
    data = Data()
    for name in TIME_COLUMN:
        if not page.has(name):
            continue
        try:
            table = page.table(name).frame
            selection = page.select(name, period=period or Period(""))
        except CxError as error:
            data.notes.append(("steps.missing.load", {"table": name, "problem": error.one_line()}))
            continue
        frame = selection.frame
        column = TIME_COLUMN[name]
        if until is not None and column in frame.columns:
            bound = Period("until", dt.date(1900, 1, 1), until)
            frame = frame[bound.mask(frame[column], page.workspace.timezone)]
        for note in selection.notes:
            if note not in data.notes:
                data.notes.append(note)
        data.tables[name] = frame
        newest = page.as_of(name, table)
        if newest is not None:
            data.as_of[name] = newest
    return data


def load_content(page: Page, today: dt.date | None) -> tuple[Content | None, list[Note]]:
    """The workbook's content, or None and a notice when the workbook cannot be read."""
    try:
        return read_content(page.workspace, today=today), []
    except CxError as error:
        return None, [("steps.missing.workbook", {"problem": error.one_line()})]


def settings_of(page: Page) -> Settings:
    """The KPI settings of the page's workspace."""
    return workspace_settings(page.workspace)


def notes_html(tr: Translator, notes: Iterable[Note]) -> str:
    """Notes as warning boxes, each once."""
    return "".join(
        views.notice(tr(msgid, **params), warning=True) for msgid, params in _unique(notes)
    )


def _unique(notes: Iterable[Note]) -> list[Note]:
    seen: list[Note] = []
    for note in notes:
        if note not in seen:
            seen.append(note)
    return seen


def kpi_name(tr: Translator, kpi_id: str, kpi: Kpi | None) -> str:
    """A KPI's readable name; a touchpoint rating names its touchpoint."""
    if kpi is None:
        return kpi_id
    if kpi.id.startswith("rating_"):
        return tr("steps.kpi_rating", name=tr.label("touchpoint", kpi.id.removeprefix("rating_")))
    return tr(kpi.label)


def value_text(tr: Translator, value: float | None, unit: str) -> str:
    """A KPI value in its unit: ``+30.9`` (NPS), ``62.3 %``, ``5.8 h``, ``3.67`` (scale)."""
    if value is None or not math.isfinite(value):
        return "–"
    if unit == "nps":
        return tr.number(value, digits=1, signed=True)
    if unit == "percent":
        return tr("tile.percent", value=tr.number(value, digits=1))
    if unit == "hours":
        return tr("steps.hours", value=tr.number(value, digits=1))
    return tr.number(value, digits=2)


def signed(tr: Translator, value: float | None, digits: int) -> str:
    """A number with its sign (``+1``, ``-0.79``); zero without one; ``–`` when missing."""
    if value is None or not math.isfinite(value):
        return "–"
    if round(float(value), digits) == 0:
        return tr.number(0, digits=digits)
    return tr.number(value, digits=digits, signed=True)


def change_text(tr: Translator, value: float | None, unit: str) -> str:
    """A change in a KPI's unit, always signed (``+2.4``, ``-15.0 h``)."""
    if value is None or not math.isfinite(value):
        return "–"
    digits = 2 if unit == "score" else 1
    number = tr.number(value, digits=digits, signed=True)
    if unit == "hours":
        return tr("steps.hours", value=number)
    if unit == "percent":
        return tr("steps.points", value=number)
    return number


def interval_text(tr: Translator, low: float | None, high: float | None, unit: str) -> str:
    """``low … high`` in the unit's digits; ``–`` when there is no interval."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    digits = 2 if unit == "score" else 1
    return f"{tr.number(low, digits=digits)} … {tr.number(high, digits=digits)}"


def as_of_text(tr: Translator, data: Data, tables: Iterable[str]) -> str:
    """ "Data as of …" of the named tables (their newest date), or ``""`` without dates."""
    days = [data.as_of[t] for t in tables if t in data.as_of]
    return tr("tile.as_of", date=tr.date(max(days))) if days else ""


def reporting_end(page: Page) -> dt.date | None:
    """The reporting period's end (trends up to and including it); None for all data."""
    return page.params.period.end


def track_goals(page: Page, content: Content, data: Data) -> list[Tracking]:
    """Track every goal on the page's data (segment-filtered, cut at the reporting period).

    A period is complete when it ends by the day after the newest data of the KPI's table and
    by the reporting period's end.
    """
    from cxlib.workbook import rules_for

    rules = rules_for(page.workspace, today=content.today)
    catalogue = {**rules.kpis, **data.catalogue()}
    settings = settings_of(page)
    result = []
    for goal in content.goals:
        kpi = catalogue.get(goal.kpi)
        until = complete_until(page, data, kpi.table if kpi else "")
        result.append(
            track_goal(
                goal,
                data.tables,
                catalogue=catalogue,
                settings=settings,
                rules=rules,
                complete_until=until,
            )
        )
    return result


def complete_until(page: Page, data: Data, table: str) -> dt.date | None:
    """The day by which a period of ``table`` must end to be complete (None: no bound)."""
    days = [d for d in (reporting_end(page),) if d is not None]
    if table in data.as_of:
        days.append(data.as_of[table] + dt.timedelta(days=1))
    return min(days) if days else None


def load_page(page: Page, today: dt.date | None) -> tuple[Content | None, Data | None]:
    """The workbook's content and the page's data cut at the reporting end (notice if none)."""
    content, problems = load_content(page, today)
    if content is None:
        page.show(notes_html(page.tr, problems))
        return None, None
    return content, load_data(page, period=None, until=reporting_end(page))
