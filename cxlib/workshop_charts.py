"""Charts of the workshop steps: the journey map, belief beside evidence, each goal's KPI track.

Builders take small, already aggregated frames (one row per touchpoint or period — never raw
answers) and a :class:`~cxlib.i18n.Translator`; styling comes from the registered ``cxlib``
theme (:mod:`cxlib.charts`). Text from workshops (touchpoint, stage, action names) travels as
data: Vega draws it as SVG text, vega-tooltip escapes it in tooltips, and
:func:`cxlib.charts.chart_spec` escapes ``<`` in the embedded spec, so
``<img src=x onerror=alert(1)>`` shows as text everywhere.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import altair as alt
import pandas as pd

from cxlib.charts import PALETTE, localised
from cxlib.i18n import Translator
from cxlib.journey import PHASES

#: Width of one touchpoint column on the map, in pixels.
COLUMN_WIDTH = 118
#: Touchpoint names are wrapped at this many characters per line (at most 3 lines).
WRAP = 16
_PHASE_COLOURS = ("#e7eef6", "#fbefe2", "#e6f1e8")
_BELIEVED, _MEASURED, _MUTED = PALETTE[1], PALETTE[0], "#adb5bd"


def _wrap(text: str, width: int = WRAP, lines: int = 3) -> list[str]:
    wrapped = textwrap.wrap(
        str(text), width=width, max_lines=lines, placeholder="…", break_long_words=False
    )
    return wrapped or [""]


def _width(count: int) -> int:
    return max(320, COLUMN_WIDTH * max(count, 1))


def journey_map_chart(rows: pd.DataFrame, tr: Translator) -> alt.TopLevelMixin:
    """The journey map: phases and stages left to right, one column per touchpoint.

    Lanes from top to bottom: phase (before / during / after the purchase), stage, the
    touchpoint (colour: channel; a diamond marks a moment of truth) with its name, its owner
    department and its pain points (count; ⚠ when there are any).

    Parameters
    ----------
    rows
        :func:`cxlib.workshop_evidence.measure_touchpoints` (one row per touchpoint).
    """
    lanes = [
        tr("steps.map.lane_phase"),
        tr("steps.map.lane_stage"),
        tr("steps.map.lane_touchpoint"),
        tr("steps.map.lane_owner"),
        tr("steps.map.lane_pain"),
    ]
    data = pd.DataFrame(
        {
            "x": rows["order"].astype(float),
            "name": ["\n".join(_wrap(n)) for n in rows["touchpoint"]],
            "touchpoint": rows["touchpoint"].astype(str),
            "stage": rows["stage"].astype(str),
            "channel": [tr(f"workshop.channel.{c}") for c in rows["channel"]],
            "owner": ["\n".join(_wrap(o, 18, 2)) for o in rows["owner"]],
            "owner_text": rows["owner"].astype(str),
            "moment": [tr("steps.yes") if m else tr("steps.no") for m in rows["moment_of_truth"]],
            "shape": ["diamond" if m else "circle" for m in rows["moment_of_truth"]],
            "pain": [_pain_label(len(p)) for p in rows["pain_points"]],
            "pain_text": ["; ".join(p) or "–" for p in rows["pain_points"]],
            "emotion": rows["emotion"].astype(int),
        }
    )
    spans = _spans(rows, tr)
    x_scale = alt.Scale(domain=[-0.5, max(len(rows), 1) - 0.5])
    x = alt.X("x:Q", axis=None, scale=x_scale)
    y = alt.Y(
        "lane:N",
        sort=lanes,
        scale=alt.Scale(domain=lanes, paddingInner=0.08),
        axis=alt.Axis(title=None, labelFontWeight="bold", ticks=False, domain=False, grid=False),
    )
    header = alt.Chart(spans).encode(x=alt.X("x0:Q", axis=None, scale=x_scale), x2="x1:Q", y=y)
    boxes = header.mark_rect(stroke="white", strokeWidth=3).encode(
        color=alt.Color("fill:N", scale=None)
    )
    titles = (
        alt.Chart(spans)
        .mark_text(fontWeight="bold", fontSize=12, lineBreak="\n")
        .encode(x=alt.X("mid:Q", axis=None, scale=x_scale), y=y, text="label:N")
    )
    tooltip = [
        alt.Tooltip("touchpoint:N", title=tr("journey.touchpoint")),
        alt.Tooltip("stage:N", title=tr("steps.map.lane_stage")),
        alt.Tooltip("channel:N", title=tr("workshop.field.channel")),
        alt.Tooltip("owner_text:N", title=tr("steps.map.lane_owner")),
        alt.Tooltip("moment:N", title=tr("workshop.field.moment_of_truth")),
        alt.Tooltip("emotion:Q", title=tr("steps.believed")),
        alt.Tooltip("pain_text:N", title=tr("workshop.field.pain_points")),
    ]
    touch = data.assign(lane=lanes[2])
    marks = (
        alt.Chart(touch)
        .mark_point(filled=True, size=260, yOffset=-18, opacity=0.95)
        .encode(
            x=x,
            y=y,
            color=alt.Color("channel:N", title=tr("workshop.field.channel")),
            shape=alt.Shape("shape:N", scale=None),
            tooltip=tooltip,
        )
    )
    names = (
        alt.Chart(touch)
        .mark_text(fontSize=11, lineBreak="\n", dy=14)
        .encode(x=x, y=y, text="name:N", tooltip=tooltip)
    )
    owners = (
        alt.Chart(data.assign(lane=lanes[3]))
        .mark_text(fontSize=11, lineBreak="\n")
        .encode(x=x, y=y, text="owner:N", tooltip=tooltip)
    )
    pains = (
        alt.Chart(data.assign(lane=lanes[4]))
        .mark_text(fontSize=12)
        .encode(
            x=x,
            y=y,
            text="pain:N",
            color=alt.condition("datum.pain != '–'", alt.value("#c0392b"), alt.value(_MUTED)),
            tooltip=tooltip,
        )
    )
    chart = alt.layer(boxes, titles, marks, names, owners, pains).properties(
        width=_width(len(rows)), height=330, title=tr("steps.map.title")
    )
    return localised(chart, tr)


def _pain_label(count: int) -> str:
    return f"⚠ {count}" if count else "–"


def _spans(rows: pd.DataFrame, tr: Translator) -> pd.DataFrame:
    """Header boxes: one per phase and one per stage, spanning their touchpoints."""
    records = []
    for lane, key, label in (
        (tr("steps.map.lane_phase"), "phase", lambda v: tr(f"workshop.phase.{v}")),
        (tr("steps.map.lane_stage"), "stage_id", None),
    ):
        for _, group in rows.groupby((rows[key] != rows[key].shift()).cumsum(), sort=True):
            first, last = float(group["order"].min()), float(group["order"].max())
            phase = str(group["phase"].iloc[0])
            text = label(group[key].iloc[0]) if label else str(group["stage"].iloc[0])
            width = int(last - first + 1)
            records.append(
                {
                    "lane": lane,
                    "x0": first - 0.5,
                    "x1": last + 0.5,
                    "mid": (first + last) / 2,
                    "label": "\n".join(_wrap(text, WRAP * width, 2)),
                    "fill": _PHASE_COLOURS[PHASES.index(phase)] if phase in PHASES else "#eee",
                }
            )
    return pd.DataFrame(records, columns=["lane", "x0", "x1", "mid", "label", "fill"])


def emotion_chart(rows: pd.DataFrame, tr: Translator) -> alt.TopLevelMixin:
    """The emotion curve the workshop believes beside each touchpoint's measured satisfaction.

    Both on −2 … +2: the believed emotion as a line, the measurement mapped onto the same
    scale (:func:`cxlib.workshop_evidence.emotion_scale`) as a point with its 95 % interval;
    hollow points rest on too few answers; touchpoints without a comparable measurement are
    marked "not measured" at the bottom.

    Parameters
    ----------
    rows
        :func:`cxlib.workshop_evidence.measure_touchpoints`.
    """
    labels = [
        "\n".join(_wrap(f"{o + 1}. {t}"))
        for o, t in zip(rows["order"], rows["touchpoint"], strict=True)
    ]
    believed, measured = tr("steps.believed"), tr("steps.measured")
    shown = rows["state"].isin(["measured", "small_n"])
    state_text = [tr(f"steps.state.{s}") for s in rows["state"]]
    long = pd.concat(
        [
            pd.DataFrame(
                {"label": labels, "series": believed, "value": rows["emotion"].astype(float)}
            ),
            pd.DataFrame(
                {
                    "label": labels,
                    "series": measured,
                    "value": rows["mapped"].astype(float).round(2),
                    "low": rows["mapped_low"].astype(float).round(2),
                    "high": rows["mapped_high"].astype(float).round(2),
                    "raw": rows["value"].astype(float).round(2),
                    "n": rows["n"],
                    "state": state_text,
                    "small": rows["state"] == "small_n",
                }
            )[shown.to_numpy()],
        ],
        ignore_index=True,
    )
    missing = pd.DataFrame({"label": labels, "state": state_text, "value": -2.35})[
        (~shown).to_numpy()
    ]
    x = alt.X(
        "label:N",
        sort=labels,
        title=None,
        axis=alt.Axis(
            labelAngle=0,
            labelLimit=COLUMN_WIDTH,
            labelFontSize=11,
            labelExpr="split(datum.label, '\\n')",
        ),
    )
    y_scale = alt.Scale(domain=[-2.5, 2.5])
    y = alt.Y(
        "value:Q",
        scale=y_scale,
        title=tr("steps.emotion_axis"),
        axis=alt.Axis(values=[-2, -1, 0, 1, 2]),
    )
    series_scale = alt.Scale(domain=[believed, measured], range=[_BELIEVED, _MEASURED])
    colour = alt.Color("series:N", scale=series_scale, title=None, legend=alt.Legend(orient="top"))
    tooltip = [
        alt.Tooltip("label:N", title=tr("journey.touchpoint")),
        alt.Tooltip("series:N", title=tr("steps.series")),
        alt.Tooltip("value:Q", title=tr("steps.emotion_axis"), format="+.2f"),
        alt.Tooltip("low:Q", title=tr("chart.ci_low"), format="+.2f"),
        alt.Tooltip("high:Q", title=tr("chart.ci_high"), format="+.2f"),
        alt.Tooltip("raw:Q", title=tr("steps.measured_raw"), format=".2f"),
        alt.Tooltip("n:Q", title=tr("chart.n"), format=","),
        alt.Tooltip("state:N", title=tr("table.flag")),
    ]
    zero = alt.Chart(pd.DataFrame({"value": [0.0]})).mark_rule(color="#ced4da").encode(y="value:Q")
    base = alt.Chart(long).encode(x=x)
    line = (
        base.transform_filter(alt.datum.series == believed)
        .mark_line(strokeDash=[6, 3], color=_BELIEVED)
        .encode(y=y)
    )
    bars = (
        base.transform_filter(alt.datum.series == measured)
        .mark_rule(strokeWidth=3, opacity=0.45, color=_MEASURED)
        .encode(y=alt.Y("low:Q", scale=y_scale), y2="high:Q")
    )
    shape = alt.Shape("series:N", scale=alt.Scale(range=["circle", "square"]), legend=None)
    points = base.transform_filter("datum.small !== true").mark_point(size=90, filled=True)
    hollow = base.transform_filter("datum.small === true").mark_point(size=90, filled=False)
    points = points.encode(y=y, color=colour, shape=shape, tooltip=tooltip)
    hollow = hollow.encode(y=y, color=colour, shape=shape, tooltip=tooltip)
    layers: list[alt.Chart] = [zero, line, bars, points, hollow]
    if len(missing):
        layers.append(
            alt.Chart(missing)
            .mark_text(fontSize=11, color=_MUTED, fontStyle="italic")
            .encode(
                x=x,
                y=alt.Y("value:Q", scale=y_scale),
                text="state:N",
                tooltip=[
                    alt.Tooltip("label:N", title=tr("journey.touchpoint")),
                    alt.Tooltip("state:N", title=tr("table.flag")),
                ],
            )
        )
    chart = alt.layer(*layers).properties(
        width=_width(len(rows)), height=280, title=tr("steps.emotion_title")
    )
    return localised(chart, tr)


@dataclass(frozen=True)
class Marker:
    """An action on a KPI's timeline: done (at ``done_on``) or open (at its due date)."""

    day: dt.date
    title: str
    owner: str
    status: str
    done: bool


