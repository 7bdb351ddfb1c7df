"""The checks every workshop model shares: texts, choices, owners, dates, numbers and shapes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path

import pytest

from cxlib.errors import FieldProblem, ValidationError
from cxlib.i18n import LANGUAGES, Translator, catalogue
from cxlib.kpis import catalogue as kpi_catalogue
from cxlib.rules import (
    TEXT_MAX,
    TITLE_MAX,
    Rules,
    check_choice,
    check_date,
    check_kpi,
    check_number,
    check_owner,
    check_text,
    check_texts,
    check_whole,
    optional,
    plain,
    read_date,
    read_entry,
    read_number,
    read_text,
    read_texts,
    read_whole,
    read_yes_no,
    shown,
)
from cxlib.workspace import load_workspace

P = "workshop.problem."
MODEL_FILES = ("rules.py", "goals.py", "journey.py", "actions.py")


def rules(**changes: object) -> Rules:
    base = Rules(
        kpi_catalogue(["rating_delivery"]),
        departments=("Marketing", "Customer service", "Logistics"),
        values=("Honesty", "Speed"),
        today=dt.date(2026, 6, 15),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def ids(problems: list[FieldProblem]) -> list[tuple[str, str]]:
    return [(p.field, p.msgid.removeprefix(P)) for p in problems]


# --- texts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["NPS < 40", "a <-> b", "x<3", "3 < 4 > 2", "Line one\nline two\twith a tab\r\n", "Æøå ß “ok”"],
)
def test_plain_text_is_fine(text: str) -> None:
    assert check_text("title", text, required=True, max_length=TITLE_MAX) == []


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "</b>",
        "bold <b>claim</b>",
        "<!-- hidden -->",
        "<?php echo 1; ?>",
        "<svg onload=alert(1)>",
        "<IMG SRC=javascript:alert(1)>",
    ],
)
def test_markup_is_refused(text: str) -> None:
    assert ids(check_text("title", text, required=True, max_length=TITLE_MAX)) == [
        ("title", "markup")
    ]


@pytest.mark.parametrize(
    ("text", "code"),
    [("bell\x07", "U+0007"), ("nul\x00", "U+0000"), ("\x1b[31mred", "U+001B"),
     ("c1\x85", "U+0085"), ("flip\u202eevil", "U+202E"), ("iso\u2066", "U+2066"),
     ("half\ud800", "U+D800")],
)  # fmt: skip
def test_control_characters_are_refused(text: str, code: str) -> None:
    problems = check_text("name", text, required=True, max_length=TITLE_MAX)
    assert problems == [FieldProblem.of("name", P + "control_character", code=code)]


def test_required_empty_and_optional_texts() -> None:
    for empty in ("", "   ", "\n\t"):
        assert ids(check_text("title", empty, required=True, max_length=10)) == [
            ("title", "required")
        ]
        assert check_text("description", empty, required=False, max_length=10) == []


def test_a_non_string_is_refused_without_crashing() -> None:
    for value in (None, 12, 1.5, True, ["a"], {"a": 1}, b"bytes"):
        assert ids(check_text("title", value, required=False, max_length=10)) == [
            ("title", "not_text")
        ]


def test_a_10000_character_name_gives_one_too_long_problem() -> None:
    problems = check_text("name", "x" * 10_000, required=True, max_length=TITLE_MAX)
    assert problems == [FieldProblem.of("name", P + "too_long", length=10_000, max=TITLE_MAX)]
    assert TITLE_MAX == 200 and TEXT_MAX == 2000
    assert check_text("name", "x" * TITLE_MAX, required=True, max_length=TITLE_MAX) == []


def test_a_long_text_with_markup_and_a_control_character_lists_all_three() -> None:
    problems = check_text("title", "<b>" + "x" * 300 + "\x07", required=True, max_length=200)
    assert [p.msgid.removeprefix(P) for p in problems] == [
        "too_long",
        "markup",
        "control_character",
    ]


def test_lists_of_texts() -> None:
    assert check_texts("pain_points", ("slow", "late"), max_items=3, max_length=10) == []
    assert ids(check_texts("pain_points", "slow", max_items=3, max_length=10)) == [
        ("pain_points", "not_a_list")
    ]
    problems = check_texts("pain_points", ["a", "", 3, "<b>", "b"], max_items=3, max_length=10)
    assert ids(problems) == [
        ("pain_points", "too_many"),
        ("pain_points[1]", "required"),
        ("pain_points[2]", "not_text"),
        ("pain_points[3]", "markup"),
    ]
    assert problems[0].values == {"count": 5, "max": 3}


# --- choices, KPIs, owners -------------------------------------------------------------------


def test_choices() -> None:
    assert check_choice("phase", "before", ("before", "after")) == []
    assert check_choice("phase", "", ("before", "after")) == [
        FieldProblem.of("phase", P + "required")
    ]
    assert check_choice("phase", "whenever", ("before", "after")) == [
        FieldProblem.of("phase", P + "not_a_choice", value="whenever", choices="before, after")
    ]
    # an unhashable value is refused, not a TypeError
    assert ids(check_choice("phase", ["before"], ("before",))) == [("phase", "not_a_choice")]


def test_a_kpi_not_in_the_catalogue_suggests_the_closest() -> None:
    assert check_kpi("kpi", "nps", rules(), required=True) == []
    assert check_kpi("kpi", "nsp", rules(), required=True) == [
        FieldProblem.of("kpi", P + "not_in_catalogue", value="nsp", suggestion="nps")
    ]
    assert check_kpi("kpi", "rating_delivry", rules(), required=True)[0].values == {
        "value": "rating_delivry",
        "suggestion": "rating_delivery",
    }
    assert check_kpi("kpi", "happiness", rules(), required=True) == [
        FieldProblem.of("kpi", P + "not_in_catalogue_no_match", value="happiness")
    ]
    assert ids(check_kpi("kpi", "", rules(), required=True)) == [("kpi", "required")]
    assert check_kpi("measure", "", rules(), required=False) == []
    assert ids(check_kpi("kpi", 7, rules(), required=True)) == [("kpi", "not_text")]


def test_owners_are_workspace_departments_when_it_has_any() -> None:
    assert check_owner("owner", "Logistics", rules()) == []
    assert check_owner("owner", "logistic", rules()) == [
        FieldProblem.of(
            "owner",
            P + "unknown_department",
            value="logistic",
            suggestion="Logistics",
            choices="Marketing, Customer service, Logistics",
        )
    ]
    assert check_owner("owner", "Finance", rules()) == [
        FieldProblem.of(
            "owner",
            P + "unknown_department_no_match",
            value="Finance",
            choices="Marketing, Customer service, Logistics",
        )
    ]
    assert check_owner("owner", "Finance", rules(departments=())) == []
    assert ids(check_owner("owner", " ", rules())) == [("owner", "required")]
    assert ids(check_owner("owner", "<b>HR</b>", rules(departments=()))) == [("owner", "markup")]


# --- dates and numbers -----------------------------------------------------------------------


def test_dates_within_bounds() -> None:
    today = dt.date(2026, 6, 15)
    check = check_date
    assert check("deadline", dt.date(2026, 6, 16), after=today, msgid="m") == []
    assert check("deadline", today, after=today, msgid="m") == [
        FieldProblem.of("deadline", "m", date=today)
    ]
    assert check("due", today, not_before=today, msgid="m") == []
    assert check("due", dt.date(2026, 6, 14), not_before=today, msgid="m") != []
    assert check("done_on", dt.date(2026, 6, 16), not_after=today, msgid="m") != []
    assert check("done_on", dt.date(1999, 1, 1), msgid="m") == []
    for bad in ("2026-06-16", None, dt.datetime(2026, 7, 1, 12), 20260616):
        assert ids(check("deadline", bad, after=today, msgid="m")) == [("deadline", "not_a_date")]


def test_numbers() -> None:
    assert check_number("target", 40, low=-100, high=100) == []
    assert check_number("target", -100.0, low=-100, high=100) == []
    assert check_number("target", 100.5, low=-100, high=100) == [
        FieldProblem.of("target", P + "out_of_range", low=-100, high=100)
    ]
    assert ids(check_number("target", -0.5, low=0)) == [("target", "negative")]
    assert check_number("target", 1e9, low=0) == []
    for bad in ("12", True, None, [1]):
        assert ids(check_number("target", bad)) == [("target", "not_a_number")]
    for bad in (float("nan"), float("inf"), -float("inf"), 10**400):
        assert ids(check_number("target", bad)) == [("target", "not_finite")]


def test_whole_numbers() -> None:
    assert check_whole("position", 0) == []
    assert ids(check_whole("position", -1)) == [("position", "negative")]
    for bad in (True, 1.0, "1", None):
        assert ids(check_whole("position", bad)) == [("position", "not_a_whole_number")]


# --- shape: readers, read_entry, plain -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Sample:
    name: str
    when: dt.date
    score: float | None = None
    tags: tuple[str, ...] = ()
    count: int = 0
    flag: bool = False
    id: str = ""


READERS = {
    "name": read_text,
    "when": read_date,
    "score": optional(read_number),
    "tags": read_texts,
    "count": read_whole,
    "flag": read_yes_no,
    "id": read_text,
}


def test_read_entry_builds_the_dataclass_and_plain_turns_it_back() -> None:
    data = {"name": "A", "when": "2026-02-28", "score": 3, "tags": ["x", "y"], "flag": True}
    sample = read_entry("sample", Sample, data, READERS)
    assert sample == Sample("A", dt.date(2026, 2, 28), 3.0, ("x", "y"), 0, True)
    assert isinstance(sample.score, float)
    assert plain(sample) == {
        "name": "A",
        "when": "2026-02-28",
        "score": 3,
        "tags": ["x", "y"],
        "count": 0,
        "flag": True,
        "id": "",
    }
    assert read_entry("sample", Sample, plain(sample), READERS) == sample
    # YAML hands dates over as date objects
    assert read_entry("sample", Sample, {"name": "A", "when": dt.date(2026, 1, 2)}, READERS).when


def test_read_entry_lists_every_problem_of_the_shape() -> None:
    data = {
        "nmae": "A",
        "when": "2026-02-30",
        "score": "12",
        "tags": ["x", 3],
        "count": True,
        "flag": "yes",
        "zzz": 1,
    }
    with pytest.raises(ValidationError, match=r"the sample was not saved: nmae: ") as caught:
        read_entry("sample", Sample, data, READERS)
    assert caught.value.kind == "sample"
    assert ids(list(caught.value.problems)) == [
        ("nmae", "unknown_field"),
        ("zzz", "unknown_field_no_match"),
        ("name", "required"),
        ("when", "not_a_date"),
        ("score", "not_a_number"),
        ("tags[1]", "not_text"),
        ("count", "not_a_whole_number"),
        ("flag", "not_yes_no"),
    ]
    assert caught.value.problems[0].values == {"value": "nmae", "suggestion": "name"}
    assert caught.value.problems[1].values["fields"] == "name, when, score, tags, count, flag, id"


@pytest.mark.parametrize(
    "value",
    ["2026-13-01", "2026-02-30", "20260101", "2026-W01-1", "01.02.2026", "2026-01-01T10:00",
     dt.datetime(2026, 1, 1), 20260101, None],
)  # fmt: skip
def test_read_date_takes_only_iso_dates(value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        read_entry("sample", Sample, {"name": "A", "when": value}, READERS)
    assert ids(list(caught.value.problems)) == [("when", "not_a_date")]


def test_read_entry_refuses_what_is_not_a_mapping() -> None:
    for data in (None, [], "name", 3):
        with pytest.raises(ValidationError, match="not_an_entry"):
            read_entry("sample", Sample, data, READERS)


def test_a_huge_integer_is_not_a_crash() -> None:
    with pytest.raises(ValidationError, match=r"score: workshop\.problem\.not_finite"):
        read_entry("sample", Sample, {"name": "A", "when": "2026-01-01", "score": 10**400}, READERS)


def test_shown_cuts_long_values() -> None:
    assert shown("abc") == "abc" and shown(3) == "3"
    assert len(shown("x" * 10_000)) == 60 and shown("x" * 10_000).endswith("…")


# --- rules of a workspace --------------------------------------------------------------------

WORKSPACE = """\
version: 1
name: Test
timezone: {timezone}
values: [Honesty, Speed]
departments: [Marketing, Logistics]
sources:
  responses:
    path: data/answers.csv
    columns:
      nps: Q1
    ratings:
      delivery: Q2
