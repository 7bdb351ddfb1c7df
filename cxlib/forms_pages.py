"""The workshop forms' pages: goals, the journey map and actions (see :mod:`cxlib.forms`).

Each page shows a "Your name" field once at the top (every change is recorded with its author),
Undo and Reload, and the forms of :mod:`cxlib.forms_entry`. The forms only collect input and
call :class:`~cxlib.workbook.Workbook`; every check is the models' and the workbook's.

Tests build the same forms without a notebook: :func:`goals_page`, :func:`journey_page` and
:func:`actions_page` take a :class:`~cxlib.forms_fields.FormContext`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w
from IPython.display import HTML, display

from cxlib import actions, goals, journey
from cxlib import forms_drafts as drafts
from cxlib.errors import FieldProblem, ValidationError
from cxlib.forms_entry import EntryForm, FormSpec
from cxlib.forms_fields import (
    FORM_CSS,
    Field,
    FormContext,
    choice_field,
    date_field,
    emotion_field,
    esc,
    flag_field,
    kpi_choices,
    label_html,
    lines_field,
    message,
    multi_choice_field,
    number_field,
    owner_field,
    problems_html,
    status_html,
    text_field,
    translated,
)
from cxlib.page import Page
from cxlib.rules import check_text
from cxlib.store import MAX_WHO, Conflict, NotFound, StoreError
from cxlib.workbook import Workbook

__all__ = [
    "Editor",
    "FormPage",
    "actions_page",
    "goals_page",
    "journey_page",
]


class Editor:
    """The "Your name" field: given once per page, checked, recorded with every change."""

    def __init__(self, ctx: FormContext) -> None:
        tr = ctx.tr
        self.ctx = ctx
        self.who: str | None = None
        self.listeners: list[Callable[[str], None]] = []
        self.field = w.Text(
            placeholder=tr("forms.name.placeholder"),
            continuous_update=False,
            layout=w.Layout(width="320px"),
        )
        self.field.add_class("cx-name")
        self.problem = w.HTML()
        self.widget = w.VBox(
            [
                w.HTML(label_html(tr("forms.name.label"))),
                self.field,
                self.problem,
                w.HTML(status_html(tr("forms.name.hint"), "note")),
            ]
        )
        self.field.observe(self._typed, names="value")

    def _typed(self, change: dict[str, Any]) -> None:
        value = change["new"]
        problems = check_text("name", value, required=True, max_length=MAX_WHO)
        if problems:
            self.who = None
            texts = [message(self.ctx, p.msgid, p.values) for p in problems]
            self.problem.value = problems_html(texts)
            return
        self.problem.value = ""
        who = value.strip()
        if who != self.who:
            self.who = who
            for listener in self.listeners:
                listener(who)

    def require(self) -> str | None:
        """The name, or None after asking for it."""
        if self.who is None and not self.problem.value:
            self.problem.value = problems_html([self.ctx.tr("forms.name_first")])
        return self.who


class FormPage:
    """The forms of one page: the name field, Undo, Reload, and the entry forms below them."""

    def __init__(self, ctx: FormContext, forms: list[EntryForm], editor: Editor) -> None:
        tr = ctx.tr
        self.ctx, self.editor = ctx, editor
        self.forms = {form.spec.kind: form for form in forms}
        self.message = w.HTML()
        self.undo_button = w.Button(description=tr("forms.button.undo"), icon="undo")
        self.reload_button = w.Button(description=tr("forms.button.reload"), icon="refresh")
        for button in (self.undo_button, self.reload_button):
            button.layout.width = "auto"
        self.undo_button.add_class("cx-undo")
        self.reload_button.add_class("cx-reload")
        self.undo_button.on_click(lambda _b: self.undo())
        self.reload_button.on_click(lambda _b: self.reload())
        for form in forms:
            form.on_stored = self.refresh_others(form)
        editor.listeners.append(self._named)
        top = w.HBox(
            [editor.widget, w.VBox([w.HBox([self.undo_button, self.reload_button]), self.message])]
        )
        self.widget = w.VBox([top, *(form.widget for form in forms)])
        self.widget.add_class("cx-forms")
        self.refresh()
        for form in forms:
            if form.parent_form is None:
                form.load(None)

    def refresh(self) -> None:
        """Re-read every list from the store (others' changes appear)."""
        for form in self.forms.values():
            form.refresh()

    def refresh_others(self, changed: EntryForm) -> Callable[[], None]:
        """What a form calls after it stored something: the other forms re-read their lists."""

        def refresh() -> None:
            for form in self.forms.values():
                if form is not changed:
                    form.refresh()

        return refresh

    def reload(self) -> None:
        """The Reload button."""
        self.refresh()
        self.message.value = status_html(self.ctx.tr("forms.reloaded"), "note")

    def undo(self) -> None:
        """Undo this person's last change (on any page), refresh, and say what was undone."""
        who = self.editor.require()
        if who is None:
            self.message.value = status_html(self.ctx.tr("forms.name_first"), "bad")
            return
        wb = self.ctx.workbook
        try:
            wb.undo_last(who=who)
        except (Conflict, NotFound) as error:
            self.message.value = status_html(message(self.ctx, error.msgid, error.params), "bad")
            return
        except ValidationError as error:
            self.message.value = status_html(_problems_text(self.ctx, error.problems), "bad")
            return
        except StoreError as error:
            self.message.value = status_html(message(self.ctx, error.msgid, error.params), "bad")
            return
        self.refresh()
        self.message.value = status_html(_undone_text(self.ctx, who), "ok")

    def _named(self, who: str) -> None:
        for form in self.forms.values():
            drafts.offer(form, who)


def _problems_text(ctx: FormContext, problems: tuple[FieldProblem, ...]) -> str:
    return " ".join(message(ctx, p.msgid, p.values) for p in problems)


def _undone_text(ctx: FormContext, who: str) -> str:
    """What the newest undo by ``who`` reverted, in words."""
    store = ctx.workbook.store
    undo = next((c for c in store.history(limit=200) if c.who == who and c.action == "undo"), None)
    if undo is None or undo.undoes is None:
        return ctx.tr("forms.undone")
    changes = store.history(kind=undo.kind, id=undo.id)
    reverted = next((c for c in changes if c.seq == undo.undoes), None)
    if reverted is None:
        return ctx.tr("forms.undone")
    data = reverted.after or reverted.before or {}
    title = str(data.get("title") or data.get("name") or undo.id)
    return message(ctx, f"forms.undone.{reverted.action}", {"kind": undo.kind, "title": title})


# ---------------------------------------------------------------------------------------------
# the forms of each kind


def _goal_fields(ctx: FormContext) -> list[Field]:
    tr, wb = ctx.tr, ctx.workbook

    def stage_choices() -> list[tuple[str, str]]:
        names = {e.item.id: e.item.name for e in wb.journeys()}
        return [
            (f"{names.get(e.item.journey_id, '?')} – {e.item.name}", e.item.id)
            for journey_entry in wb.journeys()
            for e in wb.stages(journey_entry.item.id)
        ]

    def alignments() -> list[tuple[str, str]]:
        fixed = [(tr(f"workshop.aligned_with.{a}"), a) for a in goals.ALIGNMENTS]
        return fixed + [(value, value) for value in wb.rules.values]

    return [
        text_field(ctx, "title"),
        choice_field(ctx, "kpi", kpi_choices(ctx), blank=tr("forms.choose")),
        number_field(ctx, "baseline", required=False),
        number_field(ctx, "baseline_n", whole=True, required=False),
        number_field(ctx, "target", required=True),
        choice_field(ctx, "direction", translated(ctx, "workshop.direction", goals.DIRECTIONS)),
        date_field(ctx, "deadline", required=True),
        owner_field(ctx, "owner"),
        multi_choice_field(ctx, "stages", stage_choices),
        choice_field(ctx, "aligned_with", alignments, blank=tr("workshop.aligned_with.none")),
        text_field(ctx, "description", long=True),
    ]


def _goal_linked(form: EntryForm, name: str) -> None:
    """A KPI picked sets the direction it is better in."""
    if name != "kpi":
        return
    kpi = form.ctx.workbook.rules.kpis.get(form.fields["kpi"].widget.value or "")
    if kpi is not None:
        form.fields["direction"].set("increase" if kpi.higher_is_better else "decrease")


GOAL = FormSpec(
    kind=goals.KIND,
    model=goals.Goal,
    fields=_goal_fields,
    entries=lambda wb, _parent: wb.goals(),
    title=lambda item: item.title,
    linked=_goal_linked,
)
JOURNEY = FormSpec(
    kind="journey",
    model=journey.Journey,
    fields=lambda ctx: [
        text_field(ctx, "name"),
        text_field(ctx, "persona", long=True),
        text_field(ctx, "scenario", long=True),
    ],
    entries=lambda wb, _parent: wb.journeys(),
    title=lambda item: item.name,
)
STAGE = FormSpec(
    kind="stage",
    model=journey.Stage,
    fields=lambda ctx: [
        text_field(ctx, "name"),
        choice_field(ctx, "phase", translated(ctx, "workshop.phase", journey.PHASES)),
        text_field(ctx, "customer_goal", long=True),
        number_field(ctx, "position", whole=True, required=True),
    ],
    entries=lambda wb, parent: wb.stages(parent),
    title=lambda item: item.name,
    parent="journey_id",
    defaults=lambda entries: {
        "position": max((e.item.position for e in entries), default=-1) + 1,
        "phase": entries[-1].item.phase if entries else "before",
    },
)


def _touchpoint_fields(ctx: FormContext) -> list[Field]:
    tr = ctx.tr
    return [
        text_field(ctx, "name"),
        choice_field(ctx, "channel", translated(ctx, "workshop.channel", journey.CHANNELS)),
        owner_field(ctx, "owner"),
        emotion_field(ctx, "emotion"),
        lines_field(ctx, "pain_points"),
        lines_field(ctx, "opportunities"),
        flag_field(ctx, "moment_of_truth"),
        choice_field(ctx, "evidence", translated(ctx, "workshop.evidence", journey.EVIDENCE)),
        choice_field(ctx, "measure", kpi_choices(ctx), blank=tr("forms.none")),
    ]


TOUCHPOINT = FormSpec(
    kind="touchpoint",
    model=journey.Touchpoint,
    fields=_touchpoint_fields,
    entries=lambda wb, parent: wb.touchpoints(parent),
    title=lambda item: item.name,
    parent="stage_id",
)


def _action_fields(ctx: FormContext) -> list[Field]:
    tr, wb = ctx.tr, ctx.workbook

    def goal_choices() -> list[tuple[str, str]]:
        return [(e.item.title, e.item.id) for e in wb.goals()]

    def touchpoint_choices() -> list[tuple[str, str]]:
        stages = {e.item.id: e.item.name for e in wb.stages()}
        return [
            (f"{stages.get(e.item.stage_id, '?')} – {e.item.name}", e.item.id)
            for e in wb.touchpoints()
        ]

    return [
        text_field(ctx, "title"),
        owner_field(ctx, "owner"),
        date_field(ctx, "due", required=True),
        choice_field(ctx, "status", translated(ctx, "workshop.action_status", actions.STATUSES)),
        choice_field(ctx, "goal_id", goal_choices, blank=tr("forms.none")),
        choice_field(ctx, "touchpoint_id", touchpoint_choices, blank=tr("forms.none")),
        text_field(ctx, "expected_effect", long=True),
        date_field(ctx, "done_on", required=False),
    ]


ACTION = FormSpec(
    kind=actions.KIND,
    model=actions.Action,
    fields=_action_fields,
    entries=lambda wb, _parent: wb.actions(),
    title=lambda item: item.title,
)


# ---------------------------------------------------------------------------------------------
# pages


def goals_page(ctx: FormContext) -> FormPage:
    """The goals form (``01_goals``)."""
    editor = Editor(ctx)
    return FormPage(ctx, [EntryForm(ctx, editor, GOAL)], editor)


def journey_page(ctx: FormContext) -> FormPage:
    """Journeys, their stages and the stages' touchpoints (``03_journey_map``)."""
    editor = Editor(ctx)
    journeys, stages, touchpoints = (
        EntryForm(ctx, editor, JOURNEY),
        EntryForm(ctx, editor, STAGE),
        EntryForm(ctx, editor, TOUCHPOINT),
    )
    journeys.children, stages.parent_form = [stages], journeys
    stages.children, touchpoints.parent_form = [touchpoints], stages
    page = FormPage(ctx, [journeys, stages, touchpoints], editor)
    if journeys.entries:  # open on the first journey: most workspaces have one
        journeys.load(journeys.entries[0])
    return page


def actions_page(ctx: FormContext) -> FormPage:
    """The actions form (``04_kpi_tracking``)."""
    editor = Editor(ctx)
    return FormPage(ctx, [EntryForm(ctx, editor, ACTION)], editor)


def show(page: Page, build: Callable[[FormContext], FormPage], heading: str) -> None:
    """Show the page ``build`` makes under the title ``heading`` (a message id)."""
    workbook = Workbook.open(page.workspace)  # open as long as the page's kernel runs
    ctx = FormContext(workbook, page.tr, page.workspace.timezone)
    built = build(ctx)
    title = w.HTML(f'<div class="cx"><h2>{esc(page.tr(heading))}</h2></div>')
    display(HTML(FORM_CSS))
    display(w.VBox([title, built.widget]))
