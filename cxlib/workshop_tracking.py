"""Each goal's KPI over time: series, current value, progress, projection and action effects.

:func:`track_goal` turns a goal and the (period- and segment-filtered) data into a
:class:`Tracking`: the KPI by month or quarter with intervals, the latest complete period,
the share of the way from baseline to target, the status of :func:`cxlib.goals.project` and
the SMART check. :func:`action_effect` measures a done action: the KPI in equal windows before
and after its ``done_on`` with a significance test.

Numbers and message ids only; :mod:`cxlib.workshop_sections` shows them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxlib._stats import first_binomial_k, mann_whitney
from cxlib.actions import Action
from cxlib.errors import CxError
from cxlib.goals import Goal, Projection, SmartItem, project, smart_check, usual_variation
from cxlib.kpis import Kpi, Settings, kpi_results, to_rows
from cxlib.metrics import MIN_N, compare
from cxlib.periods import Period, parse_period
from cxlib.rules import Rules

#: The timestamp that places a row of each table in time.
TIME_COLUMN = {"responses": "submitted_at", "employees": "submitted_at", "tickets": "created_at"}
#: Tables whose KPIs have no series over time yet (see :func:`cxlib.kpis.kpi_results`).
NO_SERIES = ("orders", "customers")
#: A monthly series needs at least this many months …
MIN_MONTHS = 6
#: … and its median month at least :data:`~cxlib.metrics.MIN_N` answers; else quarters.
#: The projection uses the last this many complete periods (one year, two years).
WINDOW = {"month": 12, "quarter": 8}
#: Months before and after an action's ``done_on`` that its effect compares.
EFFECT_MONTHS = 3
ALPHA = 0.05
#: The tests :func:`action_effect` uses (label ``steps.test.<test>``).
TESTS = ("nps_z", "proportions_z", "means_z", "mann_whitney")
_HOURS_END = {"first_response_hours": "first_response_at", "resolution_hours": "resolved_at"}


def median_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """Distribution-free confidence interval for a median from order statistics.

    With the n values sorted x₍₁₎ ≤ … ≤ x₍ₙ₎, B ~ Binomial(n, ½) and a = 1 − confidence, take
    the largest j with P(B ≤ j − 1) < a/2; then [x₍ⱼ₎, x₍ₙ₋ⱼ₊₁₎] covers the median with
    probability 1 − 2·P(B ≤ j − 1) ≥ 1 − a, whatever the distribution (Conover 1999,
    "Practical Nonparametric Statistics", 3rd ed., §3.2; Hollander, Wolfe & Chicken 2014, §3.6).
    For n = 10 at 95 % this is [x₍₂₎, x₍₉₎] (coverage 97.9 %).

    Returns
    -------
    (low, high)
        NaN when n is too small for the confidence asked (n ≤ 5 at 95 %).
    """
    data = np.sort(np.asarray([v for v in values if v is not None and math.isfinite(v)], float))
    n = len(data)
    if n == 0:
        return math.nan, math.nan
    alpha = 1 - confidence
    # smallest j with P(B ≤ j) ≥ a/2, so P(B ≤ j−1) < a/2 (scipy's binom.ppf)
    j = first_binomial_k(n, 0.5, lambda cdf: cdf >= alpha / 2)
    if j < 1:
        return math.nan, math.nan
    return float(data[j - 1]), float(data[n - j])


def period_bounds(label: str) -> tuple[dt.date, dt.date]:
    """First day and first day after a ``2026-09`` or ``2026-Q3`` period label."""
    period = parse_period(label)
    assert period.start is not None and period.end is not None
    return period.start, period.end


def months_later(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier, when negative); month ends kept."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def choose_grain(monthly: pd.DataFrame) -> str:
    """``month`` when the monthly series has ≥ 6 months and its median month ≥ 30 answers.

    Otherwise ``quarter``: quarters pool three months of answers, so that a KPI with little
    data is tracked with usable intervals rather than noise.
    """
    if len(monthly) >= MIN_MONTHS and float(np.median(monthly["n"])) >= MIN_N:
        return "month"
    return "quarter"


@dataclass(frozen=True)
class Tracking:
    """A goal's KPI over time and where it stands.

    Attributes
    ----------
    goal, kpi
        The goal and its KPI (None when the catalogue lacks it).
    missing
        Why the KPI cannot be measured: (message id, parameters), or None.
    grain
        ``month`` or ``quarter`` (:func:`choose_grain`).
    series
        ``period, start, end, n, value, ci_low, ci_high, flags, complete`` — display units;
        times are medians with the interval of :func:`median_interval`.
    current
        The latest complete period's row (None when there is none).
    progress
        (current − baseline) / (target − baseline): 0 at the baseline, 1 at the target.
    projection
        :func:`cxlib.goals.project` of the last :data:`WINDOW` complete periods.
    variation
        :func:`cxlib.goals.usual_variation` of the complete quarterly series.
    smart
        :func:`cxlib.goals.smart_check` with that variation.
    """

    goal: Goal
    kpi: Kpi | None
    missing: tuple[str, dict[str, Any]] | None = None
    grain: str = "quarter"
    series: pd.DataFrame = field(default_factory=pd.DataFrame)
    current: dict[str, Any] | None = None
    progress: float | None = None
    projection: Projection | None = None
    variation: float | None = None
    smart: tuple[SmartItem, ...] = ()

    @property
    def status(self) -> str:
        """The projection's status, or ``too_few_points`` when there is none."""
        return self.projection.status if self.projection else "too_few_points"


