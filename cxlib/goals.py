"""CX goals: a KPI, a target, a deadline and an owner — checked, SMART-checked and projected.

A workshop turns mission and values into goals such as "NPS from 21 to 30 by the end of 2027,
owned by customer service". :class:`Goal` holds one; :func:`validate_goal` lists what is wrong
with it, :func:`smart_check` says which SMART criteria it meets (DESIGN.md's definition) and
:func:`project` tells whether the KPI is on track to reach the target.

Every problem is a :class:`~cxlib.errors.FieldProblem` (message ids ``workshop.problem.*`` and
``workshop.smart.*`` in ``workshop.po``).
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from cxlib.errors import FieldProblem, ParameterError
from cxlib.rules import (
    ID_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Reader,
    Rules,
    check_choice,
    check_date,
    check_kpi,
    check_number,
    check_owner,
    check_text,
    check_whole,
    finite,
    optional,
    plain,
    read_date,
    read_entry,
    read_number,
    read_text,
    read_texts,
    read_whole,
)

#: The kind under which the store keeps goals.
KIND = "goal"
DIRECTIONS = ("increase", "decrease")
#: A goal may be aligned with the mission, the vision or one of the workspace's values.
ALIGNMENTS = ("mission", "vision")
#: Periods a deadline must lie ahead (:func:`smart_check`).
GRAINS = ("week", "month", "quarter", "year")
#: DESIGN.md: a SMART goal's baseline rests on at least this many answers.
MIN_BASELINE_N = 30
#: The range of a target or baseline per KPI unit (None: unbounded).
UNIT_RANGES: Mapping[str, tuple[float | None, float | None]] = {
    "nps": (-100.0, 100.0),
    "percent": (0.0, 100.0),
    "hours": (0.0, None),
    "score": (0.0, None),
}
#: The goal's status against its target (:func:`project`).
STATUSES = ("on_track", "at_risk", "off_track", "too_few_points")
#: The criteria of :func:`smart_check`, in the order it returns them.
CRITERIA = ("kpi", "baseline", "ambition", "owner", "stage", "deadline")

_PROBLEM = "workshop.problem."
_SMART = "workshop.smart."


@dataclass(frozen=True)
class Goal:
    """One CX goal.

    Attributes
    ----------
    title
        What the goal is, in the workshop's words.
    kpi
        Id of the KPI it is measured with (:func:`cxlib.kpis.catalogue`).
    target
        The KPI's value to reach by ``deadline``, in display units (NPS points, percent, hours).
    direction
        ``increase`` or ``decrease``; it must agree with the KPI's direction.
    deadline
        When the target is to be reached.
    owner
        The department that owns the goal.
    baseline, baseline_n
        The KPI's value when the goal was set, and the number of answers it rests on.
    stages
        Ids of the journey stages the goal is about.
    aligned_with
        ``mission``, ``vision``, one of the workspace's values, or empty.
    description
        Free text: why, and how the team means to get there.
    id
        Given by the store.
    """

    KIND: ClassVar[str] = KIND

    title: str
    kpi: str
    target: float
    direction: str
    deadline: dt.date
    owner: str
    baseline: float | None = None
    baseline_n: int | None = None
    stages: tuple[str, ...] = ()
    aligned_with: str = ""
    description: str = ""
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The goal as a JSON- and YAML-safe dict (ISO dates, lists)."""
        return plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Goal:
        """Read a goal from a dict; :class:`~cxlib.errors.ValidationError` lists every problem.

        Only the shape is checked here (fields, types, dates); :func:`validate_goal` checks the
        values.
        """
        return read_entry(KIND, cls, data, _READERS)


_READERS: Mapping[str, Reader] = {
    "title": read_text,
    "kpi": read_text,
    "target": read_number,
    "direction": read_text,
    "deadline": read_date,
    "owner": read_text,
    "baseline": optional(read_number),
    "baseline_n": optional(read_whole),
    "stages": read_texts,
    "aligned_with": read_text,
    "description": read_text,
    "id": read_text,
}


