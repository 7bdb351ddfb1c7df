"""The workshop forms without a browser: widget values set in Python, buttons clicked."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from cxlib import forms, forms_pages
from cxlib.exchange import init_workspace
from cxlib.forms_entry import EntryForm
from cxlib.forms_fields import FormContext, kpi_name
from cxlib.forms_pages import FormPage
from cxlib.i18n import Translator
from cxlib.workbook import Workbook
from cxlib.workspace import load_workspace

TODAY = dt.date(2026, 11, 22)
SCRIPT = "<script>alert(1)</script>"
Opener = Callable[..., FormPage]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A retail workspace: its journey, stages and touchpoints, no goals, no data."""
    root = tmp_path / "ws"
    init_workspace(root, template="retail", who="facilitator")
    return root


@pytest.fixture
def open_page(workspace: Path) -> Iterator[Opener]:
    """Open a page of forms as one more person would (own workbook connection)."""
    opened: list[Workbook] = []

    def open_(
        build: Callable[[FormContext], FormPage] = forms_pages.goals_page,
        *,
        who: str = "Ann",
        language: str = "en",
    ) -> FormPage:
        loaded = load_workspace(workspace, require_files=False)
        workbook = Workbook.open(loaded, today=TODAY)
        opened.append(workbook)
        page = build(FormContext(workbook, Translator(language), loaded.timezone))
        if who:
            page.editor.field.value = who
        return page

    yield open_
    for workbook in opened:
        workbook.close()


def fill_goal(form: EntryForm, **changes: Any) -> None:
    """Type a valid goal into the goals form, then ``changes`` (field → widget value)."""
    stage = form.fields["stages"].widget.options[0][1]
    values: dict[str, Any] = {
        "title": "Delivery promises kept",
        "kpi": "csat",
        "baseline": "78",
        "baseline_n": "412",
        "target": "85,5" if form.ctx.tr.language != "en" else "85.5",
        "direction": "increase",
        "deadline": dt.date(2027, 12, 31),
        "owner": "Logistics",
        "stages": (stage,),
        "aligned_with": "mission",
        "description": "Promise a two-hour slot and keep it.",
    }
    values.update(changes)
    for name, value in values.items():
        form.fields[name].widget.value = value


def goals_of(page: FormPage) -> list[Any]:
    return [entry.item for entry in page.ctx.workbook.goals()]


def problem_of(form: EntryForm, name: str) -> str:
    return str(form.fields[name].problem.value)


# --- the name ---------------------------------------------------------------------------------


def test_nothing_is_saved_before_a_name_is_given(open_page: Opener) -> None:
    page = open_page(who="")
    form = page.forms["goal"]
    fill_goal(form)
    form.save_button.click()
    assert "Give your name" in form.message.value
    assert goals_of(page) == []
    page.editor.field.value = "Ann"
    form.save_button.click()
    assert "Added “Delivery promises kept”" in form.message.value
    (stored,) = page.ctx.workbook.goals()
    assert stored.updated_by == "Ann"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("   ", "Fill in this field."),
        ("x" * 10_000, "This text has 10,000 characters; shorten it to at most 100."),
        (SCRIPT, "Plain text only"),
    ],
)
def test_a_bad_name_is_refused(open_page: Opener, name: str, expected: str) -> None:
    page = open_page(who=name)
    assert page.editor.who is None
    assert expected in page.editor.problem.value
    assert "<script>" not in page.editor.problem.value
    form = page.forms["goal"]
    fill_goal(form)
    form.save_button.click()
    assert goals_of(page) == []
    assert {change.who for change in page.ctx.workbook.store.history()} == {"facilitator"}


# --- goals --------------------------------------------------------------------------------------


def test_add_edit_delete_and_undo_a_goal(open_page: Opener) -> None:
    page = open_page()
    form = page.forms["goal"]
    fill_goal(form)
    form.save_button.click()
    (goal,) = goals_of(page)
    assert goal.target == 85.5 and goal.kpi == "csat" and goal.baseline_n == 412
    assert goal.deadline == dt.date(2027, 12, 31) and goal.aligned_with == "mission"
    assert form.listing.options == (("Delivery promises kept", goal.id),)
    assert form.listing.value == goal.id

    form.fields["target"].widget.value = "90"
    form.save_button.click()
    assert "Saved “Delivery promises kept”" in form.message.value
    entry = page.ctx.workbook.get("goal", goal.id)
    assert entry.item.target == 90.0 and entry.version == 2

    form.delete_button.click()
    assert "Deleted “Delivery promises kept”" in form.message.value
    assert goals_of(page) == [] and form.listing.options == ()

    page.undo_button.click()
    assert "Undone: deleting “Delivery promises kept” (goal)" in page.message.value
    assert [g.target for g in goals_of(page)] == [90.0]
    assert form.listing.options == (("Delivery promises kept", goal.id),)


