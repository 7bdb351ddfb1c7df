"""The journey map as an A3 poster for the workshop wall: SVG or PDF, drawn offline.

A poster is one landscape A3 page (420 × 297 mm): the journey's name, persona and scenario, the
map (phases, stages, touchpoints by channel, owners, pain points, moments of truth) above the
emotion the workshop believes beside each touchpoint's measured satisfaction — the same two
charts as ``03_journey_map`` (:mod:`cxlib.workshop_charts`), for the same period and segment —
and a footer saying where the measurements come from. vl-convert draws the charts (no browser,
no network); they are scaled to fit the page, centred, with a 10 mm margin.

The SVG states its size in millimetres, so it prints at A3 from any program; the PDF page is
A3 (1190.55 × 841.89 pt).
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import altair as alt
import pandas as pd

from cxlib.charts import localised
from cxlib.errors import CxError, ParameterError, did_you_mean
from cxlib.i18n import Translator
from cxlib.journey import Journey
from cxlib.page import Page
from cxlib.params import validate_parameters
from cxlib.workshop_charts import emotion_chart, journey_map_chart

#: A3 landscape in millimetres, and the margin around the charts.
PAGE_MM = (420.0, 297.0)
MARGIN_MM = 10.0
#: PDF points per millimetre (72 per inch).
PT_PER_MM = 72 / 25.4
FORMATS = ("pdf", "svg")
#: Room for the heading above the charts and the footer below them (in page points).
_HEAD_PT, _FOOT_PT = 72.0, 24.0
#: Characters of a persona or scenario line (11 pt on the page's 1134 pt width).
_LINE_CHARS = 190
_TITLE_CHARS = 90
#: Characters XML 1.0 cannot hold (a workspace name or a segment value could carry them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SIZE = re.compile(r'<svg[^>]*?\swidth="([\d.]+)"[^>]*?\sheight="([\d.]+)"')


@dataclass(frozen=True)
class Poster:
    """A journey's poster: its heading, the charts' SVG and the footer line."""

    journey: Journey
    title: str
    facts: tuple[str, ...]
    footer: str
    charts_svg: str

    def svg(self, *, unit: str = "mm") -> str:
        """The A3 page as SVG; ``unit`` ``mm`` (to print) or ``pt`` (for :meth:`pdf`)."""
        width_pt, height_pt = (side * PT_PER_MM for side in PAGE_MM)
        margin = MARGIN_MM * PT_PER_MM
        found = _SIZE.search(self.charts_svg)
        if found is None:
            raise CxError("the journey map could not be drawn (no size in its SVG).")
        chart_w, chart_h = float(found.group(1)), float(found.group(2))
        box_w = width_pt - 2 * margin
        box_h = height_pt - 2 * margin - _HEAD_PT - _FOOT_PT
        scale = min(box_w / chart_w, box_h / chart_h)
        w, h = chart_w * scale, chart_h * scale
        x, y = margin + (box_w - w) / 2, margin + _HEAD_PT + (box_h - h) / 2
        inner = _SIZE.sub(
            lambda m: (
                m.group(0)
                .replace(f'width="{m.group(1)}"', f'width="{w:.2f}" x="{x:.2f}"')
                .replace(f'height="{m.group(2)}"', f'height="{h:.2f}" y="{y:.2f}"')
            ),
            _without_declaration(self.charts_svg),
            count=1,
        )
        if "viewBox" not in inner.split(">", 1)[0]:
            inner = inner.replace("<svg", f'<svg viewBox="0 0 {chart_w:g} {chart_h:g}"', 1)
        size = (
            f'width="{PAGE_MM[0]:g}mm" height="{PAGE_MM[1]:g}mm"'
            if unit == "mm"
            else f'width="{width_pt:.2f}" height="{height_pt:.2f}"'
        )
        font = 'font-family="DejaVu Sans, Helvetica, Arial, sans-serif"'
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" {size} '
            f'viewBox="0 0 {width_pt:.2f} {height_pt:.2f}">'
            f'<rect width="{width_pt:.2f}" height="{height_pt:.2f}" fill="white"/>'
            f'<text x="{margin:.2f}" y="{margin + 24:.2f}" {font} font-size="22" '
            f'font-weight="bold" fill="#1f4e79">{_text(self.title)}</text>'
            + "".join(
                f'<text x="{margin:.2f}" y="{margin + 42 + 15 * i:.2f}" {font} font-size="11" '
                f'fill="#495057">{_text(fact)}</text>'
                for i, fact in enumerate(self.facts[:2])
            )
            + f"{inner}"
            f'<text x="{margin:.2f}" y="{height_pt - margin:.2f}" {font} font-size="9" '
            f'fill="#6c757d">{_text(self.footer)}</text>'
            "</svg>\n"
        )

    def pdf(self) -> bytes:
        """The A3 page as PDF (vl-convert's SVG to PDF; text stays text)."""
        import vl_convert

        svg = self.svg(unit="pt")
        with _drawing():
            data: bytes = vl_convert.svg_to_pdf(svg)
        return data


def _text(text: str) -> str:
    """Text for the page's SVG: characters XML cannot hold removed, markup escaped."""
    return html.escape(_NOT_XML.sub("", text))


def _without_declaration(svg: str) -> str:
    return re.sub(r"^\s*<\?xml[^>]*>\s*", "", svg)


def poster_charts(measured: pd.DataFrame, tr: Translator) -> alt.TopLevelMixin:
    """The map above the emotion chart, as one chart in ``tr``'s language."""
    parts = []
    for chart in (journey_map_chart(measured, tr), emotion_chart(measured, tr)):
        part = chart.copy()  # type: ignore[attr-defined]
        part.config = alt.Undefined  # only the whole poster has a config (its locale)
        part.usermeta = alt.Undefined
        parts.append(part)
    # each chart keeps its own colours and shapes (channels above, belief and measure below)
    both = alt.vconcat(*parts, spacing=28).resolve_scale(
        color="independent", shape="independent", fill="independent"
    )
    return localised(both, tr)


def build_poster(page: Page, journey_id: str = "") -> Poster:
    """The poster of one journey of the page's workbook (its only one when ``journey_id`` is
    empty), measured over the page's period and segment.

    Raises
    ------
    ParameterError
        No such journey (naming the ones there are), or several and none chosen.
    CxError
        The workbook cannot be read, or the journey has no touchpoints yet.
    """
    import vl_convert

    from cxlib.workshop_common import load_data
    from cxlib.workshop_evidence import map_rows, read_content
    from cxlib.workshop_map import measured_rows

    tr = page.tr
    content = read_content(page.workspace)
    journey = _choose(content.journeys, journey_id)
    rows = map_rows(content, journey.id)
    if rows.empty:
        raise CxError(
            f"journey '{journey.id}' has no touchpoints yet: there is no map to print.",
            hint="Add stages and touchpoints in 03_journey_map first.",
        )
    data = load_data(page, period=page.params.period)
    measured = measured_rows(page, rows, data)
    spec = poster_charts(measured, tr).to_dict(validate=False)
    with _drawing():
        charts_svg: str = vl_convert.vegalite_to_svg(spec)
    facts = [
        f"{tr('workshop.field.persona')}: {journey.persona}" if journey.persona else "",
        f"{tr('workshop.field.scenario')}: {journey.scenario}" if journey.scenario else "",
    ]
    facts = [textwrap.shorten(f, _LINE_CHARS, placeholder=" …") for f in facts if f]
    period = page.params.period.label or tr("meta.all_data")
    segment = page.params.segment.label if page.params.segment else ""
    footer = " · ".join(
        part
        for part in (
            page.workspace.name,
            tr("steps.measured_over", period=period),
            segment,
            tr("poster.printed", date=tr.date(_today(page))),
        )
        if part
    )
    title = textwrap.shorten(journey.name, _TITLE_CHARS, placeholder=" …")
    return Poster(journey, title, tuple(facts), footer, charts_svg)


@contextmanager
def _drawing() -> Iterator[None]:
    """vl-convert's errors (it raises plain exceptions, even for odd text) as one clear line."""
    try:
        yield
    except Exception as error:
        raise CxError(
            f"the poster could not be drawn: {type(error).__name__}: {error}.",
            hint="Please report this with the line above.",
        ) from None


def _today(page: Page) -> Any:
    from cxlib.report_index import now_in

    return now_in(page.workspace.timezone).date()


def _choose(journeys: Any, journey_id: str) -> Journey:
    ids = [j.id for j in journeys]
    if not ids:
        raise CxError(
            "the workbook has no journey yet: there is no map to print.",
            hint="Map a journey in 03_journey_map first.",
        )
    if not journey_id:
        if len(ids) > 1:
            raise ParameterError(
                f"the workbook has {len(ids)} journeys; choose one with --journey.",
                hint=f"Journeys: {', '.join(ids)}.",
            )
        return journeys[0]
    for journey in journeys:
        if journey.id == journey_id:
            return journey
    raise ParameterError(
        f"journey '{journey_id}' does not exist.{did_you_mean(journey_id, ids)}",
        hint=f"Journeys: {', '.join(ids)}.",
    )


def export_poster(
    workspace: str | Path,
    *,
    journey: str = "",
    period: str = "",
    segment: str = "",
    language: str = "",
    fmt: str = "pdf",
    out: str | Path | None = None,
) -> Path:
    """Write a journey's A3 poster (``fmt`` ``pdf`` or ``svg``) and return its path.

    The default path is ``poster-<journey>.<fmt>`` in the report folder of the period, segment
    and language (:func:`cxlib.report.output_dir`).

    Raises
    ------
    CxError
        Invalid parameters, a period or segment without responses (as for reports), no such
        journey, a journey without touchpoints, or a file that cannot be written.
    """
    from cxlib.report import output_dir

    if fmt not in FORMATS:
        raise ParameterError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}.")
    from cxlib.report_sets import plan_sets

    params = validate_parameters(
        workspace=str(workspace), period=period, segment=segment, language=language, mode="report"
    )
    plan_sets(params, period=period)  # a period or segment without responses: one clear error
    poster = build_poster(Page(params), journey)
    target = (
        Path(out) if out is not None else output_dir(params) / f"poster-{poster.journey.id}.{fmt}"
    )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "pdf":
            target.write_bytes(poster.pdf())
        else:
            target.write_text(poster.svg(), encoding="utf-8")
    except OSError as error:
        raise CxError(
            f"cannot write the poster '{target}': {error.strerror}.",
            hint="Choose another file with --out.",
        ) from None
    return target
