"""Altair chart builders, the ``cxlib`` chart theme, and rendering that works offline.

Altair's default renderer loads Vega from a CDN, so charts are blank on an air-gapped network.
Here a page includes vl-convert's self-contained Vega bundle once (:func:`bundle_html`) and each
chart is a small ``<div>`` plus a script calling the global ``vegaEmbed`` (:func:`chart_html`);
for print, :func:`chart_svg` renders a static SVG with vl-convert. Chart builders take small,
already aggregated frames (Altair refuses more than 5,000 rows).
"""

from __future__ import annotations

import json
import math
import os
import uuid
from functools import cache
from typing import Any

import altair as alt
import pandas as pd
from babel import Locale

from cxlib.i18n import Translator

PALETTE = ("#1f4e79", "#d9822b", "#3a7d44", "#a23b72", "#6c757d", "#c0392b")
_THEME = "cxlib"
#: What the Vega bundle exposes to the page's per-chart scripts.
_GLOBALS = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"
#: Set to "1" to check every spec against the Vega-Lite schema as it is rendered. The test suite
#: does (its kernels inherit the variable); pages do not: loading the schema and checking costs
#: about 0.3 s per page, and the builders' specs are the same whatever the data.
CHECK_ENV = "CX_WORKBOOK_CHECK_CHARTS"
if os.environ.get(CHECK_ENV) != "1":
    # Altair also checks each part of a chart as it is built ("debug mode"): same reason
    alt.utils.schemapi.disable_debug_mode()


@alt.theme.register(_THEME, enable=True)
def cxlib_theme() -> alt.theme.ThemeConfig:
    """The workbook's one chart theme: quiet axes, one accent colour, readable fonts."""
    font = "Inter, 'Segoe UI', Helvetica, Arial, sans-serif"
    return {
        "config": {
            "font": font,
            "view": {"stroke": None, "continuousWidth": 560, "continuousHeight": 260},
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "gridColor": "#e9ecef"},
            "range": {"category": list(PALETTE)},
            "line": {"color": PALETTE[0], "strokeWidth": 2},
            "point": {"color": PALETTE[0], "filled": True},
            "bar": {"color": PALETTE[0]},
            "area": {"color": PALETTE[0], "opacity": 0.18},
            "title": {"fontSize": 14, "anchor": "start", "font": font},
        }
    }