def test_undo_of_an_add_removes_it_and_says_so(open_page: Opener) -> None:
    page = open_page()
    form = page.forms["goal"]
    fill_goal(form)
    form.save_button.click()
    page.undo_button.click()
    assert "Undone: adding “Delivery promises kept” (goal)" in page.message.value
    assert goals_of(page) == [] and form.listing.options == ()
    page.undo_button.click()  # the facilitator's template is not Ann's to undo
    assert "Ann has no change left to undo." in page.message.value


def test_picking_a_kpi_sets_its_direction(open_page: Opener) -> None:
    form = open_page().forms["goal"]
    form.fields["kpi"].widget.value = "first_response_hours"
    assert form.fields["direction"].widget.value == "decrease"
    form.fields["kpi"].widget.value = "nps"
    assert form.fields["direction"].widget.value == "increase"


def test_kpis_have_translated_names(open_page: Opener) -> None:
    options = open_page(language="de").forms["goal"].fields["kpi"].widget.options
    labels = {value: label for label, value in options}
    assert labels["csat"] == Translator("de")("kpi_name.csat")
    assert labels["nps"] == Translator("de")("kpi_name.nps")


def test_touchpoint_ratings_are_named_by_their_touchpoint() -> None:
    assert kpi_name(Translator("en"), "rating_delivery") == "Touchpoint rating: Delivery"
    assert kpi_name(Translator("da"), "csat") == Translator("da")("kpi_name.csat")


def forge_kpi(form: EntryForm) -> None:
    # what a browser with its own option list sends: a value the kernel never offered
    widget = form.fields["kpi"].widget
    widget.options = [*widget.options, ("forged", "nps_forged<script>")]
    widget.value = "nps_forged<script>"


BAD_GOALS: list[tuple[str, Callable[[EntryForm], None], str, str]] = [
    ("empty title", lambda f: fill_goal(f, title="  "), "title", "Fill in this field."),
    (
        "deadline in the past",
        lambda f: fill_goal(f, deadline=dt.date(2026, 1, 31)),
        "deadline",
        "Pick a deadline after today (22 Nov 2026).",
    ),
    (
        "kpi not in the catalogue",
        lambda f: (fill_goal(f), forge_kpi(f)),
        "kpi",
        "“nps_forged&lt;script&gt;” is not a KPI of the catalogue. Pick a KPI from the list.",
    ),
    (
        "target in the wrong direction",
        lambda f: fill_goal(f, target="70"),
        "target",
        "The target points the wrong way: set it above the baseline (78).",
    ),
    (
        "direction against the kpi",
        lambda f: fill_goal(f, kpi="csat", direction="decrease", target="70"),
        "direction",
        "Higher is better for this KPI: choose “Increase”.",
    ),
    (
        "a 10,000-character title",
        lambda f: fill_goal(f, title="x" * 10_000),
        "title",
        "This text has 10,000 characters; shorten it to at most 200.",
    ),
    (
        "a target that is no number",
        lambda f: fill_goal(f, target="eighty"),
        "target",
        "Enter a number, such as 42 or 7.5.",
    ),
    (
        "a baseline n that is not whole",
        lambda f: fill_goal(f, baseline_n="30.5"),
        "baseline_n",
        "Enter a whole number, such as 30.",
    ),
    (
        "an empty target",
        lambda f: fill_goal(f, target=""),
        "target",
        "Fill in this field.",
    ),
]


@pytest.mark.parametrize(
    ("case", "enter", "field", "expected"), BAD_GOALS, ids=[c[0] for c in BAD_GOALS]
)
def test_a_bad_goal_shows_its_problem_beside_the_field_and_stores_nothing(
    open_page: Opener,
    case: str,
    enter: Callable[[EntryForm], None],
    field: str,
    expected: str,
) -> None:
    page = open_page()
    form = page.forms["goal"]
    enter(form)
    form.save_button.click()
    assert expected in problem_of(form, field), (case, problem_of(form, field))
    assert "Not saved" in form.message.value
    assert goals_of(page) == []
    assert page.ctx.workbook.store.history(kind="goal") == []


