"""Checking a form's input: the model's ``from_dict`` and the workbook's rules, shown per field.

A browser can send any value, so the input is always built into the model by its ``from_dict``
and checked by :meth:`Workbook.problems`: a forged or malformed value becomes a message beside its
field (escaped, in the page's language), never an exception or a stored value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from cxlib.errors import FieldProblem, ValidationError
from cxlib.forms_fields import message, problems_html, status_html

if TYPE_CHECKING:
    from cxlib.forms_entry import EntryForm

# the same test as cxlib.rules uses: a "<" followed by a letter, "/", "!" or "?"
_MARKUP = re.compile(r"<[A-Za-z/!?]")
_SNIPPET = 40


def check(form: EntryForm, data: Mapping[str, Any]) -> tuple[Any, list[FieldProblem]]:
    """Build the model from ``data``; every problem of it when that is not possible.

    When a field has the wrong shape (``"abc"`` as a number), the other fields are still
    checked against the rules, with a stand-in for the malformed one, so all problems show.
    """
    model = form.spec.model
    try:
        return model.from_dict(data), []
    except ValidationError as error:
        shape = list(error.problems)
    bad = {_root(p.field) for p in shape}
    patched = dict(data)
    for name in bad:
        if name in form.fields:
            patched[name] = form.fields[name].placeholder
    try:
        stand_in = model.from_dict(patched)
    except ValidationError:
        return None, shape
    others = form.ctx.workbook.problems(stand_in, previous=form.state.stored)
    return None, shape + [p for p in others if _root(p.field) not in bad]


def show_problems(form: EntryForm, problems: list[FieldProblem], data: Mapping[str, Any]) -> None:
    """Show each problem beside its field (others in the form's message), escaped."""
    ctx = form.ctx
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for problem in problems:
        text = message(ctx, problem.msgid, problem.values)
        if problem.msgid == "workshop.problem.markup":
            snippet = _markup_snippet(_value_at(data, problem.field))
            if snippet:
                text += " " + ctx.tr("forms.found", value=snippet)
        root = _root(problem.field)
        if root in form.fields:
            by_field.setdefault(root, []).append(text)
        else:
            general.append(f"{ctx.tr(f'workshop.field.{root}')}: {text}" if root else text)
    for name, made in form.fields.items():
        made.problem.value = problems_html(by_field.get(name, []))
    parts = [status_html(ctx.tr("forms.not_saved"), "bad")]
    parts += [problems_html(general)]
    form.message.value = "".join(parts)


def clear_problems(form: EntryForm) -> None:
    """Remove every problem shown beside a field."""
    for made in form.fields.values():
        made.problem.value = ""


def _root(field_name: str) -> str:
    """``stages[2]`` → ``stages``; ``a.b`` → ``a``."""
    return re.split(r"[\[.]", field_name, maxsplit=1)[0]


def _value_at(data: Mapping[str, Any], field_name: str) -> Any:
    found = re.fullmatch(r"(\w+)\[(\d+)\]", field_name)
    if found:
        listed = data.get(found.group(1))
        index = int(found.group(2))
        return listed[index] if isinstance(listed, list) and index < len(listed) else None
    return data.get(field_name)


def _markup_snippet(value: object) -> str:
    """The part of a text that looks like HTML, cut to a few characters."""
    if not isinstance(value, str):
        return ""
    found = _MARKUP.search(value)
    if found is None:
        return ""
    part = value[found.start() : found.start() + _SNIPPET]
    return part + ("…" if len(value) > found.start() + _SNIPPET else "")