def validate_goal(goal: Goal, rules: Rules, *, previous: Goal | None = None) -> list[FieldProblem]:
    """Every problem of a goal's values.

    Parameters
    ----------
    goal
        The goal as entered.
    rules
        The catalogue, departments, values and today's date.
    previous
        The stored version when an existing goal is edited: a deadline that has passed stays
        acceptable as long as it is unchanged, so an old goal can still be edited.

    Returns
    -------
    list of FieldProblem
        Empty when the goal may be saved. Checked: title (required, at most
        :data:`~cxlib.rules.TITLE_MAX` characters, no markup), description, the KPI (in the
        catalogue, with the closest id suggested), target and baseline (finite, inside the KPI
        unit's range), direction (one of :data:`DIRECTIONS`, agreeing with the KPI), the target
        on the right side of the baseline, the deadline (after ``rules.today`` unless unchanged
        from ``previous``), owner, stages, ``aligned_with``.
    """
    problems = check_text("title", goal.title, required=True, max_length=TITLE_MAX)
    problems += check_text("description", goal.description, required=False, max_length=TEXT_MAX)
    problems += check_kpi("kpi", goal.kpi, rules, required=True)
    kpi = rules.kpis.get(goal.kpi) if isinstance(goal.kpi, str) else None
    low, high = UNIT_RANGES.get(kpi.unit, (None, None)) if kpi is not None else (None, None)
    problems += check_number("target", goal.target, low=low, high=high)
    if goal.baseline is not None:
        problems += check_number("baseline", goal.baseline, low=low, high=high)
    if goal.baseline_n is not None:
        problems += check_whole("baseline_n", goal.baseline_n)
    direction_problems = check_choice("direction", goal.direction, DIRECTIONS)
    direction_ok = not direction_problems
    problems += direction_problems
    wanted = "increase" if kpi is None or kpi.higher_is_better else "decrease"
    if direction_ok and kpi is not None and goal.direction != wanted:
        msgid = (
            "direction_higher_is_better" if kpi.higher_is_better else "direction_lower_is_better"
        )
        problems.append(FieldProblem.of("direction", _PROBLEM + msgid, kpi=kpi.id))
    # the KPI's own direction wins over a wrong one typed in (reported above)
    direction = wanted if kpi is not None else goal.direction if direction_ok else None
    target, baseline = finite(goal.target), finite(goal.baseline)
    if direction is not None and target is not None and baseline is not None:
        if direction == "increase" and target <= baseline:
            problems.append(
                FieldProblem.of("target", _PROBLEM + "target_not_above_baseline", baseline=baseline)
            )
        if direction == "decrease" and target >= baseline:
            problems.append(
                FieldProblem.of("target", _PROBLEM + "target_not_below_baseline", baseline=baseline)
            )
    unchanged = previous is not None and previous.deadline == goal.deadline
    problems += check_date(
        "deadline",
        goal.deadline,
        after=None if unchanged else rules.today,
        msgid=_PROBLEM + "deadline_passed",
    )
    problems += check_owner("owner", goal.owner, rules)
    problems += _check_stages(goal.stages)
    alignments = (*ALIGNMENTS, *rules.values)
    if goal.aligned_with != "":
        problems += check_choice("aligned_with", goal.aligned_with, alignments)
    problems += check_text("id", goal.id, required=False, max_length=ID_MAX)
    return problems


def _check_stages(stages: object) -> list[FieldProblem]:
    if not isinstance(stages, tuple | list):
        return [FieldProblem.of("stages", _PROBLEM + "not_a_list")]
    problems = []
    for index, stage in enumerate(stages):
        problems += check_text(f"stages[{index}]", stage, required=True, max_length=ID_MAX)
    if len(set(s for s in stages if isinstance(s, str))) < len(stages):
        problems.append(FieldProblem.of("stages", _PROBLEM + "duplicate"))
    return problems


# ---------------------------------------------------------------------------------------------
# SMART


@dataclass(frozen=True)
class SmartItem:
    """One criterion of the SMART check.

    Attributes
    ----------
    criterion
        One of :data:`CRITERIA`; its label is ``workshop.smart.<criterion>``.
    ok
        Whether the goal meets it.
    problem
        What is missing (None when ``ok``).
    """

    criterion: str
    ok: bool
    problem: FieldProblem | None = None


def usual_variation(values: Sequence[float]) -> float | None:
    """The KPI's usual period-to-period variation: the root mean square successive difference.

    .. math:: \\mathrm{RMSSD} = \\sqrt{\\frac{1}{n-1}\\sum_{i=2}^{n} (x_i - x_{i-1})^2}

    for the KPI's values :math:`x_1 … x_n` in consecutive periods (von Neumann et al. 1941,
    "Distribution of the ratio of the mean square successive difference to the variance",
    Ann. Math. Statist. 12(4)). It is how far the KPI typically moves from one period to the
    next — noise and drift together, so a trend the KPI follows anyway counts as usual. For
    values that vary at random around a level it is about √2 times their standard deviation.

    Parameters
    ----------
    values
        The KPI per period, oldest first; missing periods (NaN, None) are left out.

    Returns
    -------
    float or None
        None with fewer than 3 periods (too few to say what is usual).
    """
    kept = [float(v) for v in values if v is not None and finite(v) is not None]
    if len(kept) < 3:
        return None
    steps = [b - a for a, b in itertools.pairwise(kept)]
    return math.sqrt(math.fsum(s * s for s in steps) / len(steps))