def test_a_malformed_field_does_not_hide_the_other_problems(open_page: Opener) -> None:
    form = open_page().forms["goal"]
    fill_goal(form, target="abc", title="", deadline=dt.date(2020, 1, 1))
    form.save_button.click()
    assert "Enter a number" in problem_of(form, "target")
    assert "Fill in this field." in problem_of(form, "title")
    assert "Pick a deadline after today" in problem_of(form, "deadline")


def test_problems_are_shown_in_the_pages_language(open_page: Opener) -> None:
    form = open_page(language="de").forms["goal"]
    fill_goal(form, title="", target="80,5", baseline="81")
    form.save_button.click()
    assert "Bitte füllen Sie dieses Feld aus." in problem_of(form, "title")
    assert Translator("de")("forms.not_saved") in form.message.value
    assert "81" in problem_of(form, "target")


# --- markup and forged values on every form --------------------------------------------------


def journey_forms(page: FormPage) -> tuple[EntryForm, EntryForm, EntryForm]:
    return page.forms["journey"], page.forms["stage"], page.forms["touchpoint"]


def fill_touchpoint(form: EntryForm, **changes: Any) -> None:
    values: dict[str, Any] = {
        "name": "Delivery slot e-mail",
        "channel": "email",
        "owner": "Logistics",
        "emotion": -1,
        "pain_points": "Slot too wide\n\n  No way to change it  ",
        "opportunities": "Two-hour slots",
        "moment_of_truth": True,
        "evidence": "some_data",
        "measure": "csat",
    }
    values.update(changes)
    for name, value in values.items():
        form.fields[name].widget.value = value


def fill_action(form: EntryForm, **changes: Any) -> None:
    values: dict[str, Any] = {
        "title": "Two-hour delivery slots",
        "owner": "Logistics",
        "due": dt.date(2027, 3, 31),
        "status": "planned",
        "expected_effect": "Fewer calls about deliveries",
    }
    values.update(changes)
    for name, value in values.items():
        form.fields[name].widget.value = value


TEXT_FIELDS = [
    (forms_pages.goals_page, "goal", "title"),
    (forms_pages.goals_page, "goal", "description"),
    (forms_pages.journey_page, "journey", "name"),
    (forms_pages.journey_page, "journey", "persona"),
    (forms_pages.journey_page, "journey", "scenario"),
    (forms_pages.journey_page, "stage", "name"),
    (forms_pages.journey_page, "stage", "customer_goal"),
    (forms_pages.journey_page, "touchpoint", "name"),
    (forms_pages.journey_page, "touchpoint", "pain_points"),
    (forms_pages.journey_page, "touchpoint", "opportunities"),
    (forms_pages.actions_page, "action", "title"),
    (forms_pages.actions_page, "action", "expected_effect"),
]


def pick_stage(page: FormPage) -> EntryForm:
    """Pick the first stage of the journey map; its touchpoint form then takes input."""
    stages = page.forms["stage"]
    stages.listing.value = stages.entries[0].item.id
    return page.forms["touchpoint"]


def fill_valid(page: FormPage, kind: str) -> EntryForm:
    form = page.forms[kind]
    if kind == "goal":
        fill_goal(form)
    elif kind == "touchpoint":
        pick_stage(page)
        fill_touchpoint(form)
    elif kind == "action":
        fill_action(form)
    else:
        form.fields["name"].widget.value = f"A new {kind}"
    return form


@pytest.mark.parametrize(("build", "kind", "field"), TEXT_FIELDS)
def test_markup_in_any_text_field_is_refused_and_shown_escaped(
    open_page: Opener, build: Callable[[FormContext], FormPage], kind: str, field: str
) -> None:
    page = open_page(build)
    form = fill_valid(page, kind)
    form.fields[field].widget.value = f"Fine text {SCRIPT}"
    before = page.ctx.workbook.store.history()
    form.save_button.click()
    shown = problem_of(form, field)
    assert "Plain text only" in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "<script>" not in shown and "<script>" not in form.message.value
    assert page.ctx.workbook.store.history() == before


def test_a_forged_emotion_is_a_message_not_a_stored_value(open_page: Opener) -> None:
    page = open_page(forms_pages.journey_page)
    touchpoints = pick_stage(page)
    count = len(page.ctx.workbook.touchpoints())
    fill_touchpoint(touchpoints)
    # what the browser sends when its slider is tampered with: a larger maximum, then 5
    touchpoints.fields["emotion"].widget.set_state({"max": 5, "value": 5})
    assert touchpoints.fields["emotion"].widget.value == 5
    touchpoints.save_button.click()
    assert "Emotion must be a whole number from −2 to +2." in problem_of(touchpoints, "emotion")
    assert len(page.ctx.workbook.touchpoints()) == count