#: Altair's data transformer, made faster: see :func:`records`.
_DATA = "cxlib"
_NULLABLE = {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32"}
_NULLABLE |= {"Float64", "boolean", "category", "string", "str"}


def records(frame: pd.DataFrame) -> list[dict[str, Any]] | None:
    """A chart's data frame as JSON-ready rows, exactly as Altair's ``sanitize_pandas_dataframe``
    followed by ``to_dict(orient="records")`` gives them; None for a frame it does not cover.

    Same values: datetimes as ``isoformat()`` ("" for NaT), missing values, NaN and ±inf as
    None, numpy numbers and booleans as Python ones. Altair converts column by column through
    pandas (4–5 ms per frame, and a layered chart has a frame per layer: 0.1–0.25 s per page);
    this converts each column once with ``tolist()`` (≈ 0.3 ms). Frames with a column of Python
    objects, labels that are not unique strings, hierarchical labels, timedeltas or other dtypes
    are left to Altair (None).
    """
    if isinstance(frame.index, pd.MultiIndex) or isinstance(frame.columns, pd.MultiIndex):
        return None
    names = list(frame.columns)
    if not all(isinstance(name, str) for name in names) or len(set(names)) < len(names):
        return None
    columns = []
    for name in names:
        values = _column_values(frame[name])
        if values is None:
            return None
        columns.append(values)
    return (
        [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
        if names
        else ([{} for _ in range(len(frame))])
    )


def _column_values(column: pd.Series) -> list[Any] | None:
    import numpy as np

    dtype = column.dtype
    kind = str(dtype)
    if kind in _NULLABLE:
        values = column.astype(object).tolist()
        return [None if pd.isna(v) else v for v in values]
    if kind == "bool":
        return column.tolist()
    if kind.startswith(("datetime", "timestamp")):
        return ["" if v is pd.NaT else v.isoformat() for v in column.tolist()]
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":  # not "m": timedeltas are refused
        return column.tolist()
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        return [v if math.isfinite(v) else None for v in column.tolist()]
    return None


def _data_transformer(data: Any, max_rows: int = 5000) -> Any:
    """Altair's default transformer (row limit, then values), with :func:`records` for frames."""
    from altair.utils.data import limit_rows, to_values

    if isinstance(data, pd.DataFrame):
        limit_rows(data, max_rows=max_rows)  # raises beyond the limit (returns a narwhals frame)
        rows = records(data)
        if rows is not None:
            return {"values": rows}
    return to_values(limit_rows(data, max_rows=max_rows))


alt.data_transformers.register(_DATA, _data_transformer)
alt.data_transformers.enable(_DATA)


#: d3 date and time patterns per language (the names come from Babel's CLDR data).
_TIME_PATTERNS = {
    "en": ("%a %e %b %Y, %H:%M:%S", "%d/%m/%Y", "%H:%M:%S"),
    "de": ("%A, %e. %B %Y, %H:%M:%S", "%d.%m.%Y", "%H:%M:%S"),
    "da": ("%A den %e. %B %Y, %H.%M.%S", "%d.%m.%Y", "%H.%M.%S"),
}


@cache
def vega_locale(language: str) -> dict[str, Any]:
    """Vega's number and time format locale of ``language`` (``config.locale`` of a spec).

    Decimal and group signs, month and day names come from Babel (CLDR), so axes and tooltips
    read ``1.234,5`` and ``Mär 2026`` on a German page. Definitions as d3-format and
    d3-time-format take them (Vega ≥ 5.12 reads them from ``config.locale``).
    """
    from cxlib.i18n import Translator

    cldr = Locale.parse(Translator(language).locale)
    symbols = cldr.number_symbols["latn"]
    sunday_first = [6, 0, 1, 2, 3, 4, 5]  # Babel counts Monday = 0; d3 starts on Sunday
    date_time, date, time = _TIME_PATTERNS[language]
    return {
        "number": {
            "decimal": symbols["decimal"],
            "thousands": symbols["group"],
            "grouping": [3],
            "currency": ["", " €"] if language != "en" else ["€", ""],
        },
        "time": {
            "dateTime": date_time,
            "date": date,
            "time": time,
            "periods": ["AM", "PM"],
            "days": [cldr.days["format"]["wide"][d] for d in sunday_first],
            "shortDays": [cldr.days["format"]["abbreviated"][d] for d in sunday_first],
            "months": [cldr.months["stand-alone"]["wide"][m] for m in range(1, 13)],
            "shortMonths": [cldr.months["stand-alone"]["abbreviated"][m] for m in range(1, 13)],
        },
    }


def localised(chart: alt.TopLevelMixin, tr: Translator) -> alt.TopLevelMixin:
    """``chart`` with the number/time locale of ``tr``'s language and its page messages.

    Every chart builder ends with this, so a chart reads the page's language wherever it is
    drawn (in the browser or as SVG) and :func:`chart_html` can say in that language when the
    chart library is missing or drawing failed.
    """
    messages = {"missing": tr("chart.missing"), "failed": tr("chart.failed")}
    return chart.properties(usermeta={"cx": messages}).configure(locale=vega_locale(tr.language))


def nps_trend_chart(results: pd.DataFrame, tr: Translator) -> alt.TopLevelMixin:
    """NPS by month as a line with its confidence band; small-n months drawn hollow.

    Parameters
    ----------
    results
        Output of :func:`cxlib.metrics.nps` with ``grain="month"``.
    tr
        Translator for titles and tooltips.
    """
    data = results.assign(
        month=pd.to_datetime(results["period"] + "-01").dt.strftime("%Y-%m-%d"),
        small=results["flags"].str.contains("small_n"),
    )[["month", "period", "n", "value", "ci_low", "ci_high", "small"]].round(1)
    base = alt.Chart(data).encode(
        x=alt.X(
            "month:T",
            timeUnit="utcyearmonth",
            title=tr("chart.month"),
            axis=alt.Axis(format="%b %Y"),
        ),
    )
    tooltip = [
        alt.Tooltip("period:N", title=tr("chart.period")),
        alt.Tooltip("value:Q", title=tr("metric.nps"), format=".1f"),
        alt.Tooltip("ci_low:Q", title=tr("chart.ci_low"), format=".1f"),
        alt.Tooltip("ci_high:Q", title=tr("chart.ci_high"), format=".1f"),
        alt.Tooltip("n:Q", title=tr("chart.n"), format=","),
    ]
    scale = alt.Scale(zero=False, nice=True)
    band = base.mark_area().encode(
        y=alt.Y("ci_low:Q", title=tr("metric.nps"), scale=scale), y2="ci_high:Q"
    )
    line = base.mark_line().encode(y=alt.Y("value:Q", scale=scale))
    points = base.mark_point(size=45).encode(
        y=alt.Y("value:Q", scale=scale),
        fill=alt.condition("datum.small", alt.value("white"), alt.value(PALETTE[0])),
        tooltip=tooltip,
    )
    chart = alt.layer(band, line, points).properties(title=tr("chart.nps_trend_title"))
    return localised(chart, tr)


def nps_by_chart(results: pd.DataFrame, dimension: str, tr: Translator) -> alt.TopLevelMixin:
    """NPS per value of a dimension as points with interval bars, best first.

    Parameters
    ----------
    results
        Output of :func:`cxlib.metrics.nps` with ``by=[dimension]``.
    """
    data = results[[dimension, "n", "value", "ci_low", "ci_high"]].round(1)
    data = data.rename(columns={dimension: "group"})
    order = data.sort_values("value", ascending=False)["group"].tolist()
    y = alt.Y("group:N", sort=order, title=tr.label("dimension", dimension))
    scale = alt.Scale(zero=False, nice=True)
    bars = (
        alt.Chart(data)
        .mark_rule(strokeWidth=3, opacity=0.35)
        .encode(y=y, x=alt.X("ci_low:Q", title=tr("metric.nps"), scale=scale), x2="ci_high:Q")
    )
    points = (
        alt.Chart(data)
        .mark_point(size=70)
        .encode(
            y=y,
            x=alt.X("value:Q", scale=scale),
            tooltip=[
                alt.Tooltip("group:N", title=tr.label("dimension", dimension)),
                alt.Tooltip("value:Q", title=tr("metric.nps"), format=".1f"),
                alt.Tooltip("ci_low:Q", title=tr("chart.ci_low"), format=".1f"),
                alt.Tooltip("ci_high:Q", title=tr("chart.ci_high"), format=".1f"),
                alt.Tooltip("n:Q", title=tr("chart.n"), format=","),
            ],
        )
    )
    height = max(80, 26 * len(data))
    chart = alt.layer(bars, points).properties(height=height, title=tr("chart.nps_by_title"))
    return localised(chart, tr)


@cache
def bundle_html() -> str:
    """Return a ``<script>`` holding Vega, Vega-Lite and vega-embed; include it once per page.

    The bundle comes from vl-convert and defines ``window.vegaEmbed`` with no network access.
    """
    import vl_convert

    bundle: str = vl_convert.javascript_bundle(_GLOBALS)
    return "<script>" + bundle.replace("</script", "<\\/script") + "</script>"


def chart_spec(chart: alt.TopLevelMixin) -> str:
    """Return the chart's Vega-Lite spec as JSON safe to place inside a ``<script>``.

    ``<``, ``>`` and ``&`` are written as unicode escapes, so a comment such as
    ``</script><script>alert(1)</script>`` in the data stays text.
    """
    text = json.dumps(_spec(chart), separators=(",", ":"), ensure_ascii=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def chart_html(chart: alt.TopLevelMixin) -> str:
    """Return HTML that draws ``chart`` with the page's global ``vegaEmbed`` (see bundle_html).

    The script waits up to ten seconds for the bundle, in case the page inserts outputs out of
    order, then shows a visible message rather than an empty box.
    """
    element_id = f"cx-chart-{uuid.uuid4().hex}"
    return (
        f'<div class="cx-chart" id="{element_id}"></div>'
        "<script>(function(){"
        f'var el=document.getElementById("{element_id}"),spec={chart_spec(chart)},tries=0,'
        'say=(spec.usermeta&&spec.usermeta.cx)||{missing:"\u26a0",failed:"\u26a0"};'
        "function draw(){"
        "if(!window.vegaEmbed){if(tries++>=200){"
        "el.textContent=say.missing;return;}return setTimeout(draw,50);}"
        'window.vegaEmbed(el,spec,{renderer:"svg",actions:false})'
        ".catch(function(e){el.textContent=say.failed;console.error(e);});"
        "}draw();})();</script>"
    )


def chart_svg(chart: alt.TopLevelMixin) -> str:
    """Render ``chart`` to a static SVG string with vl-convert (for print and PDF)."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(_spec(chart))
    return svg


def _spec(chart: alt.TopLevelMixin) -> dict[str, Any]:
    """The chart's spec, checked against the Vega-Lite schema when :data:`CHECK_ENV` is set."""
    spec: dict[str, Any] = chart.to_dict(validate=os.environ.get(CHECK_ENV) == "1")
    return spec


def quadrant_chart(rows: pd.DataFrame, tr: Translator) -> alt.TopLevelMixin:
    """Importance–performance chart of key drivers: where to act first.

    Parameters
    ----------
    rows
        :attr:`cxlib.drivers.DriverResult.rows`; ``label`` (the driver's readable name),
        ``importance_shapley``, ``performance`` and ``quadrant`` are used.
    """
    data = rows.assign(
        importance=100 * rows["importance_shapley"] / rows["importance_shapley"].sum(),
        quadrant_label=[tr(f"quadrant.{q}") for q in rows["quadrant"]],
    )[["label", "importance", "performance", "quadrant_label", "n"]].round(2)
    x = alt.X("performance:Q", title=tr("drivers.performance"), scale=alt.Scale(zero=False))
    y = alt.Y("importance:Q", title=tr("drivers.importance"), scale=alt.Scale(zero=False))
    points = (
        alt.Chart(data)
        .mark_point(size=90, filled=True)
        .encode(
            x=x,
            y=y,
            color=alt.Color("quadrant_label:N", title=tr("drivers.quadrant")),
            tooltip=[
                alt.Tooltip("label:N", title=tr("journey.touchpoint")),
                alt.Tooltip("importance:Q", title=tr("drivers.importance"), format=".1f"),
                alt.Tooltip("performance:Q", title=tr("drivers.performance"), format=".2f"),
                alt.Tooltip("quadrant_label:N", title=tr("drivers.quadrant")),
                alt.Tooltip("n:Q", title=tr("chart.n"), format=","),
            ],
        )
    )
    labels = (
        alt.Chart(data).mark_text(align="left", dx=7, fontSize=11).encode(x=x, y=y, text="label:N")
    )
    means = pd.DataFrame(
        {"importance": [data["importance"].mean()], "performance": [data["performance"].mean()]}
    )
    vertical = (
        alt.Chart(means).mark_rule(strokeDash=[4, 4], color="#adb5bd").encode(x="performance:Q")
    )
    horizontal = (
        alt.Chart(means).mark_rule(strokeDash=[4, 4], color="#adb5bd").encode(y="importance:Q")
    )
    chart = alt.layer(vertical, horizontal, points, labels).properties(
        title=tr("drivers.chart_title"), height=320
    )
    return localised(chart, tr)


def theme_impact_chart(impact: pd.DataFrame, tr: Translator) -> alt.TopLevelMixin:
    """Bars: how many NPS points each complaint theme's detractors cost, largest first.

    Parameters
    ----------
    impact
        :func:`cxlib.themes.theme_impact` with a readable ``label`` column added.
    """
    data = impact[["label", "points", "n", "detractors", "detractor_share"]].round(2)
    order = data.sort_values("points", ascending=False)["label"].tolist()
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=order, title=tr("themes.theme")),
            x=alt.X("points:Q", title=tr("themes.points")),
            tooltip=[
                alt.Tooltip("label:N", title=tr("themes.theme")),
                alt.Tooltip("points:Q", title=tr("themes.points"), format=".1f"),
                alt.Tooltip("n:Q", title=tr("themes.comments"), format=","),
                alt.Tooltip("detractor_share:Q", title=tr("themes.detractor_share"), format=".1f"),
            ],
        )
        .properties(title=tr("themes.impact_title"), height=max(80, 24 * len(data)))
    )
    return localised(chart, tr)


