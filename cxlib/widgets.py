"""ipywidgets controls of the interactive workbook (JupyterLab and the Voila app).

Widgets only collect input and call the library. A browser can send any value to the kernel, so
every value is checked again in Python before it is used: a dropdown accepts from the browser
nothing but the index of one of its options (:class:`ChoiceDropdown`); anything else is refused,
the page says so, and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import ipywidgets as w
from IPython.display import HTML, display

from cxlib import views
from cxlib.cube import Cube
from cxlib.errors import CxError, ParameterError
from cxlib.i18n import LANGUAGES, Translator
from cxlib.page import Page
from cxlib.params import Segment, parse_segment
from cxlib.periods import Period, parse_period

#: ``render(page, period, segment) -> html`` of the part the filters redraw.
Render = Callable[[Page, Period, Segment | None], str]
#: Longest stretch of a refused value repeated on the page.
_SHOWN = 60


def period_options(page: Page, *, cube: Cube | None = None) -> list[tuple[str, str]]:
    """Offered periods: all data, then each year, quarter and month present, newest first.

    With ``cube`` the months come from its cells (no scan of the rows).
    """
    options = [(page.tr("meta.all_data"), "")]
    if cube is not None:
        months = cube.months() if cube.dated else []
    else:
        frame = page.table("responses").frame
        if "submitted_at" not in frame.columns or frame["submitted_at"].isna().all():
            return options
        local = frame["submitted_at"].dropna().dt.tz_convert(page.workspace.timezone)
        months = sorted(set(local.dt.strftime("%Y-%m")))
    years = sorted({m[:4] for m in months}, reverse=True)
    quarters = sorted({f"{m[:4]}-Q{(int(m[5:]) - 1) // 3 + 1}" for m in months}, reverse=True)
    newest_first = sorted(months, reverse=True)
    return options + [(label, label) for label in (*years, *quarters, *newest_first)]


def segment_options(page: Page, *, cube: Cube | None = None) -> list[tuple[str, str]]:
    """Offered segments: all customers, then ``dimension=value`` for each dimension's values.

    With ``cube`` the values come from its cells (no scan of the rows).
    """
    options = [(page.tr("meta.all_customers"), "")]
    frame = page.table("responses").frame if cube is None else None
    for dimension in page.workspace.dimensions:
        if cube is not None and dimension in cube.dimensions:
            values = cube.values(dimension)
        elif frame is not None and dimension in frame.columns:
            values = sorted(frame[dimension].dropna().unique().tolist())
        else:
            continue
        for value in values:
            label = f"{page.tr.label('dimension', dimension)}: {value}"
            options.append((label, f"{dimension}={value}"))
    return options


def language_options() -> list[tuple[str, str]]:
    """Offered languages, each named in its own language (English, Deutsch, Dansk)."""
    return [(Translator(code)(f"language.{code}"), code) for code in LANGUAGES]


class ChoiceDropdown(w.Dropdown):
    """A dropdown that takes from the browser only the index of one of its options.

    ipywidgets keeps the selected ``index`` in sync with the browser. Anything else a browser
    sends — an index out of range or not an integer, a ``value``, new option labels — is refused:
    ``on_refused(name, received)`` is called, the browser is sent the current state back, and
    nothing changes in the kernel.
    """

    def __init__(
        self, *, name: str, on_refused: Callable[[str, object], None], **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._name = name
        self._on_refused = on_refused

    def set_state(self, sync_data: dict[str, Any]) -> None:
        """Apply a state sent by the browser, if it is only a valid ``index``."""
        index = sync_data.get("index")
        if (
            set(sync_data) == {"index"}
            and isinstance(index, int)
            and not isinstance(index, bool)
            and 0 <= index < len(self.options)
        ):
            super().set_state(sync_data)
            return
        received = {key: value for key, value in sync_data.items() if key != "index"}
        self._on_refused(self._name, received or index)
        self.send_state()  # put the browser's view back to what the kernel holds


def overview_filters(
    page: Page,
    render: Render,
    *,
    cube: Cube | None = None,
    header: Callable[[Page], str] | None = None,
) -> w.VBox:
    """Show language, period and segment dropdowns; a change redraws what ``render`` returns.

    Parameters
    ----------
    page
        The running page; its language is the first choice.
    render
        ``render(page, period, segment) -> html``, e.g. the overview's NPS section; it gets the
        page in the chosen language.
    cube
        The pre-aggregated responses, when the options should come from them.
    header
        ``header(page) -> html`` shown above the filters (the page title), redrawn with the
        language.
    """
    languages = language_options()
    periods = period_options(page, cube=cube)
    segments = segment_options(page, cube=cube)
    messages = w.HTML()
    messages.add_class("cx-filter-messages")

    def refused(name: str, received: object) -> None:
        shown = repr(received)
        shown = shown if len(shown) <= _SHOWN else shown[:_SHOWN] + "…"
        tr = state["page"].tr
        text = tr("app.refused", name=tr(f"meta.{name}"), value=shown)
        messages.value = views.block(views.notice(text, warning=True))

    state: dict[str, Any] = {"page": page, "quiet": False}
    start_period = _start(page.params.period.label, periods)
    start_segment = _start(page.params.segment.label if page.params.segment else "", segments)
    language_box = ChoiceDropdown(
        name="language", on_refused=refused, options=languages, value=page.params.language
    )
    period_box = ChoiceDropdown(
        name="period", on_refused=refused, options=periods, value=start_period
    )
    segment_box = ChoiceDropdown(
        name="segment", on_refused=refused, options=segments, value=start_segment
    )
    boxes = {"meta.language": language_box, "meta.period": period_box, "meta.segment": segment_box}
    for box in boxes.values():
        box.add_class("cx-filter")
        box.style.description_width = "initial"
    language_box.layout.width = "200px"
    period_box.layout.width = segment_box.layout.width = "320px"
    top = w.HTML()
    output = w.Output()
    output.add_class("cx-overview-output")

    def redraw(_change: object = None) -> None:
        if state["quiet"]:
            return
        messages.value = ""
        current: Page = state["page"]
        with output:
            output.clear_output(wait=True)
            try:
                period = _checked(period_box.value, periods, "period")
                segment = _checked(segment_box.value, segments, "segment")
                html = render(current, parse_period(period), parse_segment(segment, page.workspace))
            except CxError as error:
                html = views.notice(error.one_line(), warning=True)
            display(HTML(views.block(html)))

    def relabel(_change: object = None) -> None:
        language = _checked(language_box.value, languages, "language")
        current = page.with_language(language)
        state["page"] = current
        state["quiet"] = True  # new option labels must not redraw three times
        try:
            for options, box, fresh in (
                (periods, period_box, period_options(current, cube=cube)),
                (segments, segment_box, segment_options(current, cube=cube)),
            ):
                value = box.value
                options[:] = fresh
                box.options = fresh
                box.value = value
            for msgid, box in boxes.items():
                box.description = current.tr(msgid)
            top.value = header(current) if header else ""
        finally:
            state["quiet"] = False
        redraw()

    language_box.observe(relabel, names="value")
    period_box.observe(redraw, names="value")
    segment_box.observe(redraw, names="value")
    row = w.HBox([language_box, period_box, segment_box])
    row.add_class("cx-filters")
    box = w.VBox([top, row, messages, output])
    state["quiet"] = True
    for msgid, dropdown in boxes.items():
        dropdown.description = page.tr(msgid)
    top.value = header(page) if header else ""
    state["quiet"] = False
    display(box)
    redraw()
    return box


def _start(value: str, options: Sequence[tuple[str, str]]) -> str:
    """The parameter's value when it is offered, else the first option (all data)."""
    return value if value in {v for _, v in options} else options[0][1]


