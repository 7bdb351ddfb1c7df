"""One entry form: a list of entries of one kind, their fields, Save, New and Delete.

:class:`EntryForm` only collects input and calls :class:`~cxlib.workbook.Workbook`. What it
adds for a workshop where many people edit at once:

- the widgets' values are read into a dict and built into the model with its ``from_dict``, so a
  forged value becomes a message beside its field, never an exception or a stored value;
- a stale save (:class:`~cxlib.store.Conflict`) shows both versions side by side and keeps the
  input; "Take theirs" reloads the stored version, "Save mine" saves on top of it; an entry
  deleted meanwhile can be added again;
- every change of unsaved input is kept as a draft (:meth:`Store.save_draft`), offered again when
  the same person opens the page, and discarded by a successful save.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from cxlib import forms_checks as checks
from cxlib import forms_conflicts as conflicts
from cxlib import forms_drafts as drafts
from cxlib.errors import ValidationError
from cxlib.forms_fields import (
    MISSING,
    Field,
    FormContext,
    esc,
    label_html,
    message,
    problems_html,
    status_html,
)
from cxlib.store import Conflict, NotFound, StoreError
from cxlib.workbook import Entry, Workbook

if TYPE_CHECKING:
    from cxlib.forms_pages import Editor


@dataclass(frozen=True)
class FormSpec:
    """What differs between the forms of goals, journeys, stages, touchpoints and actions.

    Attributes
    ----------
    kind
        The store kind (``goal`` …).
    model
        The model class (its ``from_dict`` reads the form's data).
    fields
        Builds the fields, in the order they are shown.
    entries
        ``entries(workbook, parent)``: the entries the list offers.
    title
        An entry's name in the list and in messages.
    parent
        The field naming the entry this one belongs to (``journey_id``, ``stage_id``) or ``""``.
    defaults
        ``defaults(entries)``: values of a new entry (a stage's position after the last one).
    linked
        ``linked(form, field)``: called when a field changes (a goal's KPI sets its direction).
    """

    kind: str
    model: type[Any]
    fields: Callable[[FormContext], list[Field]]
    entries: Callable[[Workbook, str], list[Entry[Any]]]
    title: Callable[[Any], str]
    parent: str = ""
    defaults: Callable[[list[Entry[Any]]], dict[str, Any]] = lambda _entries: {}
    linked: Callable[[EntryForm, str], None] | None = None


@dataclass
class EntryState:
    """The entry in the form: its id, the version the form is based on, the stored item."""

    entry_id: str = ""
    version: int | None = None
    stored: Any = None
    theirs: Entry[Any] | None = field(default=None)


class EntryForm:
    """The list, fields and buttons of one kind of entry.

    Parameters
    ----------
    ctx
        The workbook, translator and time zone of the page.
    editor
        The page's "Your name" field.
    spec
        What this form edits.
    """

    def __init__(self, ctx: FormContext, editor: Editor, spec: FormSpec) -> None:
        self.ctx, self.editor, self.spec = ctx, editor, spec
        tr = ctx.tr
        self.fields = {made.name: made for made in spec.fields(ctx)}
        self.parent = ""
        self.parent_form: EntryForm | None = None
        self.children: list[EntryForm] = []
        self.on_stored: Callable[[], None] = lambda: None
        self.entries: list[Entry[Any]] = []
        self.state = EntryState()
        self._quiet = 0
        self.listing = w.Select(rows=8, layout=w.Layout(width="100%"))
        self.new_button = w.Button(description=tr("forms.button.new"), icon="plus")
        self.save_button = w.Button(
            description=tr("forms.button.save"), button_style="primary", icon="check"
        )
        self.delete_button = w.Button(description=tr("forms.button.delete"), icon="trash")
        self.status = w.HTML()
        self.message = w.HTML()
        self.panel = w.VBox()
        for name, button in (
            ("new", self.new_button),
            ("save", self.save_button),
            ("delete", self.delete_button),
        ):
            button.add_class(f"cx-{spec.kind}-{name}")
        self.new_button.on_click(lambda _b: self.new())
        self.save_button.on_click(lambda _b: self.save())
        self.delete_button.on_click(lambda _b: self.delete())
        self.listing.observe(self._picked, names="value")
        for made in self.fields.values():
            made.widget.observe(self._changed, names="value")
        self._loaded = self.snapshot()
        fields_box = w.GridBox(
            [made.box for made in self.fields.values()],
            layout=w.Layout(
                grid_template_columns="repeat(2, minmax(0, 1fr))",
                grid_gap="0px 18px",
                width="100%",
            ),
        )
        listing_box = w.VBox(
            [w.HTML(label_html(tr(f"forms.list.{spec.kind}"))), self.listing, self.new_button],
            layout=w.Layout(width="280px", min_width="280px", margin="0 18px 0 0"),
        )
        editing_box = w.VBox(
            [self.status, fields_box], layout=w.Layout(flex="1 1 0%", min_width="0")
        )
        self.widget = w.VBox(
            [
                w.HTML(f"<h3>{esc(tr(f'forms.heading.{spec.kind}'))}</h3>"),
                w.HBox([listing_box, editing_box], layout=w.Layout(width="100%")),
                w.HBox([self.save_button, self.delete_button]),
                self.message,
                self.panel,
            ]
        )
        self.widget.add_class("cx-form")
        self.widget.add_class(f"cx-form-{spec.kind}")

    # state -----------------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        """True when the fields differ from the entry as it was loaded."""
        return self.snapshot() != self._loaded

    def snapshot(self) -> dict[str, Any]:
        """The fields' values as JSON (what a draft keeps)."""
        return {name: made.snapshot() for name, made in self.fields.items()}

    def data(self) -> dict[str, Any]:
        """The raw entry the fields hold (fields that are empty and required are left out)."""
        values = {name: made.value() for name, made in self.fields.items()}
        data = {name: value for name, value in values.items() if value is not MISSING}
        if self.spec.parent:
            data[self.spec.parent] = self.parent
        data["id"] = self.state.entry_id
        return data

    @contextmanager
    def quietly(self) -> Iterator[None]:
        """Change widgets without it counting as the user's input."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1

    @property
    def draft_key(self) -> str:
        """The key of this form's draft in the store."""
        return f"forms.{self.spec.kind}"

    # loading and refreshing -----------------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the list (and the options of choice fields) from the store."""
        wb = self.ctx.workbook
        usable = not self.spec.parent or bool(self.parent)
        self.entries = self.spec.entries(wb, self.parent) if usable else []
        ids = [entry.item.id for entry in self.entries]
        with self.quietly():
            for made in self.fields.values():
                made.reload_options()
            self.listing.options = [(self.spec.title(e.item), e.item.id) for e in self.entries]
            self.listing.value = self.state.entry_id if self.state.entry_id in ids else None
        for button in (self.save_button, self.new_button):
            button.disabled = not usable
        self.delete_button.disabled = not self.state.entry_id
        if not usable:
            self.status.value = self.text(f"forms.pick_parent.{self.spec.kind}", "note")
            return
        state = self.state
        if not state.entry_id or self.dirty:
            return
        fresh = next((e for e in self.entries if e.item.id == state.entry_id), None)
        if fresh is None:
            self.load(None)
            self.message.value = self.text("forms.gone", "note")
        elif fresh.version != state.version:
            self.load(fresh)

    def load(self, entry: Entry[Any] | None) -> None:
        """Show ``entry`` in the form (None: a new, empty entry)."""
        previous = self.state.entry_id
        item = None if entry is None else entry.item
        self.state = EntryState(
            entry_id="" if item is None else item.id,
            version=None if entry is None else entry.version,
            stored=item,
        )
        defaults = self.spec.defaults(self.entries) if item is None else {}
        with self.quietly():
            for name, made in self.fields.items():
                if item is not None:
                    made.set(getattr(item, name))
                else:
                    made.set(defaults.get(name, _blank(made)))
                made.problem.value = ""
            self.listing.value = self.state.entry_id or None
        self._loaded = self.snapshot()
        self.panel.children = ()
        self.delete_button.disabled = item is None
        self._show_status(entry)
        if self.state.entry_id != previous or entry is None:
            for child in self.children:
                child.set_parent(self.state.entry_id)

    def set_parent(self, parent: str) -> None:
        """Show the entries of another parent (a stage form follows the journey picked)."""
        self.parent = parent
        self.load(None)
        self.refresh()
        self.message.value = ""

    def open(self, entry_id: str) -> bool:
        """Load the stored entry ``entry_id`` (False when it is not in the list)."""
        found = next((e for e in self.entries if e.item.id == entry_id), None)
        if found is None:
            return False
        self.load(found)
        return True

    def _show_status(self, entry: Entry[Any] | None) -> None:
        ctx = self.ctx
        if entry is None:
            self.status.value = self.text("forms.editing_new", "note")
            return
        params = {
            "title": self.spec.title(entry.item),
            "version": entry.version,
            "who": entry.updated_by,
            "time": entry.updated_at,
        }
        self.status.value = status_html(message(ctx, "forms.editing", params), "note")

    # navigation -------------------------------------------------------------------------------

    def family(self) -> list[EntryForm]:
        """This form and every form below it (stages and touchpoints below a journey)."""
        found = [self]
        for child in self.children:
            found += child.family()
        return found

    def can_leave(self) -> bool:
        """True when nothing unsaved would be lost; otherwise each dirty form says so."""
        dirty = [form for form in self.family() if form.dirty]
        for form in dirty:
            form.show_unsaved()
        return not dirty

    def show_unsaved(self) -> None:
        """Say that the input is not saved, and offer to discard it."""
        text = message(self.ctx, "forms.unsaved", {"kind": self.spec.kind})
        self.message.value = status_html(text, "bad")
        discard = w.Button(description=self.ctx.tr("forms.button.discard_changes"))
        discard.add_class(f"cx-{self.spec.kind}-discard")
        discard.on_click(lambda _b: self.discard_changes())
        self.panel.children = (discard,)

    def discard_changes(self) -> None:
        """Forget the unsaved input (and its draft); show the stored entry again."""
        drafts.discard(self)
        fresh = next((e for e in self.entries if e.item.id == self.state.entry_id), None)
        self.load(fresh)
        self.refresh()
        self.message.value = status_html(self.ctx.tr("forms.changes_discarded"), "note")

    def new(self) -> None:
        """Start a new entry (refused while there is unsaved input)."""
        if self.can_leave():
            self.load(None)
            self.message.value = ""

    def _picked(self, change: Mapping[str, Any]) -> None:
        if self._quiet:
            return
        chosen = change["new"] or ""
        if chosen == self.state.entry_id:
            return
        if not self.can_leave():
            with self.quietly():
                self.listing.value = self.state.entry_id or None
            return
        self.message.value = ""
        if not self.open(chosen):
            self.load(None)

    # input and drafts --------------------------------------------------------------------------

    def _changed(self, change: Mapping[str, Any]) -> None:
        if self._quiet:
            return
        owner = change.get("owner")
        name = next((n for n, made in self.fields.items() if made.widget is owner), "")
        if self.spec.linked is not None and name:
            with self.quietly():
                self.spec.linked(self, name)
        drafts.autosave(self)

    # saving ------------------------------------------------------------------------------------

    def _who(self) -> str | None:
        who = self.editor.require()
        if who is None:
            self.message.value = status_html(self.ctx.tr("forms.name_first"), "bad")
        return who

    def save(self) -> None:
        """Check the input and store it (a new entry, or on top of the version loaded)."""
        who = self._who()
        if who is None:
            return
        if self.spec.parent and not self.parent:
            self.message.value = self.text(f"forms.pick_parent.{self.spec.kind}", "bad")
            return
        data = self.data()
        item, problems = checks.check(self, data)
        if item is None:
            checks.show_problems(self, problems, data)
            return
        wb, version = self.ctx.workbook, self.state.version
        try:
            if self.state.entry_id and version is not None:
                entry = wb.save(item, version=version, who=who)
                done = "forms.saved"
            else:
                entry = wb.add(item, who=who)
                done = "forms.added"
        except ValidationError as error:
            checks.show_problems(self, list(error.problems), data)
            return
        except Conflict as conflict:
            conflicts.show_conflict(self, conflict, item)
            return
        except NotFound as error:
            conflicts.show_deleted(self, error, item)
            return
        except StoreError as error:
            self.message.value = status_html(message(self.ctx, error.msgid, error.params), "bad")
            return
        self._stored(entry, done)

    def _stored(self, entry: Entry[Any], done: str) -> None:
        drafts.discard(self)
        self.on_stored()
        self.refresh()
        self.load(entry)
        checks.clear_problems(self)
        text = message(self.ctx, done, {"title": self.spec.title(entry.item)})
        self.message.value = status_html(text, "ok")

    def delete(self) -> None:
        """Delete the entry shown (it stays in the history; Undo brings it back)."""
        who = self._who()
        state = self.state
        if who is None or not state.entry_id or state.version is None:
            return
        title = self.spec.title(state.stored) if state.stored is not None else state.entry_id
        try:
            self.ctx.workbook.delete(self.spec.kind, state.entry_id, version=state.version, who=who)
        except ValidationError as error:  # other entries still refer to it
            texts = [message(self.ctx, p.msgid, p.values) for p in error.problems]
            refused = status_html(self.ctx.tr("forms.not_deleted"), "bad")
            self.message.value = refused + problems_html(texts)
            return
        except Conflict as conflict:
            self.message.value = status_html(
                message(self.ctx, conflict.msgid, conflict.params), "bad"
            )
            if conflict.current is not None:
                take = self.button("take_theirs", "info", lambda: conflicts.take_theirs(self))
                self.panel.children = (take,)
            return
        except StoreError as error:
            self.message.value = status_html(message(self.ctx, error.msgid, error.params), "bad")
            return
        drafts.discard(self)
        self.on_stored()
        self.load(None)
        self.refresh()
        self.message.value = status_html(message(self.ctx, "forms.deleted", {"title": title}), "ok")

    # helpers -----------------------------------------------------------------------------------

    def text(self, msgid: str, style: str) -> str:
        """A message about this kind of entry (``{kind}``) as HTML."""
        return status_html(message(self.ctx, msgid, {"kind": self.spec.kind}), style)

    def button(self, name: str, style: str, action: Callable[[], None]) -> w.Button:
        """A button labelled ``forms.button.<name>`` calling ``action``."""
        button = w.Button(description=self.ctx.tr(f"forms.button.{name}"), button_style=style)
        button.add_class(f"cx-{self.spec.kind}-{name.replace('_', '-')}")
        button.on_click(lambda _b: action())
        return button


def _blank(made: Field) -> Any:
    """What a field of a new entry shows."""
    if isinstance(made.widget, w.SelectMultiple):
        return ()
    if isinstance(made.widget, w.Dropdown):
        offered = [v for _, v in made.widget.options]
        return "" if "" in offered else (offered[0] if offered else None)
    if isinstance(made.widget, w.Checkbox):
        return False
    if isinstance(made.widget, w.IntSlider):
        return 0
    if isinstance(made.widget, w.DatePicker):
        return None
    return None if made.placeholder in (0, 0.0) else ""