def period_after(day: dt.date, grain: str) -> dt.date:
    """The same day one ``grain`` later (month ends kept: 31 Jan + 1 month = 28/29 Feb).

    Raises
    ------
    ParameterError
        For a grain other than :data:`GRAINS`.
    """
    if grain not in GRAINS:
        raise ParameterError(
            f"grain must be one of {', '.join(GRAINS)}; got {grain!r}.",
            hint="Use the grain the KPI is tracked by.",
        )
    if grain == "week":
        return day + dt.timedelta(days=7)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def smart_check(
    goal: Goal, rules: Rules, *, variation: float | None, grain: str = "quarter"
) -> list[SmartItem]:
    """Which SMART criteria a goal meets (DESIGN.md's definition).

    "A goal is SMART when its KPI is in the catalogue, its baseline rests on ≥ 30 answers, its
    target lies beyond the KPI's usual period-to-period variation, it names an owner, a journey
    stage and a deadline at least one period ahead."

    Parameters
    ----------
    goal
        The goal.
    rules
        The catalogue, departments and today's date.
    variation
        The KPI's usual period-to-period variation (:func:`usual_variation` of its series by
        ``grain``), None when it is not known.
    grain
        The period of the KPI series: ``week``, ``month``, ``quarter`` or ``year``.

    Returns
    -------
    list of SmartItem
        One per criterion of :data:`CRITERIA`, in that order:

        - ``kpi``: the KPI is in ``rules.kpis``;
        - ``baseline``: a baseline is given and ``baseline_n`` ≥ :data:`MIN_BASELINE_N`;
        - ``ambition``: the target moves past the baseline, in the goal's direction, by more than
          ``variation`` (unknown variation or no baseline: not met, and the problem says why);
        - ``owner``: an owner is named (and is a workspace department, when there are any);
        - ``stage``: at least one journey stage is named;
        - ``deadline``: the deadline is at least one period after ``rules.today``.
    """
    earliest = period_after(rules.today, grain)
    kpi_problems = check_kpi("kpi", goal.kpi, rules, required=True)
    baseline = finite(goal.baseline)
    target = finite(goal.target)
    owner_named = not check_owner("owner", goal.owner, rules)
    return [
        _item("kpi", kpi_problems[0] if kpi_problems else None),
        _item("baseline", _baseline_problem(goal, baseline)),
        _item("ambition", _ambition_problem(goal, target, baseline, variation)),
        _item("owner", None if owner_named else _smart("owner", "missing")),
        _item("stage", None if _names_a_stage(goal.stages) else _smart("stage", "missing")),
        _item("deadline", _deadline_problem(goal.deadline, earliest)),
    ]


def _item(criterion: str, problem: FieldProblem | None) -> SmartItem:
    return SmartItem(criterion, problem is None, problem)


def _smart(criterion: str, what: str, field: str = "", **params: object) -> FieldProblem:
    return FieldProblem.of(field or criterion, f"{_SMART}{criterion}.{what}", **params)


def _baseline_problem(goal: Goal, baseline: float | None) -> FieldProblem | None:
    if baseline is None:
        return _smart("baseline", "missing")
    n = goal.baseline_n
    if not isinstance(n, int) or isinstance(n, bool):
        return _smart("baseline", "no_n", "baseline_n", min=MIN_BASELINE_N)
    if n < MIN_BASELINE_N:
        return _smart("baseline", "too_few", "baseline_n", n=n, min=MIN_BASELINE_N)
    return None


def _ambition_problem(
    goal: Goal, target: float | None, baseline: float | None, variation: float | None
) -> FieldProblem | None:
    if target is None or baseline is None:
        return _smart("ambition", "no_baseline", "target")
    if variation is None or finite(variation) is None:
        return _smart("ambition", "no_variation", "target")
    if goal.direction not in DIRECTIONS:
        return _smart("ambition", "no_direction", "direction")
    change = (target - baseline) if goal.direction == "increase" else (baseline - target)
    if change <= 0:
        return _smart("ambition", "wrong_direction", "target")
    if change <= variation:
        # rounded as a person reads them; the form shows the exact numbers beside the goal
        return _smart(
            "ambition",
            "within_variation",
            "target",
            change=round(change, 2),
            variation=round(variation, 2),
        )
    return None


def _names_a_stage(stages: object) -> bool:
    return isinstance(stages, tuple | list) and any(
        isinstance(s, str) and s.strip() for s in stages
    )