def kpi_problem(
    kpi: Kpi | None, tables: Mapping[str, Any], kpi_id: str
) -> tuple[str, dict[str, Any]] | None:
    """Why ``kpi`` cannot be tracked on ``tables`` (message id and parameters), or None."""
    if kpi is None:
        return "steps.missing.kpi", {"kpi": kpi_id}
    if kpi.table in NO_SERIES:
        return "steps.missing.no_series", {"kpi": kpi.id}
    frame = tables.get(kpi.table)
    if frame is None:
        return "steps.missing.table", {"table": kpi.table}
    if kpi.column not in frame.columns:
        return "steps.missing.column", {"table": kpi.table, "column": kpi.column}
    if TIME_COLUMN[kpi.table] not in frame.columns:
        return "steps.missing.dates", {"table": kpi.table}
    return None


def kpi_over_time(
    kpi: Kpi,
    frame: pd.DataFrame,
    *,
    grain: str,
    settings: Settings,
    complete_until: dt.date | None,
) -> pd.DataFrame:
    """One KPI by ``grain`` with intervals (see :attr:`Tracking.series`).

    A period is ``complete`` when it ends on or before ``complete_until`` (the day after the
    newest data, or the reporting period's end).
    """
    result = kpi_results({kpi.table: frame}, [kpi], grain=grain, settings=settings)[kpi.id]
    rows = to_rows(kpi, result, by=(), period_label="")
    columns = ["period", "n", "value", "ci_low", "ci_high", "flags"]
    rows = rows[columns].reset_index(drop=True)
    if kpi.id in _HOURS_END and len(rows):
        low, high = _median_intervals(frame, kpi.id, grain, settings)
        rows["ci_low"] = [low.get(p, math.nan) for p in rows["period"]]
        rows["ci_high"] = [high.get(p, math.nan) for p in rows["period"]]
        rows["flags"] = [
            ",".join(f for f in s.split(",") if f != "no_interval") for s in rows["flags"]
        ]
    bounds = [period_bounds(p) for p in rows["period"]]
    rows["start"] = [b[0] for b in bounds]
    rows["end"] = [b[1] for b in bounds]
    rows["complete"] = [complete_until is None or b[1] <= complete_until for b in bounds]
    return rows[["period", "start", "end", *columns[1:], "complete"]]


def ticket_hours(frame: pd.DataFrame, kpi_id: str) -> pd.Series:
    """Hours from ``created_at`` to the KPI's end stamp, for tickets that have a valid one."""
    end = frame[_HOURS_END[kpi_id]]
    hours = (end - frame["created_at"]).dt.total_seconds() / 3600
    return hours[hours.notna() & (hours >= 0)].astype(float)


def _median_intervals(
    frame: pd.DataFrame, kpi_id: str, grain: str, settings: Settings
) -> tuple[dict[str, float], dict[str, float]]:
    hours = ticket_hours(frame, kpi_id)
    local = frame.loc[hours.index, "created_at"].dt.tz_convert(settings.timezone)
    if grain == "month":
        labels = [f"{y}-{m:02d}" for y, m in zip(local.dt.year, local.dt.month, strict=True)]
    else:
        labels = [
            f"{y}-Q{(m - 1) // 3 + 1}" for y, m in zip(local.dt.year, local.dt.month, strict=True)
        ]
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    for label, values in hours.groupby(np.asarray(labels, dtype=object)):
        low[str(label)], high[str(label)] = median_interval(values.to_numpy(), settings.confidence)
    return low, high