def themes_over_time_chart(frequency: pd.DataFrame, tr: Translator) -> alt.TopLevelMixin:
    """Lines: share of comments mentioning each theme by month.

    Parameters
    ----------
    frequency
        :func:`cxlib.themes.theme_frequency` with ``grain="month"`` and a ``label`` column.
    """
    data = frequency.assign(
        month=pd.to_datetime(frequency["period"] + "-01").dt.strftime("%Y-%m-%d")
    )[["month", "period", "label", "share", "ci_low", "ci_high", "n"]].round(2)
    chart = (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "month:T",
                timeUnit="utcyearmonth",
                title=tr("chart.month"),
                axis=alt.Axis(format="%b %Y"),
            ),
            y=alt.Y("share:Q", title=tr("themes.share")),
            color=alt.Color("label:N", title=tr("themes.theme")),
            tooltip=[
                alt.Tooltip("period:N", title=tr("chart.period")),
                alt.Tooltip("label:N", title=tr("themes.theme")),
                alt.Tooltip("share:Q", title=tr("themes.share"), format=".1f"),
                alt.Tooltip("ci_low:Q", title=tr("chart.ci_low"), format=".1f"),
                alt.Tooltip("ci_high:Q", title=tr("chart.ci_high"), format=".1f"),
                alt.Tooltip("n:Q", title=tr("themes.comments"), format=","),
            ],
        )
        .properties(title=tr("themes.over_time_title"))
    )
    return localised(chart, tr)
