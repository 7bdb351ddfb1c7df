"""Actions: shape, validation (due dates, done dates) and the overdue list."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlib.actions import KIND, STATUSES, Action, overdue, validate_action
from cxlib.errors import FieldProblem, ValidationError
from cxlib.i18n import catalogue
from cxlib.kpis import catalogue as kpi_catalogue
from cxlib.rules import Rules

P = "workshop.problem."
TODAY = dt.date(2026, 6, 15)
RULES = Rules(
    kpi_catalogue(), departments=("Marketing", "Customer service", "Logistics"), today=TODAY
)
XSS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")


def action(**changes: Any) -> Action:
    base = Action(
        title="Offer evening delivery slots",
        owner="Logistics",
        due=dt.date(2026, 9, 30),
        status="in_progress",
        goal_id="g1",
        touchpoint_id="t1",
        expected_effect="Delivery rating up by half a point",
        id="a1",
    )
    return dataclasses.replace(base, **changes)


def ids(problems: list[FieldProblem]) -> list[tuple[str, str]]:
    return [(p.field, p.msgid.removeprefix(P)) for p in problems]


def test_a_good_action_has_no_problems_and_round_trips() -> None:
    assert KIND == Action.KIND == "action"
    assert STATUSES == ("planned", "in_progress", "done", "dropped")
    assert validate_action(action(), RULES) == []
    data = action(done_on=dt.date(2026, 6, 1), status="done").to_dict()
    assert data["due"] == "2026-09-30" and data["done_on"] == "2026-06-01"
    assert Action.from_dict(json.loads(json.dumps(data))) == action(
        done_on=dt.date(2026, 6, 1), status="done"
    )
    assert action().to_dict()["done_on"] is None


def test_from_dict_defaults_and_shape_problems() -> None:
    read = Action.from_dict({"title": "T", "owner": "Marketing", "due": "2026-07-01"})
    assert read == Action("T", "Marketing", dt.date(2026, 7, 1))
    assert read.status == "planned" and read.done_on is None
    with pytest.raises(ValidationError, match="the action was not saved") as caught:
        Action.from_dict({"title": "T", "due": "next week", "done_on": 20260101, "stauts": "done"})
    assert ids(list(caught.value.problems)) == [
        ("stauts", "unknown_field"),
        ("owner", "required"),
        ("due", "not_a_date"),
        ("done_on", "not_a_date"),
    ]


def test_an_empty_title_and_a_10000_character_title() -> None:
    assert ids(validate_action(action(title=""), RULES)) == [("title", "required")]
    assert validate_action(action(title="x" * 10_000), RULES) == [
        FieldProblem.of("title", P + "too_long", length=10_000, max=200)
    ]


def test_a_due_date_in_the_past() -> None:
    assert validate_action(action(due=TODAY), RULES) == []
    assert validate_action(action(due=dt.date(2026, 6, 14)), RULES) == [
        FieldProblem.of("due", P + "due_passed", date=TODAY)
    ]


def test_a_late_action_stays_editable_unless_its_due_date_changes() -> None:
    late = action(due=dt.date(2026, 3, 1))
    done = dataclasses.replace(late, status="done", done_on=dt.date(2026, 6, 10))
    assert validate_action(done, RULES, previous=late) == []
    moved = dataclasses.replace(late, due=dt.date(2026, 4, 1))
    assert ids(validate_action(moved, RULES, previous=late)) == [("due", "due_passed")]


def test_done_on_only_with_status_done_and_not_in_the_future() -> None:
    assert validate_action(action(status="done", done_on=TODAY), RULES) == []
    assert validate_action(action(status="done", done_on=None), RULES) == []
    assert ids(validate_action(action(status="in_progress", done_on=TODAY), RULES)) == [
        ("done_on", "done_on_not_done")
    ]
    assert validate_action(action(status="done", done_on=dt.date(2026, 6, 16)), RULES) == [
        FieldProblem.of("done_on", P + "done_on_in_future", date=TODAY)
    ]


def test_status_and_owner() -> None:
    assert ids(validate_action(action(status="finished"), RULES)) == [("status", "not_a_choice")]
    assert ids(validate_action(action(owner="Finance"), RULES)) == [
        ("owner", "unknown_department_no_match")
    ]


MARKUP_CASES = [
    ("title", "markup"),
    ("owner", "markup"),
    ("goal_id", "markup"),
    ("touchpoint_id", "markup"),
    ("expected_effect", "markup"),
    ("id", "markup"),
    ("status", "not_a_choice"),
]


def test_the_markup_cases_cover_every_text_field() -> None:
    text_fields = {f.name for f in dataclasses.fields(Action) if f.type == "str"}
    assert text_fields == {f for f, _ in MARKUP_CASES}


@pytest.mark.parametrize("payload", XSS)
@pytest.mark.parametrize(("field", "problem"), MARKUP_CASES)
def test_markup_in_every_text_field(field: str, problem: str, payload: str) -> None:
    assert ids(validate_action(action(**{field: payload}), RULES)) == [(field, problem)]


def test_overdue_lists_open_late_actions_oldest_first() -> None:
    a = action(title="a", due=dt.date(2026, 5, 1), status="planned")
    b = action(title="b", due=dt.date(2026, 4, 1), status="in_progress")
    c = action(title="c", due=dt.date(2026, 5, 1), status="in_progress")
    done = action(title="done", due=dt.date(2026, 1, 1), status="done")
    dropped = action(title="dropped", due=dt.date(2026, 1, 1), status="dropped")
    due_today = action(title="today", due=TODAY, status="planned")
    later = action(title="later", due=dt.date(2026, 7, 1), status="planned")
    found = overdue([a, done, b, later, c, dropped, due_today], TODAY)
    assert [x.title for x in found] == ["b", "a", "c"]
    assert overdue([], TODAY) == []
    assert overdue(iter([b]), TODAY) == [b]


# --- properties ------------------------------------------------------------------------------

KNOWN = set(catalogue("en"))
FIELDS = [f.name for f in dataclasses.fields(Action)]
REQUIRED = ("title", "owner", "due")
anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.dates(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
texts = st.text(max_size=40)
actions = st.builds(
    Action,
    title=texts,
    owner=texts,
    due=st.dates(),
    status=st.sampled_from(STATUSES) | texts,
    goal_id=texts,
    touchpoint_id=texts,
    expected_effect=texts,
    done_on=st.none() | st.dates(),
    id=texts,
)


def known(problems: Any) -> bool:
    return all(p.msgid in KNOWN for p in problems)


@given(actions)
def test_round_trip(entry: Action) -> None:
    assert Action.from_dict(entry.to_dict()) == entry
    assert Action.from_dict(json.loads(json.dumps(entry.to_dict()))) == entry


@settings(max_examples=150)
@given(
    st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), anything, max_size=12)
    | st.fixed_dictionaries(
        {n: anything for n in REQUIRED},
        optional={n: anything for n in FIELDS if n not in REQUIRED},
    )
    | anything
)
def test_from_dict_raises_nothing_but_validation_error(data: Any) -> None:
    try:
        entry = Action.from_dict(data)
    except ValidationError as error:
        assert error.problems and known(error.problems)
    else:
        assert known(validate_action(entry, RULES))


@given(st.builds(Action, **{n: anything for n in FIELDS}), st.none() | actions)
def test_validation_and_overdue_never_crash_on_any_values(
    entry: Action, previous: Action | None
) -> None:
    assert known(validate_action(entry, RULES, previous=previous))
    assert overdue([entry], TODAY) in ([], [entry])