def kpi_tracking_chart(
    series: pd.DataFrame,
    *,
    kpi_label: str,
    unit: str,
    target: float,
    deadline: dt.date,
    projection: tuple[float, float, float] | None,
    markers: Sequence[Marker],
    tr: Translator,
) -> alt.TopLevelMixin:
    """A goal's KPI over time with its interval band, the target, the deadline and actions.

    Parameters
    ----------
    series
        :attr:`cxlib.workshop_tracking.Tracking.series` (one row per period).
    projection
        (value, low, high) of the projection at the deadline, drawn as a dashed line from the
        last complete period with its interval; None for none.
    markers
        Actions to mark: solid green lines for done ones, dashed grey for open ones.
    """
    digits = 1 if unit in ("nps", "percent", "hours") else 2
    data = pd.DataFrame(
        {
            "date": [
                _iso(s + (e - s) / 2) for s, e in zip(series["start"], series["end"], strict=True)
            ],
            "period": series["period"].astype(str),
            "value": series["value"].astype(float).round(digits + 1),
            "low": series["ci_low"].astype(float).round(digits + 1),
            "high": series["ci_high"].astype(float).round(digits + 1),
            "n": series["n"].astype(int),
            "hollow": ~series["complete"].astype(bool)
            | series["flags"].astype(str).str.contains("small_n"),
        }
    )
    fmt = f".{digits}f"
    x_scale = alt.Scale(type="utc")
    x = alt.X("date:T", scale=x_scale, title=tr("chart.period"), axis=alt.Axis(format="%b %Y"))
    y_scale = alt.Scale(zero=False, nice=True)
    tooltip = [
        alt.Tooltip("period:N", title=tr("chart.period")),
        alt.Tooltip("value:Q", title=kpi_label, format=fmt),
        alt.Tooltip("low:Q", title=tr("chart.ci_low"), format=fmt),
        alt.Tooltip("high:Q", title=tr("chart.ci_high"), format=fmt),
        alt.Tooltip("n:Q", title=tr("chart.n"), format=","),
    ]
    base = alt.Chart(data).encode(x=x)
    layers: list[alt.Chart] = [
        base.mark_area().encode(y=alt.Y("low:Q", scale=y_scale, title=kpi_label), y2="high:Q"),
        base.mark_line().encode(y=alt.Y("value:Q", scale=y_scale)),
        base.mark_point(size=45).encode(
            y=alt.Y("value:Q", scale=y_scale),
            fill=alt.condition("datum.hollow", alt.value("white"), alt.value(PALETTE[0])),
            tooltip=tooltip,
        ),
    ]
    goal = pd.DataFrame(
        {"value": [target], "date": [_iso(deadline)], "label": [tr("steps.chart.target")]}
    )
    layers.append(
        alt.Chart(goal)
        .mark_rule(color=PALETTE[2], strokeDash=[6, 4], strokeWidth=2)
        .encode(
            y=alt.Y("value:Q", scale=y_scale),
            tooltip=[alt.Tooltip("value:Q", title=tr("steps.chart.target"), format=fmt)],
        )
    )
    layers.append(
        alt.Chart(goal)
        .mark_rule(color=PALETTE[2], strokeWidth=1.5)
        .encode(
            x=alt.X("date:T", scale=x_scale),
            tooltip=[
                alt.Tooltip(
                    "date:T", title=tr("steps.chart.deadline"), format="%d %b %Y", formatType="utc"
                )
            ],
        )
    )
    layers.append(
        alt.Chart(goal)
        .mark_text(align="right", dx=-4, dy=-6, color=PALETTE[2], fontSize=11)
        .encode(x=alt.X("date:T", scale=x_scale), y=alt.Y("value:Q", scale=y_scale), text="label:N")
    )
    complete = series[series["complete"].astype(bool)]
    if projection is not None and len(complete) and all(map(math.isfinite, projection)):
        last = complete.iloc[-1]
        ahead = pd.DataFrame(
            {
                "date": [_iso(last["start"] + (last["end"] - last["start"]) / 2), _iso(deadline)],
                "value": [
                    round(float(last["value"]), digits + 1),
                    round(projection[0], digits + 1),
                ],
                "low": [math.nan, round(projection[1], digits + 1)],
                "high": [math.nan, round(projection[2], digits + 1)],
            }
        )
        proj_tip = [
            alt.Tooltip("value:Q", title=tr("steps.chart.projection"), format=fmt),
            alt.Tooltip("low:Q", title=tr("steps.chart.projection_low"), format=fmt),
            alt.Tooltip("high:Q", title=tr("steps.chart.projection_high"), format=fmt),
        ]
        layers.append(
            alt.Chart(ahead)
            .mark_line(strokeDash=[3, 3], color=_MUTED)
            .encode(x=alt.X("date:T", scale=x_scale), y=alt.Y("value:Q", scale=y_scale))
        )
        end = alt.Chart(ahead.tail(1)).encode(x=alt.X("date:T", scale=x_scale), tooltip=proj_tip)
        layers += [
            end.mark_rule(color=_MUTED, strokeWidth=2).encode(
                y=alt.Y("low:Q", scale=y_scale), y2="high:Q"
            ),
            end.mark_tick(color=_MUTED, thickness=2, size=12).encode(
                y=alt.Y("low:Q", scale=y_scale)
            ),
            end.mark_tick(color=_MUTED, thickness=2, size=12).encode(
                y=alt.Y("high:Q", scale=y_scale)
            ),
            end.mark_point(color=_MUTED, filled=True, size=40).encode(
                y=alt.Y("value:Q", scale=y_scale)
            ),
        ]
    if markers:
        markers = sorted(markers, key=lambda m: m.day)
        actions = pd.DataFrame(
            {
                "date": [_iso(m.day) for m in markers],
                "title": [m.title for m in markers],
                "short": ["\n".join(_wrap(m.title, 22, 2)) for m in markers],
                "owner": [m.owner for m in markers],
                "status": [tr(f"workshop.action_status.{m.status}") for m in markers],
                "kind": [
                    tr("steps.chart.done") if m.done else tr("steps.chart.open") for m in markers
                ],
                "row": [4 + 26 * (i % 3) for i in range(len(markers))],
            }
        )
        action_tip = [
            alt.Tooltip("title:N", title=tr("steps.action")),
            alt.Tooltip("owner:N", title=tr("steps.owner")),
            alt.Tooltip("status:N", title=tr("workshop.field.status")),
            alt.Tooltip("date:T", title=tr("steps.date"), format="%d %b %Y", formatType="utc"),
        ]
        kinds = [tr("steps.chart.done"), tr("steps.chart.open")]
        colour = alt.Color(
            "kind:N",
            scale=alt.Scale(domain=kinds, range=[PALETTE[2], _MUTED]),
            title=tr("steps.actions"),
            legend=alt.Legend(orient="bottom"),
        )
        rules = (
            alt.Chart(actions)
            .mark_rule(strokeWidth=2)
            .encode(
                x=alt.X("date:T", scale=x_scale),
                color=colour,
                strokeDash=alt.StrokeDash(
                    "kind:N", scale=alt.Scale(domain=kinds, range=[[1, 0], [4, 3]]), legend=None
                ),
                tooltip=action_tip,
            )
        )
        texts = (
            alt.Chart(actions)
            .mark_text(align="left", baseline="top", dx=4, fontSize=10, lineBreak="\n")
            .encode(
                x=alt.X("date:T", scale=x_scale),
                y=alt.Y("row:Q", scale=None),
                text="short:N",
                color=colour,
                tooltip=action_tip,
            )
        )
        layers += [rules, texts]
    chart = alt.layer(*layers).properties(width=620, height=260, title=kpi_label)
    return localised(chart, tr)


def _iso(day: dt.date | pd.Timestamp) -> str:
    """A date as ``YYYY-MM-DD`` (read as UTC midnight by Vega-Lite; the axis shows UTC)."""
    return pd.Timestamp(day).strftime("%Y-%m-%d")
