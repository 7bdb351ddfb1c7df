"""What every workbook notebook starts with: validated parameters, data access and display.

A notebook calls :func:`start` in the cell after its ``parameters`` cell. The returned
:class:`Page` loads each canonical table once, applies the period and segment filters (saying so
when a filter cannot apply), translates text and displays HTML.
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
import os
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
from IPython.display import HTML, display

from cxlib import charts, views
from cxlib.app import APP_ENV
from cxlib.errors import CxError, ParameterError, did_you_mean
from cxlib.i18n import LANGUAGES, Translator
from cxlib.params import REPORT_ENV, Parameters, Segment, validate_parameters
from cxlib.periods import Period
from cxlib.sources import Table, load_table
from cxlib.workspace import Workspace

_TIME_COLUMN = {
    "responses": "submitted_at",
    "tickets": "created_at",
    "orders": "ordered_at",
    "employees": "submitted_at",
    "feedback": "submitted_at",
    "customers": "started_at",
}


@dataclass(frozen=True)
class Selection:
    """Rows of a table after the period and segment filters, and notes on how they applied.

    ``notes`` are (message id, parameters) pairs for :class:`cxlib.i18n.Translator`.
    """

    frame: pd.DataFrame
    notes: tuple[tuple[str, dict[str, Any]], ...] = ()


class Page:
    """One notebook run: parameters, translator and cached tables."""

    def __init__(self, params: Parameters) -> None:
        self.params = params
        self.tr = Translator(params.language)
        #: Message id of the page title (set by :func:`start`).
        self.title = ""
        self._tables: dict[str, Table] = {}

    def with_language(self, language: str) -> Page:
        """This page in another language: the same parameters and loaded tables, new texts."""
        other = copy.copy(self)  # shares the loaded tables
        other.params = replace(self.params, language=language)
        other.tr = Translator(language)
        return other

    @property
    def workspace(self) -> Workspace:
        """The loaded workspace."""
        return self.params.workspace

    @property
    def interactive(self) -> bool:
        """True when widgets may be shown (Voila, JupyterLab)."""
        return self.params.mode == "interactive"

    def has(self, table: str) -> bool:
        """True when the workspace configures ``table``."""
        return table in self.workspace.sources

    def table(self, name: str) -> Table:
        """Load a canonical table once per page (see :func:`cxlib.sources.load_table`)."""
        if name not in self._tables:
            self._tables[name] = load_table(self.workspace, name)
        return self._tables[name]

    def select(
        self, name: str, *, period: Period | None = None, segment: Segment | bool | None = True
    ) -> Selection:
        """Rows of ``name`` in ``period`` (default: the page's) for ``segment`` (default: ditto).

        Pass ``segment=None`` for all rows. A segment value absent from the data is an error
        naming the closest value; a dimension the table lacks leaves it unfiltered, with a note.
        """
        period = self.params.period if period is None else period
        chosen = self.params.segment if segment is True else segment
        frame = self.table(name).frame
        notes: list[tuple[str, dict[str, Any]]] = []
        if isinstance(chosen, Segment):
            if chosen.dimension not in frame.columns:
                notes.append(("note.segment_not_applicable", {"segment": chosen.label}))
            else:
                values = frame[chosen.dimension].dropna().unique().tolist()
                if chosen.value not in values:
                    raise ParameterError(
                        f"segment '{chosen.label}': no {name} have {chosen.dimension} "
                        f"'{chosen.value}'.{did_you_mean(chosen.value, values)}",
                        hint=f"Values: {', '.join(sorted(map(str, values))[:12])}.",
                    )
                frame = frame[frame[chosen.dimension] == chosen.value]
        column = _TIME_COLUMN[name]
        if not period.is_all:
            if column not in frame.columns:
                notes.append(("note.period_not_applicable", {"table": name}))
            else:
                frame = frame[period.mask(frame[column], self.workspace.timezone)]
        return Selection(frame, tuple(notes))

    def maps(self, table: str, column: str) -> bool:
        """True when every source of ``table`` maps the canonical ``column``."""
        sources = self.workspace.sources.get(table, ())
        return bool(sources) and all(column in source.columns for source in sources)

    def as_of(self, name: str, rows: pd.DataFrame | None = None) -> dt.date | None:
        """The local date of the newest of ``rows`` (default: all of ``name``): "data as of"."""
        column = _TIME_COLUMN[name]
        frame = self.table(name).frame if rows is None else rows
        if column not in frame.columns or frame[column].isna().all():
            return None
        newest: pd.Timestamp = frame[column].max().tz_convert(self.workspace.timezone)
        return newest.date()

    def show(self, *parts: str) -> None:
        """Display HTML parts inside the workbook's styled container."""
        display(HTML(views.block(*parts)))

    def note_html(self, notes: tuple[tuple[str, dict[str, Any]], ...]) -> str:
        """Render selection notes as warning boxes."""
        return "".join(
            views.notice(self.tr(msgid, **params), warning=True) for msgid, params in notes
        )


#: Whether :func:`_freeze_imports` has run in this process.
_frozen = False


def _freeze_imports() -> None:
    """In a kernel, once: move every object alive now into the garbage collector's permanent
    generation (:func:`gc.freeze`).

    A page starts right after its notebook imported cxlib, pandas and Altair: hundreds of
    thousands of objects that live as long as the kernel. Every full collection would walk them
    again (about 65 ms each); frozen, they are left alone (measured in the two kernels of a demo
    report set: full collections 0.19–0.20 s each → 0.05 s). Only this first
    call freezes, before any data is loaded, so what a page leaves behind is still collected; the
    price is the few cycles of garbage the imports left, kept for the kernel's life. Outside a
    kernel (tests, scripts calling :func:`start`) nothing changes.
    """
    global _frozen
    if _frozen:
        return
    _frozen = True
    from IPython import get_ipython

    if getattr(get_ipython(), "kernel", None) is not None:
        gc.freeze()


def start(
    *,
    workspace: object,
    period: object,
    segment: object,
    language: object,
    mode: object,
    title: str,
    filters: bool = False,
) -> Page:
    """Validate a notebook's parameters, set up offline charts and show the page header.

    Parameters
    ----------
    title
        Message id of the page title (``page.overview.title`` …).
    filters
        True when the page offers its own period and segment filters in interactive mode;
        the header then leaves period and segment to them.

    Raises
    ------
    CxError
        For any invalid parameter or workspace problem (the notebook stops there).
    """
    _freeze_imports()
    try:
        params = validate_parameters(
            workspace=workspace, period=period, segment=segment, language=language, mode=mode
        )
        page = Page(params)
        _header(page, title, filters=filters)
    except CxError as error:
        if mode == "interactive":  # the app hides tracebacks: say what is wrong, then stop
            tr = Translator(language if language in LANGUAGES else "en")
            display(
                HTML(
                    views.style_html()
                    + views.block(
                        views.notice(tr("note.page_error", problem=error.one_line()), warning=True)
                    )
                )
            )
        raise
    return page


def _header(page: Page, title: str, *, filters: bool) -> None:
    page.title = title
    # the app serves the Vega bundle itself (cxlib.app) and the report template carries it
    # (cxlib.report_run); a notebook run any other way carries it once, here
    outside = os.environ.get(APP_ENV) or os.environ.get(REPORT_ENV)
    bundle = "" if outside else charts.bundle_html()
    display(HTML(views.style_html() + bundle))
    page.show(header_html(page, filters=filters))


#: Class of the header :func:`start` shows; a page that changes language hides it (see below).
HEADER_CLASS = "cx-page-header"


def header_html(page: Page, *, filters: bool = False, shown_first: bool = True) -> str:
    """The page title and its facts (workspace, period, segment, data as of, language).

    With ``filters`` in interactive mode, period and segment are left to the page's filters.
    ``shown_first`` marks the header :func:`start` shows (class :data:`HEADER_CLASS`), so that
    a page redrawn in another language can hide it and show its own.
    """
    params, tr = page.params, page.tr
    facts = [(tr("meta.workspace"), params.workspace.name)]
    if not (filters and page.interactive):
        period_text = params.period.label or tr("meta.all_data")
        segment_text = params.segment.label if params.segment else tr("meta.all_customers")
        facts += [(tr("meta.period"), period_text), (tr("meta.segment"), segment_text)]
        if page.has("responses"):
            as_of = page.as_of("responses", page.select("responses").frame)
            facts.append((tr("meta.as_of"), tr.date(as_of)))
    facts.append((tr("meta.language"), tr(f"language.{params.language}")))
    parts = [views.heading(tr(page.title), 1), views.meta(facts)]
    if tr.untranslated():
        parts.append(views.notice(tr("note.translation_missing"), warning=True))
    if not shown_first:
        return "".join(parts)
    return f'<div class="{HEADER_CLASS}">' + "".join(parts) + "</div>"
