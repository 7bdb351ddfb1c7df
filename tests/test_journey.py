"""The journey map's models: journeys, stages and touchpoints — shape and validation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxlib.errors import FieldProblem, ValidationError
from cxlib.i18n import catalogue
from cxlib.journey import (
    CHANNELS,
    EMOTIONS,
    EVIDENCE,
    ITEMS_MAX,
    KINDS,
    PHASES,
    Journey,
    Stage,
    Touchpoint,
    validate_journey,
    validate_stage,
    validate_touchpoint,
)
from cxlib.kpis import catalogue as kpi_catalogue
from cxlib.rules import Rules

P = "workshop.problem."
RULES = Rules(
    kpi_catalogue(["rating_delivery"]),
    departments=("Marketing", "Customer service", "Logistics"),
    today=dt.date(2026, 6, 15),
)
XSS = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")

JOURNEY = Journey("Buying a sofa online", persona="Young family", scenario="Moving house", id="j1")
STAGE = Stage(
    "j1", "Receive", "after", customer_goal="Sofa at home on the day", position=3, id="s1"
)
TOUCHPOINT = Touchpoint(
    "s1",
    "Delivery slot e-mail",
    "email",
    "Logistics",
    emotion=-2,
    pain_points=("Slot only after payment", "No evening slots"),
    opportunities=("Pick the slot in the basket",),
    moment_of_truth=True,
    evidence="some_data",
    measure="rating_delivery",
    id="t1",
)
VALIDATE = {Journey: validate_journey, Stage: validate_stage, Touchpoint: validate_touchpoint}
EXAMPLES: dict[type, Any] = {Journey: JOURNEY, Stage: STAGE, Touchpoint: TOUCHPOINT}


def ids(problems: list[FieldProblem]) -> list[tuple[str, str]]:
    return [(p.field, p.msgid.removeprefix(P)) for p in problems]


def test_constants() -> None:
    assert (
        KINDS == (Journey.KIND, Stage.KIND, Touchpoint.KIND) == ("journey", "stage", "touchpoint")
    )
    assert PHASES == ("before", "during", "after")
    assert CHANNELS[:6] == ("web", "social", "store", "service", "app", "email")
    assert EVIDENCE == ("assumption", "some_data", "research")
    assert list(EMOTIONS) == [-2, -1, 0, 1, 2]


@pytest.mark.parametrize("model", [Journey, Stage, Touchpoint])
def test_good_entries_have_no_problems_and_round_trip(model: type) -> None:
    entry = EXAMPLES[model]
    assert VALIDATE[model](entry, RULES) == []
    data = json.loads(json.dumps(entry.to_dict()))
    assert model.from_dict(data) == entry  # type: ignore[attr-defined]


def test_touchpoint_dict_uses_lists() -> None:
    data = TOUCHPOINT.to_dict()
    assert data["pain_points"] == ["Slot only after payment", "No evening slots"]
    assert data["moment_of_truth"] is True and data["emotion"] == -2


def test_defaults_fill_what_a_form_leaves_out() -> None:
    assert Journey.from_dict({"name": "J"}) == Journey("J")
    assert Stage.from_dict({"journey_id": "j", "name": "S", "phase": "during"}).position == 0
    point = Touchpoint.from_dict({"stage_id": "s", "name": "T", "channel": "app", "owner": "HR"})
    assert (point.emotion, point.evidence, point.moment_of_truth) == (0, "assumption", False)


def test_from_dict_lists_every_shape_problem() -> None:
    data = {
        "stage_id": "s1",
        "name": 3,
        "channel": "web",
        "emotion": True,
        "pain_points": ["slow", None],
        "opportunities": "faster",
        "moment_of_truth": "yes",
        "emotions": 1,
    }
    with pytest.raises(ValidationError, match="the touchpoint was not saved") as caught:
        Touchpoint.from_dict(data)
    assert caught.value.kind == "touchpoint"
    assert ids(list(caught.value.problems)) == [
        ("emotions", "unknown_field"),
        ("name", "not_text"),
        ("owner", "required"),
        ("emotion", "not_a_whole_number"),
        ("pain_points[1]", "not_text"),
        ("opportunities", "not_a_list"),
        ("moment_of_truth", "not_yes_no"),
    ]
    with pytest.raises(ValidationError, match=r"position: workshop\.problem\.not_a_whole_number"):
        Stage.from_dict({"journey_id": "j", "name": "S", "phase": "after", "position": 1.0})
    with pytest.raises(ValidationError, match="the journey was not saved: name: "):
        Journey.from_dict({"persona": "P"})


@pytest.mark.parametrize("emotion", [-2, -1, 0, 1, 2])
def test_emotions_on_the_scale(emotion: int) -> None:
    assert validate_touchpoint(dataclasses.replace(TOUCHPOINT, emotion=emotion), RULES) == []


@pytest.mark.parametrize("emotion", [5, -3, 3, True, False, 1.0, "2", None])
def test_emotion_5_and_other_values_off_the_scale(emotion: Any) -> None:
    assert validate_touchpoint(dataclasses.replace(TOUCHPOINT, emotion=emotion), RULES) == [
        FieldProblem.of("emotion", P + "emotion", low=-2, high=2)
    ]


def test_choices_are_checked() -> None:
    assert ids(validate_stage(dataclasses.replace(STAGE, phase="later"), RULES)) == [
        ("phase", "not_a_choice")
    ]
    point = dataclasses.replace(TOUCHPOINT, channel="fax", evidence="gut feeling")
    assert ids(validate_touchpoint(point, RULES)) == [
        ("channel", "not_a_choice"),
        ("evidence", "not_a_choice"),
    ]
    assert validate_touchpoint(dataclasses.replace(TOUCHPOINT, channel="fax"), RULES)[0] == (
        FieldProblem.of(
            "channel",
            P + "not_a_choice",
            value="fax",
            choices="web, social, store, service, app, email, phone, chat, delivery, other",
        )
    )


def test_measure_is_empty_or_a_kpi_of_the_catalogue() -> None:
    for measure in ("", "csat", "rating_delivery"):
        assert validate_touchpoint(dataclasses.replace(TOUCHPOINT, measure=measure), RULES) == []
    assert validate_touchpoint(
        dataclasses.replace(TOUCHPOINT, measure="rating_delivry"), RULES
    ) == [
        FieldProblem.of(
            "measure", P + "not_in_catalogue", value="rating_delivry", suggestion="rating_delivery"
        )
    ]


def test_owner_is_a_department() -> None:
    point = dataclasses.replace(TOUCHPOINT, owner="Logistic")
    assert validate_touchpoint(point, RULES) == [
        FieldProblem.of(
            "owner",
            P + "unknown_department",
            value="Logistic",
            suggestion="Logistics",
            choices="Marketing, Customer service, Logistics",
        )
    ]
    assert ids(validate_touchpoint(dataclasses.replace(TOUCHPOINT, owner=""), RULES)) == [
        ("owner", "required")
    ]


def test_pain_points_and_opportunities() -> None:
    many = tuple(f"point {i}" for i in range(ITEMS_MAX + 1))
    assert ids(validate_touchpoint(dataclasses.replace(TOUCHPOINT, pain_points=many), RULES)) == [
        ("pain_points", "too_many")
    ]
    twenty = many[:ITEMS_MAX]
    assert validate_touchpoint(dataclasses.replace(TOUCHPOINT, opportunities=twenty), RULES) == []
    point = dataclasses.replace(TOUCHPOINT, opportunities=("ok", " ", "x" * 501))
    assert ids(validate_touchpoint(point, RULES)) == [
        ("opportunities[1]", "required"),
        ("opportunities[2]", "too_long"),
    ]


def test_required_texts_and_positions() -> None:
    assert ids(validate_journey(Journey(""), RULES)) == [("name", "required")]
    assert ids(validate_stage(Stage("", " ", "before", position=-1), RULES)) == [
        ("journey_id", "required"),
        ("name", "required"),
        ("position", "negative"),
    ]
    point = dataclasses.replace(TOUCHPOINT, stage_id="", name="")
    assert ids(validate_touchpoint(point, RULES)) == [
        ("stage_id", "required"),
        ("name", "required"),
    ]


def test_a_10000_character_name_in_each_model() -> None:
    for model, entry in EXAMPLES.items():
        long = dataclasses.replace(entry, name="x" * 10_000)
        assert VALIDATE[model](long, RULES) == [
            FieldProblem.of("name", P + "too_long", length=10_000, max=200)
        ]


def test_moment_of_truth_must_be_yes_or_no() -> None:
    point = dataclasses.replace(TOUCHPOINT, moment_of_truth=1)  # type: ignore[arg-type]
    assert ids(validate_touchpoint(point, RULES)) == [("moment_of_truth", "not_yes_no")]


MARKUP_CASES = [
    (Journey, "name", "markup"),
    (Journey, "persona", "markup"),
    (Journey, "scenario", "markup"),
    (Journey, "id", "markup"),
    (Stage, "journey_id", "markup"),
    (Stage, "name", "markup"),
    (Stage, "customer_goal", "markup"),
    (Stage, "id", "markup"),
    (Stage, "phase", "not_a_choice"),
    (Touchpoint, "stage_id", "markup"),
    (Touchpoint, "name", "markup"),
    (Touchpoint, "owner", "markup"),
    (Touchpoint, "id", "markup"),
    (Touchpoint, "channel", "not_a_choice"),
    (Touchpoint, "evidence", "not_a_choice"),
    (Touchpoint, "measure", "not_in_catalogue_no_match"),
]


def test_the_markup_cases_cover_every_text_field() -> None:
    for model in (Journey, Stage, Touchpoint):
        text_fields = {f.name for f in dataclasses.fields(model) if f.type == "str"}
        assert text_fields == {f for m, f, _ in MARKUP_CASES if m is model}, model


@pytest.mark.parametrize("payload", XSS)
@pytest.mark.parametrize(("model", "field", "problem"), MARKUP_CASES)
def test_markup_in_every_text_field(model: type, field: str, problem: str, payload: str) -> None:
    entry = dataclasses.replace(EXAMPLES[model], **{field: payload})
    assert ids(VALIDATE[model](entry, RULES)) == [(field, problem)]


@pytest.mark.parametrize("payload", XSS)
@pytest.mark.parametrize("field", ["pain_points", "opportunities"])
def test_markup_in_every_list_item(field: str, payload: str) -> None:
    point = dataclasses.replace(TOUCHPOINT, **{field: ("fine", payload)})
    assert ids(validate_touchpoint(point, RULES)) == [(f"{field}[1]", "markup")]


# --- properties ------------------------------------------------------------------------------

KNOWN = set(catalogue("en"))
anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | st.dates(),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
texts = st.text(max_size=40)
text_lists = st.lists(texts, max_size=4).map(tuple)
ENTRIES = {
    Journey: st.builds(Journey, name=texts, persona=texts, scenario=texts, id=texts),
    Stage: st.builds(
        Stage,
        journey_id=texts,
        name=texts,
        phase=st.sampled_from(PHASES) | texts,
        customer_goal=texts,
        position=st.integers(),
        id=texts,
    ),
    Touchpoint: st.builds(
        Touchpoint,
        stage_id=texts,
        name=texts,
        channel=st.sampled_from(CHANNELS) | texts,
        owner=texts,
        emotion=st.integers(),
        pain_points=text_lists,
        opportunities=text_lists,
        moment_of_truth=st.booleans(),
        evidence=st.sampled_from(EVIDENCE) | texts,
        measure=texts,
        id=texts,
    ),
}


def known(problems: Any) -> bool:
    return all(p.msgid in KNOWN for p in problems)


@pytest.mark.parametrize("model", [Journey, Stage, Touchpoint])
def test_round_trip(model: type) -> None:
    @given(ENTRIES[model])
    def round_trip(entry: Any) -> None:
        assert model.from_dict(entry.to_dict()) == entry  # type: ignore[attr-defined]
        assert model.from_dict(json.loads(json.dumps(entry.to_dict()))) == entry  # type: ignore[attr-defined]

    round_trip()


@pytest.mark.parametrize("model", [Journey, Stage, Touchpoint])
def test_from_dict_raises_nothing_but_validation_error(model: type) -> None:
    names = [f.name for f in dataclasses.fields(model)]
    required = [f.name for f in dataclasses.fields(model) if f.default is dataclasses.MISSING]

    @settings(max_examples=150)
    @given(
        st.dictionaries(st.sampled_from(names) | st.text(max_size=12), anything, max_size=12)
        | st.fixed_dictionaries(
            {n: anything for n in required},
            optional={n: anything for n in names if n not in required},
        )
        | anything
    )
    def feed(data: Any) -> None:
        try:
            entry = model.from_dict(data)  # type: ignore[attr-defined]
        except ValidationError as error:
            assert error.problems and known(error.problems)
        else:
            assert known(VALIDATE[model](entry, RULES))

    feed()


@pytest.mark.parametrize("model", [Journey, Stage, Touchpoint])
def test_validation_never_crashes_on_any_values(model: type) -> None:
    @given(st.builds(model, **{f.name: anything for f in dataclasses.fields(model)}))
    def check(entry: Any) -> None:
        assert known(VALIDATE[model](entry, RULES))

    check()
