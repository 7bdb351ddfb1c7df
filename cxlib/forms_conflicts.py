"""Stale saves of the workshop forms: both versions side by side, and two ways on.

:class:`~cxlib.store.Conflict` means someone saved (or deleted) the entry since the form loaded
it; nothing was stored and the input stays in the form. "Take theirs" reloads the stored
version; "Save mine" saves the input on top of it (the history keeps both); an entry deleted
meanwhile can be added again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ipywidgets as w

from cxlib import forms_drafts as drafts
from cxlib.forms_fields import esc, message, status_html
from cxlib.store import Conflict, StoreError
from cxlib.workbook import Entry, from_record

if TYPE_CHECKING:
    from cxlib.forms_entry import EntryForm


def show_conflict(form: EntryForm, conflict: Conflict, item: Any) -> None:
    """Someone saved or deleted the entry since it was loaded: both versions, two ways on."""
    if conflict.current is None:
        show_deleted(form, conflict, item)
        return
    ctx = form.ctx
    theirs = Entry(
        from_record(conflict.current),
        conflict.current.version,
        conflict.current.updated_at,
        conflict.current.updated_by,
    )
    form.state.theirs = theirs
    form.message.value = "".join(
        [
            form.text("forms.conflict.saved", "bad"),
            status_html(message(ctx, conflict.msgid, conflict.params), "note"),
            status_html(ctx.tr("forms.conflict.hint"), "note"),
        ]
    )
    table = w.HTML(compare_html(form, theirs.item, item))
    buttons = w.HBox(
        [
            form.button("take_theirs", "", lambda: take_theirs(form)),
            form.button("save_mine", "warning", lambda: save_mine(form)),
        ]
    )
    form.panel.children = (table, buttons)


def show_deleted(form: EntryForm, error: StoreError, item: Any) -> None:
    """The entry was deleted meanwhile: say so, keep the input, offer to add it again."""
    ctx = form.ctx
    form.message.value = "".join(
        [
            form.text("forms.conflict.deleted", "bad"),
            status_html(message(ctx, error.msgid, error.params), "note"),
        ]
    )
    form.panel.children = (
        w.HBox(
            [
                form.button("add_again", "warning", lambda: add_again(form)),
                form.button("discard_mine", "", lambda: discard_mine(form)),
            ]
        ),
    )


def compare_html(form: EntryForm, theirs: Any, yours: Any) -> str:
    """Both versions side by side, field by field; rows that differ are marked."""
    tr = form.ctx.tr
    head = "".join(
        f"<th>{esc(tr(msgid))}</th>"
        for msgid in ("forms.compare.field", "forms.compare.theirs", "forms.compare.yours")
    )
    rows = []
    for name, made in form.fields.items():
        mine, saved = made.text(getattr(yours, name)), made.text(getattr(theirs, name))
        marked = ' class="differs"' if mine != saved else ""
        rows.append(
            f"<tr{marked}><td>{esc(tr(f'workshop.field.{name}'))}</td>"
            f"<td>{esc(saved)}</td><td>{esc(mine)}</td></tr>"
        )
    return f'<table class="cx-compare"><tr>{head}</tr>{"".join(rows)}</table>'


def take_theirs(form: EntryForm) -> None:
    """Drop the input; show the stored version."""
    drafts.discard(form)
    form.refresh()
    fresh = next((e for e in form.entries if e.item.id == form.state.entry_id), None)
    form.load(fresh)
    form.message.value = status_html(form.ctx.tr("forms.took_theirs"), "note")


def save_mine(form: EntryForm) -> None:
    """Save the input on top of the version someone else saved (recorded in the history)."""
    theirs = form.state.theirs
    if theirs is None:
        return
    form.state.version = theirs.version
    form.state.stored = theirs.item
    form.save()


def add_again(form: EntryForm) -> None:
    """Add the input as a new entry (the old one was deleted meanwhile)."""
    from cxlib.forms_entry import EntryState

    form.state = EntryState()
    form.save()


def discard_mine(form: EntryForm) -> None:
    """Drop the input of an entry that was deleted meanwhile."""
    drafts.discard(form)
    form.load(None)
    form.refresh()
    form.message.value = status_html(form.ctx.tr("forms.changes_discarded"), "note")
