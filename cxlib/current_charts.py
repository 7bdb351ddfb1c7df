"""Charts of the current-state page: changes between periods, service times, RFM segments.

Builders take small aggregated frames with readable labels already made (data text is escaped
in the spec by :func:`cxlib.charts.chart_spec`); every builder ends with
:func:`cxlib.charts.localised`.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cxlib.charts import PALETTE, localised
from cxlib.i18n import Translator


def change_chart(changes: pd.DataFrame, tr: Translator) -> alt.TopLevelMixin:
    """NPS change per group with its 95 % interval; only significant changes in colour.

    Parameters
    ----------
    changes
        Rows of :func:`cxlib.current_stats.survey_changes` for one KPI with a ``label``
        (group) and a ``verdict`` (readable result) column; rows without a change are left out.
    """
    data = changes[changes["change"].notna()]
    data = data[["label", "change", "ci_low", "ci_high", "n", "n_baseline", "significant"]]
    data = data.assign(verdict=changes.loc[data.index, "verdict"]).round(1)
    order = data["label"].tolist()
    y = alt.Y("label:N", sort=order, title=None)
    x = alt.X("change:Q", title=tr("changes.chart_axis"), scale=alt.Scale(zero=True, nice=True))
    rules = (
        alt.Chart(data)
        .mark_rule(strokeWidth=3, opacity=0.35)
        .encode(y=y, x=alt.X("ci_low:Q", title=tr("changes.chart_axis")), x2="ci_high:Q")
    )
    colour = alt.condition("datum.significant", alt.value(PALETTE[5]), alt.value("#adb5bd"))
    points = (
        alt.Chart(data)
        .mark_point(size=70, filled=True)
        .encode(
            y=y,
            x=x,
            color=colour,
            tooltip=[
                alt.Tooltip("label:N", title=tr("changes.group")),
                alt.Tooltip("change:Q", title=tr("changes.change"), format="+.1f"),
                alt.Tooltip("ci_low:Q", title=tr("chart.ci_low"), format=".1f"),
                alt.Tooltip("ci_high:Q", title=tr("chart.ci_high"), format=".1f"),
                alt.Tooltip("n_baseline:Q", title=tr("changes.n_baseline"), format=","),
                alt.Tooltip("n:Q", title=tr("changes.n_current"), format=","),
                alt.Tooltip("verdict:N", title=tr("changes.result")),
            ],
        )
    )
    zero = alt.Chart(pd.DataFrame({"zero": [0]})).mark_rule(color="#6c757d").encode(x="zero:Q")
    chart = alt.layer(zero, rules, points).properties(
        title=tr("changes.chart_title"), height=max(80, 22 * len(data))
    )
    return localised(chart, tr)


def response_time_chart(series: pd.DataFrame, tr: Translator) -> alt.TopLevelMixin:
    """Median first response time by month with its order-statistic interval (band);
    months with too few tickets drawn hollow.

    Parameters
    ----------
    series
        Per month (``period`` ``2026-09``): ``n``, ``median``, ``median_low``, ``median_high``
        and ``small`` (bool).
    """
    data = series.assign(month=pd.to_datetime(series["period"] + "-01").dt.strftime("%Y-%m-%d"))[
        ["month", "period", "n", "median", "median_low", "median_high", "small"]
    ].round(2)
    base = alt.Chart(data).encode(
        x=alt.X(
            "month:T",
            timeUnit="utcyearmonth",
            title=tr("chart.month"),
            axis=alt.Axis(format="%b %Y"),
        )
    )
    scale = alt.Scale(zero=True, nice=True)
    title = tr("service.chart_axis")
    band = base.mark_area().encode(
        y=alt.Y("median_low:Q", title=title, scale=scale), y2="median_high:Q"
    )
    line = base.mark_line().encode(y=alt.Y("median:Q", scale=scale))
    points = base.mark_point(size=45).encode(
        y=alt.Y("median:Q", scale=scale),
        fill=alt.condition("datum.small", alt.value("white"), alt.value(PALETTE[0])),
        tooltip=[
            alt.Tooltip("period:N", title=tr("chart.period")),
            alt.Tooltip("median:Q", title=title, format=".1f"),
            alt.Tooltip("median_low:Q", title=tr("chart.ci_low"), format=".1f"),
            alt.Tooltip("median_high:Q", title=tr("chart.ci_high"), format=".1f"),
            alt.Tooltip("n:Q", title=tr("service.tickets"), format=","),
        ],
    )
    chart = alt.layer(band, line, points).properties(title=tr("service.chart_title"))
    return localised(chart, tr)


def rfm_chart(segments: pd.DataFrame, tr: Translator) -> alt.TopLevelMixin:
    """Bars: customers per RFM segment, in the segments' order.

    Parameters
    ----------
    segments
        :func:`cxlib.current_stats.rfm_segments` with a readable ``label`` column.
    """
    data = segments[["label", "customers", "share"]].round(1)
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=data["label"].tolist(), title=tr("rfm.segment")),
            x=alt.X("customers:Q", title=tr("rfm.customers")),
            tooltip=[
                alt.Tooltip("label:N", title=tr("rfm.segment")),
                alt.Tooltip("customers:Q", title=tr("rfm.customers"), format=","),
                alt.Tooltip("share:Q", title=tr("rfm.share"), format=".1f"),
            ],
        )
        .properties(title=tr("rfm.chart_title"), height=max(80, 26 * len(data)))
    )
    return localised(chart, tr)