def test_a_10000_character_touchpoint_name_is_refused(open_page: Opener) -> None:
    page = open_page(forms_pages.journey_page)
    touchpoints = pick_stage(page)
    count = len(page.ctx.workbook.touchpoints())
    fill_touchpoint(touchpoints, name="n" * 10_000)
    touchpoints.save_button.click()
    assert "10,000 characters" in problem_of(touchpoints, "name")
    assert len(page.ctx.workbook.touchpoints()) == count


# --- the journey map ----------------------------------------------------------------------------


def test_journey_stage_and_touchpoint_through_the_forms(open_page: Opener) -> None:
    page = open_page(forms_pages.journey_page)
    journeys, stages, touchpoints = journey_forms(page)
    assert journeys.listing.value == journeys.entries[0].item.id  # the template's journey
    assert len(stages.listing.options) == 6
    assert touchpoints.save_button.disabled  # no stage picked yet
    assert "Pick or save a stage first" in touchpoints.status.value

    journeys.new_button.click()
    journeys.fields["name"].widget.value = "Returning a sofa"
    journeys.fields["persona"].widget.value = "Maja, 34"
    journeys.save_button.click()
    assert "Added “Returning a sofa”" in journeys.message.value
    new_journey = journeys.state.entry_id
    assert stages.parent == new_journey and stages.listing.options == ()

    stages.fields["name"].widget.value = "Ask for a return"
    assert stages.fields["position"].widget.value == "0"
    stages.save_button.click()
    (stage,) = page.ctx.workbook.stages(new_journey)
    assert stage.item.name == "Ask for a return" and stage.item.phase == "before"
    assert touchpoints.parent == stage.item.id and not touchpoints.save_button.disabled

    fill_touchpoint(touchpoints)
    touchpoints.save_button.click()
    (touchpoint,) = page.ctx.workbook.touchpoints(stage.item.id)
    assert touchpoint.item.pain_points == ("Slot too wide", "No way to change it")
    assert touchpoint.item.emotion == -1 and touchpoint.item.moment_of_truth is True
    assert touchpoint.item.measure == "csat" and touchpoint.updated_by == "Ann"

    # a stage with touchpoints cannot be deleted; the form says what uses it
    stages.delete_button.click()
    assert "Still used by 1 entries (Delivery slot e-mail)" in stages.message.value
    assert len(page.ctx.workbook.stages(new_journey)) == 1


def test_switching_entries_with_unsaved_input_is_refused_until_discarded(
    open_page: Opener,
) -> None:
    page = open_page(forms_pages.journey_page)
    journeys, stages, _touchpoints = journey_forms(page)
    first, second = stages.entries[0].item, stages.entries[1].item
    stages.listing.value = first.id
    stages.fields["name"].widget.value = "Discover (renamed)"
    stages.listing.value = second.id
    assert stages.listing.value == first.id
    assert "not saved yet" in stages.message.value
    journeys.new_button.click()  # the journey above may not switch either
    assert journeys.state.entry_id and stages.fields["name"].widget.value == "Discover (renamed)"
    (discard,) = stages.panel.children
    discard.click()
    assert stages.fields["name"].widget.value == first.name
    stages.listing.value = second.id
    assert stages.fields["name"].widget.value == second.name


# --- actions ------------------------------------------------------------------------------------


def test_an_action_linked_to_a_goal_and_a_touchpoint(open_page: Opener) -> None:
    goals_page = open_page()
    fill_goal(goals_page.forms["goal"])
    goals_page.forms["goal"].save_button.click()
    page = open_page(forms_pages.actions_page)
    form = page.forms["action"]
    goal_id = form.fields["goal_id"].widget.options[1][1]
    touchpoint_id = form.fields["touchpoint_id"].widget.options[1][1]
    fill_action(form, goal_id=goal_id, touchpoint_id=touchpoint_id, done_on=dt.date(2026, 11, 1))
    form.save_button.click()
    assert "Only a done action has a completion date" in problem_of(form, "done_on")
    form.fields["status"].widget.value = "done"
    form.save_button.click()
    (action,) = [entry.item for entry in page.ctx.workbook.actions()]
    assert (action.goal_id, action.touchpoint_id) == (goal_id, touchpoint_id)
    assert action.status == "done" and action.done_on == dt.date(2026, 11, 1)