"""


def workspace(folder: Path, timezone: str = "Europe/Berlin") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    (folder / "data" / "answers.csv").write_text("Q1,Q2\n9,4\n", encoding="utf-8")
    (folder / "workspace.yaml").write_text(WORKSPACE.format(timezone=timezone), encoding="utf-8")
    return folder


def test_rules_for_a_workspace(tmp_path: Path) -> None:
    ws = load_workspace(workspace(tmp_path))
    found = Rules.for_workspace(ws, rating_columns=["rating_check_in"], today=dt.date(2026, 1, 2))
    assert found.departments == ("Marketing", "Logistics")
    assert found.values == ("Honesty", "Speed")
    assert found.today == dt.date(2026, 1, 2)
    assert {"nps", "csat", "first_response_hours", "rating_delivery", "rating_check_in"} <= set(
        found.kpis
    )
    assert found.kpis["rating_delivery"].unit == "score"


def test_today_is_taken_in_the_workspace_time_zone(tmp_path: Path) -> None:
    # UTC+14 and UTC-12 are 26 hours apart: at any moment their dates differ by one or two days
    east = Rules.for_workspace(load_workspace(workspace(tmp_path / "e", "Pacific/Kiritimati")))
    west = Rules.for_workspace(load_workspace(workspace(tmp_path / "w", "Etc/GMT+12")))
    assert 1 <= (east.today - west.today).days <= 2


# --- messages --------------------------------------------------------------------------------


def emitted_message_ids() -> set[str]:
    """Every message id the model modules can emit, read from their source."""
    found: set[str] = set()
    folder = Path(__file__).resolve().parents[1] / "cxlib"
    for name in MODEL_FILES:
        source = (folder / name).read_text(encoding="utf-8")
        found |= {P + m for m in re.findall(r'_PROBLEM \+ "(\w+)"', source)}
        found |= {P + m for m in re.findall(r'"(direction_\w+_is_better)"', source)}
        found |= {
            f"workshop.smart.{c}.{w}"
            for c, w in re.findall(r'_smart\(\s*"(\w+)",\s*"(\w+)"', source)
        }
    return found


def test_every_emitted_message_is_in_every_catalogue() -> None:
    emitted = emitted_message_ids()
    assert len(emitted) > 35  # the scan really found the problems
    for language in LANGUAGES:
        assert emitted <= set(catalogue(language)), (language, emitted - set(catalogue(language)))


def test_labels_for_every_field_and_choice_exist() -> None:
    from cxlib import actions, goals, journey

    english = catalogue("en")
    models = (goals.Goal, journey.Journey, journey.Stage, journey.Touchpoint, actions.Action)
    for model in models:
        for spec in dataclasses.fields(model):
            assert f"workshop.field.{spec.name}" in english, (model.__name__, spec.name)
    groups = {
        "phase": journey.PHASES,
        "channel": journey.CHANNELS,
        "evidence": journey.EVIDENCE,
        "action_status": actions.STATUSES,
        "goal_status": goals.STATUSES,
        "smart": goals.CRITERIA,
        "direction": goals.DIRECTIONS,
        "aligned_with": goals.ALIGNMENTS,
    }
    for prefix, names in groups.items():
        for name in names:
            assert f"workshop.{prefix}.{name}" in english, (prefix, name)


def test_problems_read_in_each_language() -> None:
    problem = check_text("title", "x" * 250, required=True, max_length=TITLE_MAX)[0]
    texts = {lang: Translator(lang)(problem.msgid, **problem.values) for lang in LANGUAGES}
    assert texts["en"] == "This text has 250 characters; shorten it to at most 200."
    assert texts["de"] == "Dieser Text hat 250 Zeichen; kürzen Sie ihn auf höchstens 200."
    assert texts["da"] == "Teksten har 250 tegn; forkort den til højst 200."
    emotion = Translator("de")("workshop.problem.emotion")
    assert emotion == "Das Gefühl muss eine ganze Zahl von −2 bis +2 sein."
