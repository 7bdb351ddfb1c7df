"""Goals: shape, validation, the SMART check, usual variation and the on-track projection."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import math
from typing import Any

import numpy as np
import pytest
import statsmodels.api as sm
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from cxlib.errors import FieldProblem, ParameterError, ValidationError
from cxlib.goals import (
    CRITERIA,
    DIRECTIONS,
    KIND,
    MIN_BASELINE_N,
    STATUSES,
    Goal,
    SmartItem,
    period_after,
    project,
    smart_check,
    usual_variation,
    validate_goal,
)
from cxlib.i18n import catalogue
from cxlib.kpis import catalogue as kpi_catalogue
from cxlib.rules import Rules

P = "workshop.problem."
TODAY = dt.date(2026, 6, 15)
RULES = Rules(
    kpi_catalogue(["rating_delivery"]),
    departments=("Marketing", "Customer service", "Logistics"),
    values=("Honesty", "Speed"),
    today=TODAY,
)
XSS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


def goal(**changes: Any) -> Goal:
    base = Goal(
        title="Customers recommend us",
        kpi="nps",
        target=30.0,
        direction="increase",
        deadline=dt.date(2027, 3, 31),
        owner="Customer service",
        baseline=21.0,
        baseline_n=412,
        stages=("stage-1",),
        aligned_with="Honesty",
        description="Answer every complaint within a day.",
        id="g1",
    )
    return dataclasses.replace(base, **changes)


def ids(problems: list[FieldProblem]) -> list[tuple[str, str]]:
    return [(p.field, p.msgid.removeprefix(P)) for p in problems]


def test_a_good_goal_has_no_problems() -> None:
    assert KIND == Goal.KIND == "goal"
    assert DIRECTIONS == ("increase", "decrease")
    assert validate_goal(goal(), RULES) == []
    assert (
        validate_goal(goal(baseline=None, baseline_n=None, stages=(), aligned_with=""), RULES) == []
    )


# --- shape -----------------------------------------------------------------------------------


def test_to_dict_is_json_and_yaml_safe_and_round_trips() -> None:
    data = goal().to_dict()
    assert data["deadline"] == "2027-03-31" and data["stages"] == ["stage-1"]
    assert Goal.from_dict(json.loads(json.dumps(data))) == goal()
    text = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, text)
    assert Goal.from_dict(YAML(typ="safe", pure=True).load(text.getvalue())) == goal()


def test_from_dict_needs_only_the_required_fields() -> None:
    data = {
        "title": "T",
        "kpi": "csat",
        "target": 80,
        "direction": "increase",
        "deadline": "2027-01-01",
        "owner": "Marketing",
    }
    read = Goal.from_dict(data)
    assert read == Goal("T", "csat", 80.0, "increase", dt.date(2027, 1, 1), "Marketing")
    assert read.baseline is None and read.stages == () and read.id == ""


def test_from_dict_lists_every_shape_problem() -> None:
    data = {
        "title": "T",
        "kpi": "nps",
        "target": "12",
        "deadline": "31.12.2027",
        "baseline_n": True,
        "stages": "stage-1",
        "owners": "Marketing",
    }
    with pytest.raises(ValidationError, match="the goal was not saved") as caught:
        Goal.from_dict(data)
    assert caught.value.kind == "goal"
    assert ids(list(caught.value.problems)) == [
        ("owners", "unknown_field"),
        ("target", "not_a_number"),
        ("direction", "required"),
        ("deadline", "not_a_date"),
        ("owner", "required"),
        ("baseline_n", "not_a_whole_number"),
        ("stages", "not_a_list"),
    ]
    assert caught.value.problems[0].values == {"value": "owners", "suggestion": "owner"}


# --- validation ------------------------------------------------------------------------------


def test_an_empty_title() -> None:
    assert ids(validate_goal(goal(title=""), RULES)) == [("title", "required")]
    assert ids(validate_goal(goal(title="   "), RULES)) == [("title", "required")]


def test_a_10000_character_title() -> None:
    assert validate_goal(goal(title="x" * 10_000), RULES) == [
        FieldProblem.of("title", P + "too_long", length=10_000, max=200)
    ]
    assert ids(validate_goal(goal(description="x" * 2001), RULES)) == [("description", "too_long")]


def test_a_deadline_in_the_past_or_today() -> None:
    for deadline in (dt.date(2025, 12, 31), TODAY):
        assert validate_goal(goal(deadline=deadline), RULES) == [
            FieldProblem.of("deadline", P + "deadline_passed", date=TODAY)
        ]
    assert validate_goal(goal(deadline=TODAY + dt.timedelta(days=1)), RULES) == []


def test_an_old_goal_stays_editable_while_its_deadline_is_unchanged() -> None:
    old = goal(deadline=dt.date(2025, 12, 31))
    edited = dataclasses.replace(old, title="Customers recommend us more")
    assert validate_goal(edited, RULES, previous=old) == []
    moved = dataclasses.replace(old, deadline=dt.date(2026, 1, 31))
    assert ids(validate_goal(moved, RULES, previous=old)) == [("deadline", "deadline_passed")]


def test_a_kpi_not_in_the_catalogue() -> None:
    assert validate_goal(goal(kpi="nsp"), RULES) == [
        FieldProblem.of("kpi", P + "not_in_catalogue", value="nsp", suggestion="nps")
    ]
    assert ids(validate_goal(goal(kpi="happiness"), RULES)) == [
        ("kpi", "not_in_catalogue_no_match")
    ]
    assert validate_goal(goal(kpi="rating_delivery", target=4.2, baseline=3.9), RULES) == []


def test_a_target_in_the_wrong_direction() -> None:
    assert validate_goal(goal(target=15.0), RULES) == [
        FieldProblem.of("target", P + "target_not_above_baseline", baseline=21.0)
    ]
    assert ids(validate_goal(goal(target=21.0), RULES)) == [("target", "target_not_above_baseline")]
    hours = goal(kpi="first_response_hours", direction="decrease", target=30.0, baseline=24.0)
    assert validate_goal(hours, RULES) == [
        FieldProblem.of("target", P + "target_not_below_baseline", baseline=24.0)
    ]
    assert validate_goal(dataclasses.replace(hours, target=12.0), RULES) == []


def test_a_direction_against_the_kpi() -> None:
    # "increase first response hours": the hours are better when lower
    wrong = goal(kpi="first_response_hours", direction="increase", target=12.0, baseline=24.0)
    assert validate_goal(wrong, RULES) == [
        FieldProblem.of("direction", P + "direction_lower_is_better", kpi="first_response_hours")
    ]
    # the KPI's own direction decides which side of the baseline the target must be on
    assert ids(validate_goal(goal(direction="decrease", target=15.0), RULES)) == [
        ("direction", "direction_higher_is_better"),
        ("target", "target_not_above_baseline"),
    ]
    assert ids(validate_goal(goal(direction="up"), RULES)) == [("direction", "not_a_choice")]


@pytest.mark.parametrize(
    ("kpi", "target", "problem"),
    [
        ("nps", 100.0, None),
        ("nps", -100.0, None),
        ("nps", 101.0, "out_of_range"),
        ("enps", -120.0, "out_of_range"),
        ("csat", 100.0, None),
        ("csat", 100.1, "out_of_range"),
        ("churn_rate", -1.0, "out_of_range"),
        ("first_response_hours", 0.0, None),
        ("first_response_hours", -0.5, "negative"),
        ("ces_mean", -1.0, "negative"),
        ("nps", math.nan, "not_finite"),
        ("nps", math.inf, "not_finite"),
        ("nps", "30", "not_a_number"),
        ("nps", True, "not_a_number"),
    ],
)
def test_a_target_inside_the_kpi_units_range(kpi: str, target: Any, problem: str | None) -> None:
    kpi_goal = goal(kpi=kpi, target=target, baseline=None, baseline_n=None)
    if kpi in ("churn_rate", "first_response_hours"):
        kpi_goal = dataclasses.replace(kpi_goal, direction="decrease")
    expected = [] if problem is None else [("target", problem)]
    assert ids(validate_goal(kpi_goal, RULES)) == expected


def test_a_baseline_outside_the_range_and_a_negative_count() -> None:
    assert ids(validate_goal(goal(baseline=-150.0), RULES)) == [("baseline", "out_of_range")]
    assert ids(validate_goal(goal(baseline_n=-3), RULES)) == [("baseline_n", "negative")]


def test_owner_stages_and_alignment() -> None:
    assert ids(validate_goal(goal(owner=""), RULES)) == [("owner", "required")]
    assert ids(validate_goal(goal(owner="Sales"), RULES)) == [
        ("owner", "unknown_department_no_match")
    ]
    assert ids(validate_goal(goal(stages=("a", "a")), RULES)) == [("stages", "duplicate")]
    assert ids(validate_goal(goal(stages=("a", "")), RULES)) == [("stages[1]", "required")]
    for aligned in ("mission", "vision", "Speed", ""):
        assert validate_goal(goal(aligned_with=aligned), RULES) == []
    assert validate_goal(goal(aligned_with="Luck"), RULES) == [
        FieldProblem.of(
            "aligned_with",
            P + "not_a_choice",
            value="Luck",
            choices="mission, vision, Honesty, Speed",
        )
    ]


@pytest.mark.parametrize("payload", XSS)
@pytest.mark.parametrize(
    ("field", "problem"),
    [
        ("title", "markup"),
        ("description", "markup"),
        ("owner", "markup"),
        ("id", "markup"),
        ("kpi", "not_in_catalogue_no_match"),
        ("direction", "not_a_choice"),
        ("aligned_with", "not_a_choice"),
    ],
)
def test_markup_in_every_text_field(field: str, problem: str, payload: str) -> None:
    assert ids(validate_goal(goal(**{field: payload}), RULES)) == [(field, problem)]


@pytest.mark.parametrize("payload", XSS)
def test_markup_in_a_stage_reference(payload: str) -> None:
    assert ids(validate_goal(goal(stages=("ok", payload)), RULES)) == [("stages[1]", "markup")]


def test_many_problems_at_once() -> None:
    bad = goal(title="", kpi="nsp", target=150.0, deadline=dt.date(2020, 1, 1), owner="")
    assert [f for f, _ in ids(validate_goal(bad, RULES))] == ["title", "kpi", "deadline", "owner"]


# --- SMART -----------------------------------------------------------------------------------


def smart(g: Goal, variation: float | None = 3.0, grain: str = "quarter") -> dict[str, SmartItem]:
    items = smart_check(g, RULES, variation=variation, grain=grain)
    assert [i.criterion for i in items] == list(CRITERIA)
    return {i.criterion: i for i in items}


def failing(g: Goal, **options: Any) -> dict[str, str]:
    return {
        c: i.problem.msgid.removeprefix("workshop.smart.").removeprefix(P)
        for c, i in smart(g, **options).items()
        if not i.ok and i.problem is not None
    }


def test_a_smart_goal_meets_every_criterion() -> None:
    items = smart(goal())
    assert all(i.ok and i.problem is None for i in items.values())


def test_smart_kpi() -> None:
    assert failing(goal(kpi="nsp"))["kpi"] == "not_in_catalogue"
    assert smart(goal(kpi="nsp"))["kpi"].problem == FieldProblem.of(
        "kpi", P + "not_in_catalogue", value="nsp", suggestion="nps"
    )


def test_smart_baseline_rests_on_30_answers() -> None:
    assert MIN_BASELINE_N == 30
    assert failing(goal(baseline=None, baseline_n=None))["baseline"] == "baseline.missing"
    assert failing(goal(baseline_n=None))["baseline"] == "baseline.no_n"
    assert failing(goal(baseline_n=29))["baseline"] == "baseline.too_few"
    assert smart(goal(baseline_n=29))["baseline"].problem == FieldProblem.of(
        "baseline_n", "workshop.smart.baseline.too_few", n=29, min=30
    )
    assert smart(goal(baseline_n=30))["baseline"].ok


def test_smart_ambition_beyond_the_usual_variation() -> None:
    # baseline 21, target 30: a change of 9
    assert smart(goal(), variation=8.99)["ambition"].ok
    assert smart(goal(), variation=9.0)["ambition"].problem == FieldProblem.of(
        "target", "workshop.smart.ambition.within_variation", change=9.0, variation=9.0
    )
    assert failing(goal(), variation=None)["ambition"] == "ambition.no_variation"
    assert failing(goal(baseline=None))["ambition"] == "ambition.no_baseline"
    assert failing(goal(target=15.0))["ambition"] == "ambition.wrong_direction"
    assert failing(goal(direction="sideways"))["ambition"] == "ambition.no_direction"
    down = goal(kpi="first_response_hours", direction="decrease", target=12.0, baseline=24.0)
    assert smart(down, variation=11.0)["ambition"].ok
    assert not smart(down, variation=12.0)["ambition"].ok


def test_smart_owner_and_stage() -> None:
    assert failing(goal(owner=" "))["owner"] == "owner.missing"
    assert failing(goal(owner="Sales"))["owner"] == "owner.missing"
    assert failing(goal(stages=()))["stage"] == "stage.missing"
    assert failing(goal(stages=("",)))["stage"] == "stage.missing"


def test_smart_deadline_at_least_one_period_ahead() -> None:
    # today 2026-06-15: one quarter ahead is 2026-09-15
    assert smart(goal(deadline=dt.date(2026, 9, 15)))["deadline"].ok
    assert smart(goal(deadline=dt.date(2026, 9, 14)))["deadline"].problem == FieldProblem.of(
        "deadline", "workshop.smart.deadline.too_soon", earliest=dt.date(2026, 9, 15)
    )
    assert smart(goal(deadline=dt.date(2026, 6, 22)), grain="week")["deadline"].ok
    assert not smart(goal(deadline=dt.date(2026, 7, 14)), grain="month")["deadline"].ok
    assert not smart(goal(deadline=dt.date(2027, 6, 14)), grain="year")["deadline"].ok
    assert failing(goal(deadline="soon"))["deadline"] == "deadline.missing"  # type: ignore[arg-type]


def test_period_after() -> None:
    assert period_after(dt.date(2026, 1, 31), "month") == dt.date(2026, 2, 28)
    assert period_after(dt.date(2027, 12, 31), "quarter") == dt.date(2028, 3, 31)
    assert period_after(dt.date(2028, 2, 29), "year") == dt.date(2029, 2, 28)
    assert period_after(dt.date(2026, 12, 29), "week") == dt.date(2027, 1, 5)
    with pytest.raises(ParameterError, match="grain must be one of week, month, quarter, year"):
        period_after(TODAY, "day")


def test_usual_variation_is_the_root_mean_square_successive_difference() -> None:
    values = [20.0, 23.0, 19.0, 24.0, 26.0]
    by_hand = math.sqrt((3**2 + 4**2 + 5**2 + 2**2) / 4)
    assert usual_variation(values) == pytest.approx(by_hand, rel=1e-12)
    assert usual_variation(values) == pytest.approx(np.sqrt(np.mean(np.diff(values) ** 2)))
    assert usual_variation([5.0, 5.0, 5.0]) == 0.0
    assert usual_variation([20.0, math.nan, 23.0, None, 19.0]) == pytest.approx(  # type: ignore[list-item]
        math.sqrt((9 + 16) / 2)
    )
    assert usual_variation([1.0, 2.0]) is None
    assert usual_variation([1.0, math.nan, 2.0]) is None
    assert usual_variation([]) is None


def test_random_noise_has_a_variation_of_about_root_two_sigma() -> None:
    noise = np.random.default_rng(7).normal(50.0, 2.0, size=20_000)
    assert usual_variation(list(noise)) == pytest.approx(2.0 * math.sqrt(2), rel=0.02)


# --- projection ------------------------------------------------------------------------------


def months(values: list[float]) -> list[tuple[dt.date, float]]:
    """One value per month from January 2025 (months are 28–31 days apart)."""
    return [(dt.date(2025 + i // 12, i % 12 + 1, 1), v) for i, v in enumerate(values)]


def statsmodels_interval(
    points: list[tuple[dt.date, float]], deadline: dt.date, level: float
) -> tuple[float, float, float]:
    origin = points[0][0]
    x = np.array([(d - origin).days for d, _ in points], dtype=float)
    y = np.array([v for _, v in points])
    fit = sm.OLS(y, sm.add_constant(x)).fit()
    frame = fit.get_prediction(np.array([[1.0, (deadline - origin).days]])).summary_frame(
        alpha=1 - level
    )
    row = frame.iloc[0]
    return float(row["mean"]), float(row["obs_ci_lower"]), float(row["obs_ci_upper"])


@pytest.mark.parametrize(
    ("values", "deadline", "level"),
    [
        ([20.0, 22.0, 21.0, 24.0, 26.0, 25.0], dt.date(2025, 12, 31), 0.9),
        ([20.0, 22.0, 21.0], dt.date(2026, 6, 30), 0.9),
        ([61.5, 60.2, 63.9, 59.8, 62.1, 64.4, 60.0, 61.2, 65.3, 66.1], dt.date(2026, 3, 1), 0.95),
        ([30.1, 28.4, 27.9, 25.0, 24.2, 22.8, 21.5], dt.date(2025, 4, 1), 0.8),
    ],
)
def test_projection_matches_statsmodels(
    values: list[float], deadline: dt.date, level: float
) -> None:
    points = months(values)
    mean, low, high = statsmodels_interval(points, deadline, level)
    found = project(points, deadline=deadline, target=0.0, direction="increase", level=level)
    assert found.value == pytest.approx(mean, rel=1e-10, abs=1e-10)
    assert found.low == pytest.approx(low, rel=1e-10, abs=1e-10)
    assert found.high == pytest.approx(high, rel=1e-10, abs=1e-10)
    assert found.n_points == len(values)


def test_projection_ignores_order_and_missing_values() -> None:
    points = months([20.0, 22.0, 21.0, 24.0, 26.0, 25.0])
    shuffled = [*points[3:], (dt.date(2024, 12, 1), math.nan), *points[:3]]
    deadline = dt.date(2025, 12, 31)
    assert project(shuffled, deadline=deadline, target=30, direction="increase") == project(
        points, deadline=deadline, target=30, direction="increase"
    )


def test_the_three_statuses_for_higher_is_better() -> None:
    rising = months([20.0, 22.0, 21.0, 24.0, 26.0, 25.0, 28.0, 29.0])
    deadline = dt.date(2025, 12, 31)
    projection = project(rising, deadline=deadline, target=30, direction="increase")
    assert projection.low is not None and projection.high is not None
    assert projection.low < 30 < projection.high or projection.low >= 30
    below, above = projection.low - 1, projection.high + 1
    assert project(rising, deadline=deadline, target=below, direction="increase").status == (
        "on_track"
    )
    assert project(rising, deadline=deadline, target=above, direction="increase").status == (
        "off_track"
    )
    middle = (projection.low + projection.high) / 2
    assert project(rising, deadline=deadline, target=middle, direction="increase").status == (
        "at_risk"
    )


def test_an_interval_that_just_reaches_the_target_is_on_track() -> None:
    rising = months([20.0, 22.0, 21.0, 24.0, 26.0, 25.0, 28.0, 29.0])
    deadline = dt.date(2025, 12, 31)
    p = project(rising, deadline=deadline, target=0, direction="increase")
    assert p.low is not None and p.high is not None
    assert project(rising, deadline=deadline, target=p.low, direction="increase").status == (
        "on_track"
    )
    assert project(rising, deadline=deadline, target=p.high, direction="increase").status == (
        "at_risk"
    )
    assert project(rising, deadline=deadline, target=p.high, direction="decrease").status == (
        "on_track"
    )
    assert project(rising, deadline=deadline, target=p.low, direction="decrease").status == (
        "at_risk"
    )


def test_the_three_statuses_for_lower_is_better() -> None:
    falling = months([30.1, 28.4, 27.9, 25.0, 24.2, 22.8, 21.5])
    deadline = dt.date(2025, 12, 1)
    p = project(falling, deadline=deadline, target=0, direction="decrease")
    assert p.low is not None and p.high is not None
    status = {
        "on_track": p.high + 1,  # the whole interval is below the target: good for hours
        "off_track": p.low - 1,
        "at_risk": (p.low + p.high) / 2,
    }
    for expected, target in status.items():
        assert project(falling, deadline=deadline, target=target, direction="decrease") == (
            dataclasses.replace(p, status=expected)
        )


def test_a_perfect_line_has_an_interval_of_no_width() -> None:
    weeks = [dt.date(2025, 1, 6) + dt.timedelta(weeks=i) for i in range(4)]
    line = list(zip(weeks, [10.0, 11.0, 12.0, 13.0], strict=True))
    found = project(line, deadline=dt.date(2025, 2, 3), target=13.999, direction="increase")
    assert found.status == "on_track" and found.n_points == 4
    for number in (found.value, found.low, found.high):
        assert number == pytest.approx(14.0, abs=1e-9)


def test_too_few_points_make_up_no_numbers() -> None:
    assert STATUSES == ("on_track", "at_risk", "off_track", "too_few_points")
    for points in ([], months([20.0]), months([20.0, 25.0]), months([20.0, math.nan, 25.0])):
        found = project(points, deadline=dt.date(2026, 1, 1), target=30, direction="increase")
        assert (found.value, found.low, found.high, found.status) == (
            None,
            None,
            None,
            "too_few_points",
        )
    same_day = [(dt.date(2025, 1, 1), v) for v in (1.0, 2.0, 3.0)]
    assert project(same_day, deadline=TODAY, target=3, direction="increase").n_points == 3
    assert project(same_day, deadline=TODAY, target=3, direction="increase").value is None


def test_projection_parameters_are_checked() -> None:
    points = months([20.0, 22.0, 21.0])
    with pytest.raises(ParameterError, match="direction must be one of increase, decrease"):
        project(points, deadline=TODAY, target=30, direction="up")
    with pytest.raises(ParameterError, match="level must be between 0 and 1"):
        project(points, deadline=TODAY, target=30, direction="increase", level=90)
    with pytest.raises(ParameterError, match="target must be a finite number"):
        project(points, deadline=TODAY, target=math.nan, direction="increase")


# --- properties ------------------------------------------------------------------------------

FIELDS = [f.name for f in dataclasses.fields(Goal)]
REQUIRED = ("title", "kpi", "target", "direction", "deadline", "owner")
anything = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=20)
    | st.dates()
    | st.datetimes(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
texts = st.text(max_size=40)
numbers = st.floats(allow_nan=False, allow_infinity=False)
goals = st.builds(
    Goal,
    title=texts,
    kpi=st.sampled_from(["nps", "csat", "first_response_hours", "nope"]) | texts,
    target=numbers,
    direction=st.sampled_from(DIRECTIONS) | texts,
    deadline=st.dates(),
    owner=texts,
    baseline=st.none() | numbers,
    baseline_n=st.none() | st.integers(),
    stages=st.lists(texts, max_size=4).map(tuple),
    aligned_with=texts,
    description=texts,
    id=texts,
)
KNOWN = set(catalogue("en"))


def known(problems: Any) -> bool:
    return all(p.msgid in KNOWN for p in problems)


@given(goals)
def test_round_trip(g: Goal) -> None:
    assert Goal.from_dict(g.to_dict()) == g
    assert Goal.from_dict(json.loads(json.dumps(g.to_dict()))) == g


@settings(max_examples=200)
@given(
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), anything, max_size=14)
    | st.fixed_dictionaries(
        {name: anything for name in REQUIRED},
        optional={name: anything for name in FIELDS if name not in REQUIRED},
    )
    | anything
)
def test_from_dict_raises_nothing_but_validation_error(data: Any) -> None:
    try:
        read = Goal.from_dict(data)
    except ValidationError as error:
        assert error.problems and known(error.problems)
    else:
        assert known(validate_goal(read, RULES))


@given(st.builds(Goal, **{name: anything for name in FIELDS}), st.none() | goals)
def test_validation_never_crashes_on_any_values(g: Goal, previous: Goal | None) -> None:
    assert known(validate_goal(g, RULES, previous=previous))
    items = smart_check(g, RULES, variation=2.0)
    assert known(i.problem for i in items if i.problem is not None)
    assert all(i.ok == (i.problem is None) for i in items)