def test_reload_shows_what_others_saved(open_page: Opener) -> None:
    mine, theirs = (
        open_page(forms_pages.actions_page),
        open_page(forms_pages.actions_page, who="Bo"),
    )
    fill_action(theirs.forms["action"])
    theirs.forms["action"].save_button.click()
    assert mine.forms["action"].listing.options == ()
    mine.reload_button.click()
    assert [label for label, _ in mine.forms["action"].listing.options] == [
        "Two-hour delivery slots"
    ]
    assert "Lists reloaded" in mine.message.value


# --- conflicts ----------------------------------------------------------------------------------


def two_editors_on_one_goal(open_page: Opener) -> tuple[EntryForm, EntryForm, str]:
    first = open_page()
    fill_goal(first.forms["goal"])
    first.forms["goal"].save_button.click()
    goal_id = first.forms["goal"].state.entry_id
    second = open_page(who="Bo")
    second.forms["goal"].listing.value = goal_id
    return first.forms["goal"], second.forms["goal"], goal_id


def test_a_stale_save_shows_both_versions_and_take_theirs_reloads(open_page: Opener) -> None:
    ann, bo, goal_id = two_editors_on_one_goal(open_page)
    ann.fields["target"].widget.value = "88"
    ann.save_button.click()
    bo.fields["target"].widget.value = "92"
    bo.save_button.click()
    assert "Someone else saved this entry (goal) since you opened it." in bo.message.value
    assert "Ann saved this goal" in bo.message.value
    table, _buttons = bo.panel.children
    assert "<td>88</td><td>92</td>" in table.value and 'class="differs"' in table.value
    assert bo.fields["target"].widget.value == "92"  # the input is kept
    stored = ann.ctx.workbook.get("goal", goal_id)
    assert stored.item.target == 88.0 and stored.version == 2

    take_theirs, _save_mine = bo.panel.children[1].children
    take_theirs.click()
    assert bo.fields["target"].widget.value == "88"
    assert bo.state.version == 2 and bo.panel.children == ()
    assert bo.ctx.workbook.store.draft("Bo", bo.draft_key) is None


def test_save_mine_saves_on_top_and_the_history_keeps_both(open_page: Opener) -> None:
    ann, bo, goal_id = two_editors_on_one_goal(open_page)
    ann.fields["target"].widget.value = "88"
    ann.save_button.click()
    bo.fields["target"].widget.value = "92"
    bo.save_button.click()
    _take_theirs, save_mine = bo.panel.children[1].children
    save_mine.click()
    assert "Saved “Delivery promises kept”" in bo.message.value
    stored = bo.ctx.workbook.get("goal", goal_id)
    assert stored.item.target == 92.0 and stored.version == 3 and stored.updated_by == "Bo"
    edits = [
        (c.who, c.after["target"]) for c in bo.ctx.workbook.store.history(kind="goal", id=goal_id)
    ]
    assert edits == [("Bo", 92.0), ("Ann", 88.0), ("Ann", 85.5)]


def test_an_entry_deleted_meanwhile_can_be_added_again(open_page: Opener) -> None:
    ann, bo, goal_id = two_editors_on_one_goal(open_page)
    ann.delete_button.click()
    bo.fields["title"].widget.value = "Delivery promises kept, always"
    bo.save_button.click()
    assert "Someone else deleted this entry (goal)" in bo.message.value
    assert bo.fields["title"].widget.value == "Delivery promises kept, always"
    add_again, _discard = bo.panel.children[0].children
    add_again.click()
    (goal,) = goals_of(ann)
    assert goal.title == "Delivery promises kept, always" and goal.id != goal_id


def test_undo_after_someone_else_changed_it_says_so(open_page: Opener) -> None:
    ann, bo, goal_id = two_editors_on_one_goal(open_page)
    bo.fields["target"].widget.value = "95"
    bo.save_button.click()
    page = open_page()
    page.undo_button.click()
    assert "This goal was changed again by Bo" in page.message.value
    assert ann.ctx.workbook.get("goal", goal_id).item.target == 95.0


def test_deleting_a_version_someone_changed_is_refused(open_page: Opener) -> None:
    ann, bo, goal_id = two_editors_on_one_goal(open_page)
    bo.fields["target"].widget.value = "95"
    bo.save_button.click()
    ann.delete_button.click()
    assert "Bo changed this goal" in ann.message.value
    assert ann.ctx.workbook.get("goal", goal_id).version == 2
    (take_theirs,) = ann.panel.children
    take_theirs.click()
    assert ann.fields["target"].widget.value == "95" and ann.state.version == 2


