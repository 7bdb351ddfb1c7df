"""ipywidgets controls of the interactive workbook (JupyterLab and the Voila app).

Widgets only collect input and call the library. A browser can send any value to the kernel, so
every value is checked again in Python before it is used; a value that is not one of the offered
options is refused and the page says so.
"""

from __future__ import annotations

from collections.abc import Callable

import ipywidgets as w
from IPython.display import HTML, display

from cxlib import views
from cxlib.errors import CxError
from cxlib.page import Page
from cxlib.params import Segment, parse_segment
from cxlib.periods import Period, parse_period


def period_options(page: Page) -> list[tuple[str, str]]:
    """Offered periods: all data, then each year, quarter and month present, newest first."""
    frame = page.table("responses").frame
    options = [(page.tr("meta.all_data"), "")]
    if "submitted_at" not in frame.columns or frame["submitted_at"].isna().all():
        return options
    local = frame["submitted_at"].dropna().dt.tz_convert(page.workspace.timezone)
    years = sorted({str(y) for y in local.dt.year}, reverse=True)
    quarters = sorted(
        {f"{y}-Q{q}" for y, q in zip(local.dt.year, local.dt.quarter, strict=True)}, reverse=True
    )
    months = sorted(set(local.dt.strftime("%Y-%m")), reverse=True)
    return options + [(label, label) for label in (*years, *quarters, *months)]


def segment_options(page: Page) -> list[tuple[str, str]]:
    """Offered segments: all customers, then ``dimension=value`` for each dimension's values."""
    frame = page.table("responses").frame
    options = [(page.tr("meta.all_customers"), "")]
    for dimension in page.workspace.dimensions:
        if dimension in frame.columns:
            for value in sorted(frame[dimension].dropna().unique().tolist()):
                label = f"{page.tr.label('dimension', dimension)}: {value}"
                options.append((label, f"{dimension}={value}"))
    return options


def overview_filters(page: Page, render: Callable[[Page, Period, Segment | None], str]) -> w.VBox:
    """Show period and segment dropdowns; a change redraws what ``render`` returns below them.

    Parameters
    ----------
    page
        The running page.
    render
        ``render(page, period, segment) -> html``, e.g. the overview's NPS section.
    """
    periods = period_options(page)
    segments = segment_options(page)
    start_period = page.params.period.label
    if start_period not in {v for _, v in periods}:
        start_period = ""
    start_segment = page.params.segment.label if page.params.segment else ""
    if start_segment not in {v for _, v in segments}:
        start_segment = ""
    period_box = w.Dropdown(options=periods, value=start_period, description=page.tr("meta.period"))
    segment_box = w.Dropdown(
        options=segments, value=start_segment, description=page.tr("meta.segment")
    )
    for box in (period_box, segment_box):
        box.add_class("cx-filter")
        box.style.description_width = "initial"
        box.layout.width = "320px"
    output = w.Output()
    output.add_class("cx-overview-output")

    def redraw(_change: object = None) -> None:
        with output:
            output.clear_output(wait=True)
            try:
                period = _checked(period_box.value, periods, "period")
                segment = _checked(segment_box.value, segments, "segment")
                html = render(page, parse_period(period), parse_segment(segment, page.workspace))
            except CxError as error:
                html = views.notice(error.one_line(), warning=True)
            display(HTML(views.block(html)))

    period_box.observe(redraw, names="value")
    segment_box.observe(redraw, names="value")
    box = w.VBox([w.HBox([period_box, segment_box]), output])
    display(box)
    redraw()
    return box


def _checked(value: object, options: list[tuple[str, str]], name: str) -> str:
    allowed = {v for _, v in options}
    if not isinstance(value, str) or value not in allowed:
        raise CxError(f"{name} value {value!r} is not one of the offered options; ignored.")
    return value