def track_goal(
    goal: Goal,
    tables: Mapping[str, Any],
    *,
    catalogue: Mapping[str, Kpi],
    settings: Settings,
    rules: Rules,
    complete_until: dt.date | None,
) -> Tracking:
    """Track one goal's KPI (see :class:`Tracking`).

    Parameters
    ----------
    tables
        Canonical tables filtered to the segment and cut at the reporting period's end.
    complete_until
        Periods ending on or before this day are complete (:func:`kpi_over_time`).
    """
    kpi = catalogue.get(goal.kpi)
    missing = kpi_problem(kpi, tables, goal.kpi)
    if missing is not None or kpi is None:
        return Tracking(goal, kpi, missing, smart=tuple(smart_check(goal, rules, variation=None)))
    frame = tables[kpi.table]
    try:
        monthly = kpi_over_time(
            kpi, frame, grain="month", settings=settings, complete_until=complete_until
        )
        quarterly = kpi_over_time(
            kpi, frame, grain="quarter", settings=settings, complete_until=complete_until
        )
    except CxError as error:
        problem = ("steps.missing.failed", {"problem": error.one_line()})
        return Tracking(goal, kpi, problem, smart=tuple(smart_check(goal, rules, variation=None)))
    variation = usual_variation(quarterly.loc[quarterly["complete"], "value"].tolist())
    smart = tuple(smart_check(goal, rules, variation=variation))
    grain = choose_grain(monthly[monthly["complete"]])
    series = monthly if grain == "month" else quarterly
    complete = series[series["complete"] & (series["n"] > 0)]
    if complete.empty:
        problem = ("steps.missing.no_complete", {})
        return Tracking(goal, kpi, problem, grain, series, variation=variation, smart=smart)
    current = complete.iloc[-1].to_dict()
    progress = None
    if goal.baseline is not None and goal.target != goal.baseline:
        progress = (float(current["value"]) - goal.baseline) / (goal.target - goal.baseline)
    recent = complete.tail(WINDOW[grain])
    points = [
        (start + (end - start) / 2, float(value))
        for start, end, value in zip(recent["start"], recent["end"], recent["value"], strict=True)
    ]
    direction = "increase" if kpi.higher_is_better else "decrease"
    projection = project(points, deadline=goal.deadline, target=goal.target, direction=direction)
    return Tracking(goal, kpi, None, grain, series, current, progress, projection, variation, smart)


@dataclass(frozen=True)
class Window:
    """The KPI in one window of time: ``[start, end)``, n, value and its interval."""

    start: dt.date
    end: dt.date
    n: int
    value: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Effect:
    """A done action's measured effect on its goal's KPI.

    Attributes
    ----------
    action, kpi
        The action and the KPI of its goal.
    missing
        Why no effect can be measured (message id, parameters), or None.
    test
        One of :data:`TESTS`.
    before, after
        The KPI in the :data:`EFFECT_MONTHS` months before ``done_on`` and from it on.
    change
        after − before in display units (NPS points, percentage points, hours, scale points).
    statistic, p_value
        The test's statistic (z, or Mann–Whitney's U) and two-sided p-value.
    flags
        ``small_n`` (a window with fewer than 30 answers), ``after_short`` (the data do not yet
        cover the whole window after).
    """

    action: Action
    kpi: Kpi | None
    missing: tuple[str, dict[str, Any]] | None = None
    test: str = ""
    before: Window | None = None
    after: Window | None = None
    change: float = math.nan
    statistic: float = math.nan
    p_value: float = math.nan
    flags: tuple[str, ...] = ()