def _deadline_problem(deadline: object, earliest: dt.date) -> FieldProblem | None:
    if not isinstance(deadline, dt.date) or isinstance(deadline, dt.datetime):
        return _smart("deadline", "missing")
    if deadline < earliest:
        return _smart("deadline", "too_soon", earliest=earliest)
    return None


# ---------------------------------------------------------------------------------------------
# projection


@dataclass(frozen=True)
class Projection:
    """Where the KPI is heading at the goal's deadline.

    Attributes
    ----------
    value
        The projected KPI at the deadline (None with too few points).
    low, high
        The prediction interval around it.
    status
        One of :data:`STATUSES`; its label is ``workshop.goal_status.<status>``.
    n_points
        How many periods the projection rests on.
    """

    value: float | None
    low: float | None
    high: float | None
    status: str
    n_points: int


def project(
    points: Sequence[tuple[dt.date, float]],
    *,
    deadline: dt.date,
    target: float,
    direction: str,
    level: float = 0.9,
) -> Projection:
    """Project the KPI linearly to the deadline and compare its interval with the target.

    DESIGN.md: "on track / at risk / off track: a linear projection of the KPI with its
    interval, compared with the target at the deadline (interval above target / straddling /
    below, for higher-is-better)".

    The KPI :math:`y` is regressed on time :math:`x` (days) by ordinary least squares; the
    prediction interval of a new observation at the deadline :math:`x_0` is

    .. math:: \\hat y_0 \\pm t_{(1+\\text{level})/2,\\,n-2}\\; s
              \\sqrt{1 + \\frac{1}{n} + \\frac{(x_0 - \\bar x)^2}{S_{xx}}}

    with :math:`s^2 = \\sum (y_i - \\hat y_i)^2 / (n - 2)` and
    :math:`S_{xx} = \\sum (x_i - \\bar x)^2` (Montgomery, Peck & Vining, *Introduction to Linear
    Regression Analysis*, 5th ed., §2.5, eq. 2.45; statsmodels'
    ``OLS(...).get_prediction(...).summary_frame()`` ``obs_ci_*`` gives the same).

    Status, for ``increase`` (for ``decrease`` mirrored): ``on_track`` when the whole interval
    is at or above the target, ``off_track`` when it is wholly below, ``at_risk`` when it
    straddles the target.

    Parameters
    ----------
    points
        (period date, KPI value) pairs, in any order; non-finite values are left out.
    deadline
        The goal's deadline.
    target
        The goal's target.
    direction
        ``increase`` or ``decrease``.
    level
        Coverage of the prediction interval, strictly between 0 and 1.

    Returns
    -------
    Projection
        ``too_few_points`` with no numbers when fewer than 3 distinct dates have a value.

    Raises
    ------
    ParameterError
        For a direction other than :data:`DIRECTIONS`, a level outside (0, 1) or a target that
        is not a finite number.
    """
    if direction not in DIRECTIONS:
        raise ParameterError(
            f"direction must be one of {', '.join(DIRECTIONS)}; got {direction!r}."
        )
    if not (finite(level) is not None and 0 < level < 1):
        raise ParameterError(f"level must be between 0 and 1 (e.g. 0.9); got {level!r}.")
    if finite(target) is None:
        raise ParameterError(f"target must be a finite number; got {target!r}.")
    kept = [(day, float(value)) for day, value in points if finite(value) is not None]
    if len({day for day, _ in kept}) < 3:
        return Projection(None, None, None, "too_few_points", len(kept))

    import numpy as np

    from cxlib._stats import student_t_quantile

    origin = min(day for day, _ in kept)
    x = np.array([(day - origin).days for day, _ in kept], dtype=float)
    y = np.array([value for _, value in kept], dtype=float)
    n = len(kept)
    x_mean, y_mean = x.mean(), y.mean()
    sxx = float(np.sum((x - x_mean) ** 2))
    slope = float(np.sum((x - x_mean) * (y - y_mean))) / sxx
    intercept = y_mean - slope * x_mean
    s = math.sqrt(float(np.sum((y - intercept - slope * x) ** 2)) / (n - 2))
    x0 = float((deadline - origin).days)
    value = float(intercept + slope * x0)
    half = student_t_quantile((1 + level) / 2, n - 2) * s
    half *= math.sqrt(1 + 1 / n + (x0 - x_mean) ** 2 / sxx)
    low, high = value - half, value + half
    return Projection(value, low, high, _status(low, high, float(target), direction), n)


def _status(low: float, high: float, target: float, direction: str) -> str:
    worst, best = (low, high) if direction == "increase" else (-high, -low)
    goal = target if direction == "increase" else -target
    if worst >= goal:
        return "on_track"
    if best < goal:
        return "off_track"
    return "at_risk"
