"""Actions: who does what by when, for which goal or touchpoint — and which are overdue.

An :class:`Action` closes the loop goals → analysis → action → measure: an owner department, a
due date, a status, optionally the goal and the touchpoint it serves and the effect expected.
:func:`validate_action` lists every problem as a :class:`~cxlib.errors.FieldProblem`
(``workshop.problem.*`` in ``workshop.po``); :func:`overdue` lists what is late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from cxlib.errors import FieldProblem
from cxlib.rules import (
    ID_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Reader,
    Rules,
    check_choice,
    check_date,
    check_owner,
    check_text,
    optional,
    plain,
    read_date,
    read_entry,
    read_text,
)

#: The kind under which the store keeps actions.
KIND = "action"
STATUSES = ("planned", "in_progress", "done", "dropped")
#: Statuses of actions that are finished one way or another (never overdue).
CLOSED = ("done", "dropped")

_PROBLEM = "workshop.problem."


@dataclass(frozen=True)
class Action:
    """One action of the CX programme.

    Attributes
    ----------
    title
        What is to be done.
    owner
        The department that does it.
    due
        When it is due.
    status
        One of :data:`STATUSES`.
    goal_id, touchpoint_id
        The goal and the touchpoint it serves (ids given by the store; empty for none).
    expected_effect
        What the team expects it to change, in words.
    done_on
        When it was done (only with status ``done``).
    id
        Given by the store.
    """

    KIND: ClassVar[str] = KIND

    title: str
    owner: str
    due: dt.date
    status: str = "planned"
    goal_id: str = ""
    touchpoint_id: str = ""
    expected_effect: str = ""
    done_on: dt.date | None = None
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The action as a JSON- and YAML-safe dict (ISO dates)."""
        return plain(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Action:
        """Read an action; :class:`~cxlib.errors.ValidationError` lists every shape problem."""
        return read_entry(KIND, cls, data, _READERS)


_READERS: Mapping[str, Reader] = {
    "title": read_text,
    "owner": read_text,
    "due": read_date,
    "status": read_text,
    "goal_id": read_text,
    "touchpoint_id": read_text,
    "expected_effect": read_text,
    "done_on": optional(read_date),
    "id": read_text,
}


def validate_action(
    action: Action, rules: Rules, *, previous: Action | None = None
) -> list[FieldProblem]:
    """Every problem of an action's values.

    Parameters
    ----------
    action
        The action as entered.
    rules
        The departments and today's date.
    previous
        The stored version when an existing action is edited: a due date in the past is
        refused only for a new action or when the due date was changed, so a late action can
        still be edited (and marked done).

    Returns
    -------
    list of FieldProblem
        Empty when the action may be saved. Checked: title, owner, due date, status, the
        references, the expected effect, and ``done_on`` (only with status ``done``, not after
        today).
    """
    problems = check_text("title", action.title, required=True, max_length=TITLE_MAX)
    problems += check_owner("owner", action.owner, rules)
    unchanged = previous is not None and previous.due == action.due
    problems += check_date(
        "due",
        action.due,
        not_before=None if unchanged else rules.today,
        msgid=_PROBLEM + "due_passed",
    )
    problems += check_choice("status", action.status, STATUSES)
    for name in ("goal_id", "touchpoint_id", "id"):
        problems += check_text(name, getattr(action, name), required=False, max_length=ID_MAX)
    problems += check_text(
        "expected_effect", action.expected_effect, required=False, max_length=TEXT_MAX
    )
    if action.done_on is not None:
        if action.status != "done":
            problems.append(FieldProblem.of("done_on", _PROBLEM + "done_on_not_done"))
        problems += check_date(
            "done_on",
            action.done_on,
            not_after=rules.today,
            msgid=_PROBLEM + "done_on_in_future",
        )
    return problems


def overdue(actions: Iterable[Action], today: dt.date) -> list[Action]:
    """Actions not done or dropped whose due date is before ``today``, oldest due date first.

    Actions due on the same day keep the order they were given in.
    """
    late = [a for a in actions if a.status not in CLOSED and _before(a.due, today)]
    return sorted(late, key=lambda a: a.due)


def _before(due: object, today: dt.date) -> bool:
    return isinstance(due, dt.date) and not isinstance(due, dt.datetime) and due < today