def action_effect(
    action: Action,
    kpi: Kpi | None,
    tables: Mapping[str, Any],
    *,
    settings: Settings,
    data_until: dt.date | None,
    months: int = EFFECT_MONTHS,
) -> Effect:
    """The KPI in ``months`` before and after a done action, and whether it changed.

    Windows (local calendar days): before = [done_on − months, done_on), after = [done_on,
    done_on + months), the latter cut at ``data_until`` (the day after the newest data or the
    reporting period's end; flag ``after_short``). Tests, two-sided:

    * NPS: z = (NPS₁ − NPS₂) / √(Var₁ + Var₂), Var = [p + d − (p − d)²]/n (DESIGN.md; Rocks
      2016) — :func:`cxlib.metrics.compare`;
    * shares (CSAT, CES agreeing, SLA …): the pooled two-proportion z-test (Agresti 2013,
      §3.1; statsmodels ``proportions_ztest``) — :func:`cxlib.metrics.compare`;
    * means (ratings, CES mean): z = (x̄₁ − x̄₂)/√(s₁²/n₁ + s₂²/n₂), the large-sample Welch
      test — :func:`cxlib.metrics.compare`;
    * times (hours, skewed): the Mann–Whitney U test on the tickets' times, normal
      approximation with tie correction (Mann & Whitney 1947, Ann. Math. Statist. 18;
      ``scipy.stats.mannwhitneyu``); the change is the difference of the medians, each with
      the interval of :func:`median_interval`.
    """
    if kpi is None:
        return Effect(action, kpi, ("steps.missing.kpi", {"kpi": ""}))
    problem = kpi_problem(kpi, tables, kpi.id)
    if problem is not None:
        return Effect(action, kpi, problem)
    done = action.done_on
    assert done is not None
    start, end = months_later(done, -months), months_later(done, months)
    flags = []
    if data_until is not None and data_until < end:
        end = data_until
        flags.append("after_short")
    if end <= done:
        return Effect(action, kpi, ("steps.effects.no_data_after", {}))
    frame = tables[kpi.table]
    if kpi.id in _HOURS_END:
        return _time_effect(action, kpi, frame, (start, done, end), settings, tuple(flags))
    before_p, after_p = Period("before", start, done), Period("after", done, end)
    before = kpi_results({kpi.table: frame}, [kpi], period=before_p, settings=settings)[kpi.id]
    after = kpi_results({kpi.table: frame}, [kpi], period=after_p, settings=settings)[kpi.id]
    b, a = before.iloc[0], after.iloc[0]
    if int(b["n"]) == 0 or int(a["n"]) == 0:
        return Effect(action, kpi, ("steps.effects.no_data_window", {}))
    result = compare(after, before).iloc[0]
    test = {"nps": "nps_z", "percent": "proportions_z"}.get(kpi.unit, "means_z")
    if min(int(a["n"]), int(b["n"])) < settings.min_n:
        flags.append("small_n")
    return Effect(
        action,
        kpi,
        None,
        test,
        _window(start, done, b),
        _window(done, end, a),
        float(result["change"]),
        float(result["z"]),
        float(result["p_value"]),
        tuple(flags),
    )


def _window(start: dt.date, end: dt.date, row: pd.Series) -> Window:
    return Window(
        start,
        end,
        int(row["n"]),
        float(row["value"]),
        float(row["ci_low"]),
        float(row["ci_high"]),
    )


def _time_effect(
    action: Action,
    kpi: Kpi,
    frame: pd.DataFrame,
    days: tuple[dt.date, dt.date, dt.date],
    settings: Settings,
    flags: tuple[str, ...],
) -> Effect:
    start, done, end = days
    hours = ticket_hours(frame, kpi.id)
    local = frame.loc[hours.index, "created_at"].dt.tz_convert(settings.timezone)
    day = local.dt.tz_localize(None).dt.normalize()
    stamp = {name: pd.Timestamp(value) for name, value in zip("sde", days, strict=True)}
    before = hours[(day >= stamp["s"]) & (day < stamp["d"])].to_numpy()
    after = hours[(day >= stamp["d"]) & (day < stamp["e"])].to_numpy()
    if len(before) == 0 or len(after) == 0:
        return Effect(action, kpi, ("steps.effects.no_data_window", {}))
    statistic, p_value = mann_whitney(after, before)
    windows = []
    for values, (a, b) in ((before, (start, done)), (after, (done, end))):
        low, high = median_interval(values, settings.confidence)
        windows.append(Window(a, b, len(values), float(np.median(values)), low, high))
    if min(len(before), len(after)) < settings.min_n:
        flags = (*flags, "small_n")
    return Effect(
        action,
        kpi,
        None,
        "mann_whitney",
        windows[0],
        windows[1],
        windows[1].value - windows[0].value,
        statistic,
        p_value,
        flags,
    )
