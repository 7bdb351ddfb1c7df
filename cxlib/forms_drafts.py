"""Drafts of the workshop forms: unsaved input kept in the store, offered back, discarded.

Every change of a form's input is saved as the editor's draft (``Store.save_draft``, one per
person and kind of entry) with the entry and the version it was typed on, so a culled kernel or a
closed tab loses nothing. When the same person gives their name on the page again, the draft is
offered; restored, it is still based on its old version, so a save reports what others changed
since (a conflict), never overwrites it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from cxlib.forms_fields import message, status_html
from cxlib.store import StoreError

if TYPE_CHECKING:
    from cxlib.forms_entry import EntryForm


def autosave(form: EntryForm) -> None:
    """Keep the input as a draft (or forget the draft when the input equals the entry)."""
    who = form.editor.who
    if who is None:
        return  # kept in the form; saved as a draft once the name is given
    store = form.ctx.workbook.store
    try:
        if form.dirty:
            draft = {
                "entry": form.state.entry_id,
                "version": form.state.version,
                "parent": form.parent,
                "values": form.snapshot(),
                "saved_at": dt.datetime.now(dt.UTC).isoformat(),
            }
            store.save_draft(who, form.draft_key, draft)
        else:
            store.discard_draft(who, form.draft_key)
    except StoreError as error:
        form.message.value = status_html(message(form.ctx, error.msgid, error.params), "bad")


def offer(form: EntryForm, who: str) -> None:
    """The editor gave a name: keep unsaved input as a draft, or offer the stored draft."""
    form.panel.children = ()
    if form.dirty:
        autosave(form)
        return
    draft = form.ctx.workbook.store.draft(who, form.draft_key)
    if draft is None:
        return
    when = _time(draft.get("saved_at"))
    params = {"time": when} if when is not None else {"time": "?"}
    form.message.value = status_html(message(form.ctx, "forms.draft.offer", params), "note")
    take = w.Button(description=form.ctx.tr("forms.button.restore"), button_style="info")
    drop = w.Button(description=form.ctx.tr("forms.button.discard_draft"))
    take.add_class(f"cx-{form.spec.kind}-restore")
    drop.add_class(f"cx-{form.spec.kind}-discard-draft")
    take.on_click(lambda _b: restore(form, draft))
    drop.on_click(lambda _b: drop_offer(form))
    form.panel.children = (w.HBox([take, drop]),)


def restore(form: EntryForm, draft: Mapping[str, Any]) -> None:
    """Put a draft back into the form, based on the version it was typed on."""
    values = draft.get("values")
    parent = draft.get("parent")
    if form.spec.parent and isinstance(parent, str) and parent != form.parent:
        if form.parent_form is not None:
            form.parent_form.open(parent)
        form.parent = parent
        form.refresh()
    entry_id = draft.get("entry")
    entry_id = entry_id if isinstance(entry_id, str) else ""
    stored = next((e for e in form.entries if e.item.id == entry_id), None)
    form.load(stored)
    version = draft.get("version")
    if entry_id and isinstance(version, int) and not isinstance(version, bool) and version >= 1:
        # the draft's own version, so a save reports what others changed since (or that the
        # entry was deleted meanwhile)
        form.state.entry_id, form.state.version = entry_id, version
    if isinstance(values, Mapping):
        with form.quietly():
            for name, made in form.fields.items():
                if name in values:
                    made.restore(values[name])
    autosave(form)
    form.panel.children = ()
    form.message.value = status_html(form.ctx.tr("forms.draft.restored"), "note")


def drop_offer(form: EntryForm) -> None:
    """The editor does not want the draft back: forget it."""
    discard(form)
    form.panel.children = ()
    form.message.value = status_html(form.ctx.tr("forms.draft.discarded"), "note")


def discard(form: EntryForm) -> None:
    """Forget the editor's draft of this form (no error when there is none or no name yet)."""
    who = form.editor.who
    if who is not None:
        form.ctx.workbook.store.discard_draft(who, form.draft_key)


def _time(value: object) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
