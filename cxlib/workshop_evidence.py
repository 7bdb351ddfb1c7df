"""The journey map beside the evidence: measured touchpoints, belief–evidence gaps, pain points.

The workshop believes customers feel an emotion at each touchpoint (−2 … +2); a touchpoint may
name the KPI that measures it (``measure``: a survey rating such as ``rating_delivery``, CSAT …).
This module reads the workshop's entries (:func:`read_content`), lays a journey out in order
(:func:`map_rows`), measures each linked touchpoint on the page's data and maps the measurement
onto the emotion scale (:func:`measure_touchpoints`), picks the largest gaps between belief and
evidence (:func:`largest_gaps`), ranks the pain points (:func:`rank_pain_points`) and groups
everything by department (:func:`department_view`).

Numbers only: results are small frames and dataclasses; words are message ids shown by
:mod:`cxlib.workshop_map`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from cxlib.actions import CLOSED, Action
from cxlib.goals import Goal
from cxlib.journey import EMOTIONS, PHASES, Journey, Stage, Touchpoint
from cxlib.kpis import Kpi, Settings, kpi_results
from cxlib.metrics import MIN_N

#: The emotion scale's ends (−2 … +2).
EMOTION_LOW, EMOTION_HIGH = float(EMOTIONS[0]), float(EMOTIONS[-1])
#: A gap is called out when belief and measurement differ by at least this much on the
#: emotion scale (half a step) and the belief lies outside the measurement's interval.
GAP_MIN = 0.5
#: At most this many gaps are called out.
GAPS_SHOWN = 3
#: The answer range of KPIs in percent and NPS points, mapped onto −2 … +2.
_UNIT_RANGE = {"percent": (0.0, 100.0), "nps": (-100.0, 100.0)}

MAP_COLUMNS = (
    "order",
    "phase",
    "stage_id",
    "stage",
    "touchpoint_id",
    "touchpoint",
    "channel",
    "owner",
    "emotion",
    "pain_points",
    "moment_of_truth",
    "evidence",
    "measure",
)
MEASURE_COLUMNS = (
    "n",
    "value",
    "ci_low",
    "ci_high",
    "unit",
    "mapped",
    "mapped_low",
    "mapped_high",
    "gap",
    "state",
)
#: States of a touchpoint's measurement (label ``steps.state.<state>``).
STATES = ("measured", "small_n", "unmeasured", "not_comparable", "no_data")


@dataclass(frozen=True)
class Content:
    """Everything a workshop entered, as validated models, read once for a page.

    Attributes
    ----------
    today
        The workbook's "today" (deadlines and due dates are compared with it).
    """

    goals: tuple[Goal, ...]
    journeys: tuple[Journey, ...]
    stages: tuple[Stage, ...]
    touchpoints: tuple[Touchpoint, ...]
    actions: tuple[Action, ...]
    today: dt.date

    def goal(self, goal_id: str) -> Goal | None:
        """The goal with ``goal_id`` (None when there is none)."""
        return next((g for g in self.goals if g.id == goal_id), None)

    def touchpoint(self, touchpoint_id: str) -> Touchpoint | None:
        """The touchpoint with ``touchpoint_id`` (None when there is none)."""
        return next((t for t in self.touchpoints if t.id == touchpoint_id), None)


def read_content(workspace: Any, *, today: dt.date | None = None) -> Content:
    """Read the goals, journeys, stages, touchpoints and actions of ``workspace``'s workbook.

    Parameters
    ----------
    workspace
        A loaded :class:`cxlib.workspace.Workspace`.
    today
        Defaults to today in the workspace's time zone (:meth:`cxlib.workbook.Workbook.open`).
    """
    from cxlib.workbook import Workbook, exists, rules_for

    if not exists(workspace):  # nothing entered yet: read nothing, create nothing
        return Content((), (), (), (), (), rules_for(workspace, today=today).today)
    with Workbook.open(workspace, today=today) as workbook:
        return Content(
            goals=tuple(e.item for e in workbook.goals()),
            journeys=tuple(e.item for e in workbook.journeys()),
            stages=tuple(e.item for e in workbook.stages()),
            touchpoints=tuple(e.item for e in workbook.touchpoints()),
            actions=tuple(e.item for e in workbook.actions()),
            today=workbook.rules.today,
        )


def map_rows(content: Content, journey_id: str) -> pd.DataFrame:
    """One row per touchpoint of a journey, in map order (columns :data:`MAP_COLUMNS`).

    Order: stages by phase (before, during, after the purchase), then by their position, then
    as entered; touchpoints within a stage as entered. ``pain_points`` is the tuple of texts.
    """
    stages = [s for s in content.stages if s.journey_id == journey_id]
    entered = {s.id: i for i, s in enumerate(stages)}
    stages.sort(key=lambda s: (_phase_index(s.phase), s.position, entered[s.id]))
    rows: list[dict[str, Any]] = []
    for stage in stages:
        for t in (t for t in content.touchpoints if t.stage_id == stage.id):
            rows.append(
                {
                    "order": len(rows),
                    "phase": stage.phase,
                    "stage_id": stage.id,
                    "stage": stage.name,
                    "touchpoint_id": t.id,
                    "touchpoint": t.name,
                    "channel": t.channel,
                    "owner": t.owner,
                    "emotion": int(t.emotion),
                    "pain_points": tuple(t.pain_points),
                    "moment_of_truth": bool(t.moment_of_truth),
                    "evidence": t.evidence,
                    "measure": t.measure,
                }
            )
    return pd.DataFrame(rows, columns=list(MAP_COLUMNS))


def _phase_index(phase: str) -> int:
    return PHASES.index(phase) if phase in PHASES else len(PHASES)


def emotion_scale(
    value: float, kpi: Kpi, *, rating_scale: tuple[int, int], settings: Settings
) -> float | None:
    """Map a KPI value onto the emotion scale −2 … +2 (None when no mapping is meaningful).

    A linear map of the KPI's answer range [lo, hi] onto [−2, +2]:

    .. math:: e = -2 + 4\\,\\frac{v - lo}{hi - lo}

    - touchpoint ratings (unit ``score``) on the workspace's ``rating_scale``, e.g. 1–5: the
      mean rating r becomes r − 3 (1 ↦ −2, 3 ↦ 0, 5 ↦ +2); the CES mean on its 1–7 scale;
    - shares in percent (CSAT, CES agreeing …): 0 % ↦ −2, 50 % ↦ 0, 100 % ↦ +2;
    - NPS: −100 ↦ −2, 0 ↦ 0, +100 ↦ +2 (NPS / 50);
    - KPIs where lower is better are mirrored (e = −e); times (hours) have no upper end and no
      neutral point, so they are not mapped (None).

    The map is linear, so an interval maps end to end; it puts the scale's middle on the
    emotion scale's neutral 0 — an equal-interval reading of a Likert scale, a convention of
    journey mapping rather than a measurement of emotion.
    """
    low: float
    high: float
    if kpi.unit == "score":
        scale = settings.scales.get("ces", (1, 7)) if kpi.id == "ces_mean" else rating_scale
        low, high = float(scale[0]), float(scale[1])
    elif kpi.unit in _UNIT_RANGE:
        low, high = _UNIT_RANGE[kpi.unit]
    else:
        return None
    if value is None or not math.isfinite(value) or high <= low:
        return None
    mapped = EMOTION_LOW + (EMOTION_HIGH - EMOTION_LOW) * (float(value) - low) / (high - low)
    return mapped if kpi.higher_is_better else -mapped


def measure_touchpoints(
    rows: pd.DataFrame,
    tables: Mapping[str, Any],
    catalogue: Mapping[str, Kpi],
    *,
    settings: Settings,
    rating_scale: tuple[int, int],
    min_n: int = MIN_N,
) -> pd.DataFrame:
    """Measure each linked touchpoint's KPI on ``tables`` and set it beside the belief.

    Parameters
    ----------
    rows
        :func:`map_rows`.
    tables
        Canonical tables already filtered to the page's period and segment.
    catalogue
        The KPI catalogue (:func:`cxlib.kpis.catalogue`).

    Returns
    -------
    pandas.DataFrame
        ``rows`` plus :data:`MEASURE_COLUMNS`: the KPI's ``n``, ``value`` and interval in its own
        unit, the same on the emotion scale (``mapped*``, see :func:`emotion_scale`),
        ``gap`` = believed emotion − mapped value (positive: the workshop believes customers
        feel better than they say), and ``state``: ``measured``; ``small_n`` (fewer than
        ``min_n`` answers: flagged, never a gap); ``unmeasured`` (no KPI linked, or one the
        catalogue lacks); ``not_comparable`` (a time); ``no_data`` (its table or column is
        missing, or no answers).
    """
    out = rows.copy()
    results: dict[str, dict[str, Any]] = {}
    for measure in sorted({m for m in rows["measure"] if m}):
        kpi = catalogue.get(measure)
        if kpi is None:
            continue
        results[measure] = _measure(kpi, tables, settings, rating_scale, min_n)
    empty = {c: np.nan for c in MEASURE_COLUMNS} | {"unit": "", "state": "unmeasured"}
    records = [results.get(m, empty) if m else empty for m in rows["measure"]]
    for column in MEASURE_COLUMNS:
        out[column] = [r[column] for r in records]
    reliable = out["state"] == "measured"
    out["gap"] = np.where(reliable, out["emotion"] - out["mapped"].astype(float), np.nan)
    return out


def _measure(
    kpi: Kpi,
    tables: Mapping[str, Any],
    settings: Settings,
    rating_scale: tuple[int, int],
    min_n: int,
) -> dict[str, Any]:
    record: dict[str, Any] = {c: np.nan for c in MEASURE_COLUMNS} | {"unit": kpi.unit}
    frame = tables.get(kpi.table)
    if frame is None or kpi.column not in frame.columns or kpi.table in ("orders", "customers"):
        return record | {"state": "no_data"}
    result = kpi_results({kpi.table: frame}, [kpi], settings=replace(settings, min_n=min_n))[kpi.id]
    row = result.iloc[0]
    n = int(row["n"])
    value = float(row["median"] if "median" in result.columns else row["value"])
    low = float(row.get("ci_low", np.nan))
    high = float(row.get("ci_high", np.nan))
    record |= {"n": n, "value": value, "ci_low": low, "ci_high": high}
    if n == 0:
        return record | {"state": "no_data"}
    mapped = emotion_scale(value, kpi, rating_scale=rating_scale, settings=settings)
    if mapped is None:
        return record | {"state": "not_comparable"}
    ends = [
        emotion_scale(v, kpi, rating_scale=rating_scale, settings=settings) for v in (low, high)
    ]
    finite_ends = [e for e in ends if e is not None and math.isfinite(e)]
    if len(finite_ends) == 2:
        record |= {"mapped_low": min(finite_ends), "mapped_high": max(finite_ends)}
    record["mapped"] = mapped
    return record | {"state": "small_n" if n < min_n else "measured"}


def largest_gaps(measured: pd.DataFrame, *, top: int = GAPS_SHOWN) -> pd.DataFrame:
    """The largest gaps between belief and evidence, largest first.

    A touchpoint qualifies when its measurement rests on enough answers (state ``measured``),
    the believed emotion lies outside the measurement's interval mapped onto the emotion scale,
    and |gap| ≥ :data:`GAP_MIN`. Ties keep the journey's order.
    """
    data = measured[measured["state"] == "measured"]
    outside = (data["emotion"] < data["mapped_low"]) | (data["emotion"] > data["mapped_high"])
    data = data[outside & (data["gap"].abs() >= GAP_MIN)]
    data = data.assign(size=data["gap"].abs())
    ordered = data.sort_values(["size", "order"], ascending=[False, True], kind="stable")
    return ordered.drop(columns="size").head(top)


def rank_pain_points(measured: pd.DataFrame) -> pd.DataFrame:
    """Every pain point of the map, most urgent first.

    Rule, in this order:

    1. pain points at a moment of truth first (customers are won or lost there);
    2. then by the touchpoint's measured value on the emotion scale, lowest first — only
       measurements resting on enough answers (state ``measured``) count; pain points whose
       touchpoint has none come after the measured ones;
    3. then by the emotion the workshop believes, lowest first;
    4. then in journey order.

    Returns
    -------
    pandas.DataFrame
        ``rank`` (1, 2 …), ``pain_point`` and the touchpoint's map and measurement columns.
    """
    rows = []
    for _, row in measured.iterrows():
        for text in row["pain_points"]:
            rows.append({**row.to_dict(), "pain_point": text})
    columns = ["rank", "pain_point", *measured.columns]
    if not rows:
        return pd.DataFrame(columns=columns)
    data = pd.DataFrame(rows)
    reliable = data["state"] == "measured"
    data["_mot"] = ~data["moment_of_truth"].astype(bool)
    data["_unmeasured"] = ~reliable
    data["_value"] = np.where(reliable, data["mapped"].astype(float), 0.0)
    data = data.sort_values(
        ["_mot", "_unmeasured", "_value", "emotion", "order"], kind="stable"
    ).reset_index(drop=True)
    data["rank"] = np.arange(1, len(data) + 1)
    return data[columns]


@dataclass(frozen=True)
class Department:
    """What one department owns in the workbook.

    Attributes
    ----------
    name
        The department.
    touchpoints
        Names of the touchpoints it owns.
    pain_points
        The pain points of those touchpoints.
    goals
        Titles of the goals it owns.
    actions
        Its actions (title, status).
    overdue
        How many of its actions are overdue.
    """

    name: str
    touchpoints: tuple[str, ...]
    pain_points: tuple[str, ...]
    goals: tuple[str, ...]
    actions: tuple[Action, ...]
    overdue: int


def department_view(
    content: Content, rows: pd.DataFrame, *, departments: Sequence[str] = ()
) -> list[Department]:
    """Per department: its touchpoints and their pain points (of ``rows``), goals and actions.

    Departments come in the workspace's order (``departments``), then any other owner in order
    of appearance; departments that own nothing are left out.
    """
    owners = list(dict.fromkeys([*departments, *rows["owner"]]))
    owners += [o for o in (*(g.owner for g in content.goals), *(a.owner for a in content.actions))]
    result = []
    for name in dict.fromkeys(owners):
        mine = rows[rows["owner"] == name]
        actions = tuple(a for a in content.actions if a.owner == name)
        late = sum(1 for a in actions if a.status not in CLOSED and a.due < content.today)
        department = Department(
            name=name,
            touchpoints=tuple(mine["touchpoint"]),
            pain_points=tuple(p for points in mine["pain_points"] for p in points),
            goals=tuple(g.title for g in content.goals if g.owner == name),
            actions=actions,
            overdue=late,
        )
        if department.touchpoints or department.goals or department.actions:
            result.append(department)
    return result