# --- drafts -------------------------------------------------------------------------------------


def test_unsaved_input_is_a_draft_offered_when_the_page_opens_again(open_page: Opener) -> None:
    first = open_page()
    form = first.forms["goal"]
    fill_goal(form, title="Half-typed goal")
    draft = first.ctx.workbook.store.draft("Ann", form.draft_key)
    assert draft is not None and draft["values"]["title"] == "Half-typed goal"

    other = open_page(who="Bo").forms["goal"]  # another person's page offers nothing
    assert other.panel.children == () and other.fields["title"].widget.value == ""

    again = open_page().forms["goal"]
    assert "You have unsaved input in this form" in again.message.value
    restore, _discard = again.panel.children[0].children
    restore.click()
    assert again.fields["title"].widget.value == "Half-typed goal"
    assert again.fields["target"].widget.value == "85.5"
    again.save_button.click()
    assert [g.title for g in goals_of(first)] == ["Half-typed goal"]
    assert first.ctx.workbook.store.draft("Ann", form.draft_key) is None


def test_input_typed_before_the_name_becomes_a_draft_once_it_is_given(
    open_page: Opener,
) -> None:
    page = open_page(who="")
    form = page.forms["goal"]
    form.fields["title"].widget.value = "Typed first"
    page.editor.field.value = "Cy"
    draft = page.ctx.workbook.store.draft("Cy", form.draft_key)
    assert draft is not None and draft["values"]["title"] == "Typed first"


def test_a_draft_of_an_old_version_restores_into_a_conflict(open_page: Opener) -> None:
    ann, bo, goal_id = two_editors_on_one_goal(open_page)
    bo.fields["description"].widget.value = "Bo's idea, not saved"
    ann.fields["target"].widget.value = "88"
    ann.save_button.click()
    later = open_page(who="Bo").forms["goal"]  # Bo's tab was closed; Bo comes back
    restore, _discard = later.panel.children[0].children
    restore.click()
    assert later.state.entry_id == goal_id and later.state.version == 1
    assert later.fields["description"].widget.value == "Bo's idea, not saved"
    later.save_button.click()
    assert "Someone else saved this entry (goal)" in later.message.value


def test_a_touchpoint_draft_comes_back_on_its_stage(open_page: Opener) -> None:
    first = open_page(forms_pages.journey_page)
    stages = first.forms["stage"]
    stage = stages.entries[2].item
    stages.listing.value = stage.id
    first.forms["touchpoint"].fields["name"].widget.value = "Half a touchpoint"
    again = open_page(forms_pages.journey_page)
    touchpoints = again.forms["touchpoint"]
    restore, _discard = touchpoints.panel.children[0].children
    restore.click()
    assert again.forms["stage"].listing.value == stage.id
    assert touchpoints.parent == stage.id
    assert touchpoints.fields["name"].widget.value == "Half a touchpoint"
    touchpoints.fields["owner"].widget.value = "Stores"
    touchpoints.save_button.click()
    names = [e.item.name for e in again.ctx.workbook.touchpoints(stage.id)]
    assert "Half a touchpoint" in names


def test_discarding_a_draft_forgets_it(open_page: Opener) -> None:
    fill_goal(open_page().forms["goal"], title="Not wanted")
    again = open_page().forms["goal"]
    _restore, discard = again.panel.children[0].children
    discard.click()
    assert again.ctx.workbook.store.draft("Ann", again.draft_key) is None
    assert again.fields["title"].widget.value == ""


# --- in a notebook ------------------------------------------------------------------------------


@pytest.mark.parametrize("function", [forms.goals_form, forms.journey_form, forms.actions_form])
def test_report_mode_shows_no_forms_and_opens_no_store(
    demo_workspace: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    function: Callable[[Any], Any],
) -> None:
    from cxlib.page import start

    root = tmp_path / "demo"
    shutil.copytree(demo_workspace, root, ignore=shutil.ignore_patterns("reports", "workbook.db"))
    for mode in ("report", "interactive"):
        page = start(
            workspace=str(root),
            period="",
            segment="",
            language="",
            mode=mode,
            title="page.goals.title",
        )
        capsys.readouterr()
        function(page)
        printed = capsys.readouterr().out
        if mode == "report":
            assert printed == ""
            assert not (root / "workbook.db").exists()
        else:
            assert "VBox" in printed
            assert (root / "workbook.db").exists()