def _checked(value: object, options: Sequence[tuple[str, str]], name: str) -> str:
    allowed = {v for _, v in options}
    if not isinstance(value, str) or value not in allowed:
        raise ParameterError(f"{name} value {value!r} is not one of the offered options; ignored.")
    return value


def poster_download(page: Page, journey_id: str, journey_name: str) -> w.HBox:
    """A button that makes a journey's A3 poster (:mod:`cxlib.journey_poster`) and offers it
    as a download link beside it; shown on the page and returned.

    The PDF (about 0.1 MB) is made on request, not with the page: it takes a second or two.
    """
    import base64

    from cxlib.journey_poster import build_poster

    tr = page.tr
    button = w.Button(description=tr("poster.button"), icon="download")
    result = w.HTML()

    def make(_: object) -> None:
        button.disabled = True
        try:
            pdf = build_poster(page, journey_id).pdf()
        except CxError as error:
            result.value = views.notice(tr("poster.failed", problem=error.one_line()), warning=True)
        except Exception as error:  # a click must never fail silently
            problem = f"{type(error).__name__}: {error}"
            result.value = views.notice(tr("poster.failed", problem=problem), warning=True)
        else:
            data = base64.b64encode(pdf).decode("ascii")
            result.value = (
                f'<a class="cx-download" download="{views.esc(f"poster-{journey_id}.pdf")}" '
                f'href="data:application/pdf;base64,{data}">'
                f"{views.esc(tr('poster.ready', journey=journey_name))}</a>"
            )
        finally:
            button.disabled = False

    button.on_click(make)
    box = w.HBox([button, result])
    display(box)
    return box
