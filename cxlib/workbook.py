"""The workshop's own work (goals, journeys, stages, touchpoints, actions), read and written safely.

:class:`Workbook` is what forms, notebooks and the CLI use: it turns the store's JSON records into
the validated models of :mod:`cxlib.goals`, :mod:`cxlib.journey` and :mod:`cxlib.actions`, checks
every entry against the workspace's rules (KPI catalogue, departments, values, today) and its
references (a touchpoint's stage exists, an action's goal exists …) before anything is written,
and leaves concurrency, history and undo to :class:`cxlib.store.Store`.

A problem with an entry is a :class:`~cxlib.errors.ValidationError` listing every
:class:`~cxlib.errors.FieldProblem`; nothing is stored half-way. A stale save is a
:class:`cxlib.store.Conflict` carrying both versions.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from cxlib import actions, goals, journey
from cxlib.errors import FieldProblem, ValidationError
from cxlib.rules import Rules
from cxlib.store import Conflict, NotFound, Record, Store
from cxlib.workspace import Workspace

Item = goals.Goal | journey.Journey | journey.Stage | journey.Touchpoint | actions.Action
T = TypeVar("T", goals.Goal, journey.Journey, journey.Stage, journey.Touchpoint, actions.Action)

#: kind → model class, in the order an export lists them (parents before children).
MODELS: dict[str, type[Any]] = {
    model.KIND: model
    for model in (goals.Goal, journey.Journey, journey.Stage, journey.Touchpoint, actions.Action)
}
_PROBLEM = "workbook.problem."


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One stored entry: the model (its ``id`` filled in) and the version a save must name."""

    item: T
    version: int
    updated_at: dt.datetime
    updated_by: str


def kind_of(item: Item) -> str:
    """The store kind of a model instance (``goal``, ``touchpoint`` …)."""
    for kind, model in MODELS.items():
        if isinstance(item, model):
            return kind
    raise TypeError(f"not a workbook model: {type(item).__name__}")


def from_record(record: Record) -> Any:
    """The model of a stored record (its id filled in)."""
    return MODELS[record.kind].from_dict({**record.data, "id": record.id})


def to_data(item: Item) -> dict[str, Any]:
    """The JSON data the store keeps for ``item`` (everything but the id, which the store holds)."""
    data = item.to_dict()
    data.pop("id", None)
    return data


def check_structure(kind: str, data: Mapping[str, Any]) -> None:
    """The store's guard: ``data`` must read as a model of ``kind`` (raises ValidationError)."""
    MODELS[kind].from_dict(dict(data))


def rules_for(workspace: Workspace, *, today: dt.date | None = None) -> Rules:
    """The rules entries of ``workspace`` are checked against (touchpoint ratings included)."""
    ratings = sorted(
        {
            f"rating_{name}"
            for source in workspace.sources.get("responses", ())
            for name in source.ratings
        }
    )
    return Rules.for_workspace(workspace, rating_columns=ratings, today=today)


def _validator(kind: str) -> Callable[..., list[FieldProblem]]:
    validators: dict[str, Callable[..., list[FieldProblem]]] = {
        goals.Goal.KIND: goals.validate_goal,
        journey.Journey.KIND: journey.validate_journey,
        journey.Stage.KIND: journey.validate_stage,
        journey.Touchpoint.KIND: journey.validate_touchpoint,
        actions.Action.KIND: actions.validate_action,
    }
    return validators[kind]


def exists(workspace: Workspace) -> bool:
    """Whether ``workspace`` has a workbook yet (``$CX_STORE_URL`` set, or its ``workbook.db``).

    Pages that only read ask this first, so that showing a workspace never creates a file in it.
    """
    return bool(os.environ.get("CX_STORE_URL")) or (workspace.root / "workbook.db").exists()


class Workbook:
    """Typed, validated access to a workspace's workshop entries.

    Parameters
    ----------
    store
        Where the entries live (:meth:`Store.for_workspace`).
    rules
        What entries are checked against (:func:`rules_for`).
    """

    def __init__(self, store: Store, rules: Rules) -> None:
        self.store = store
        self.rules = rules

    @classmethod
    def open(
        cls, workspace: Workspace, *, url: str | None = None, today: dt.date | None = None
    ) -> Workbook:
        """Open the workbook of ``workspace`` (``workbook.db`` unless ``url`` says otherwise)."""
        store = Store.for_workspace(workspace.root, url=url, validate=check_structure)
        return cls(store, rules_for(workspace, today=today))

    def close(self) -> None:
        """Close the store."""
        self.store.close()

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # reading -------------------------------------------------------------------------------

    def entries(self, kind: str) -> list[Entry[Any]]:
        """Every live entry of ``kind``, oldest first."""
        return [self._entry(record) for record in self.store.list(kind)]

    def get(self, kind: str, id: str) -> Entry[Any]:
        """One entry (raises :class:`cxlib.store.NotFound`)."""
        return self._entry(self.store.get(kind, id))

    def goals(self) -> list[Entry[goals.Goal]]:
        """The goals, oldest first."""
        return self.entries(goals.Goal.KIND)

    def journeys(self) -> list[Entry[journey.Journey]]:
        """The journeys, oldest first."""
        return self.entries(journey.Journey.KIND)

    def stages(self, journey_id: str | None = None) -> list[Entry[journey.Stage]]:
        """The stages (of one journey), by position, then oldest first."""
        found = self.entries(journey.Stage.KIND)
        if journey_id is not None:
            found = [e for e in found if e.item.journey_id == journey_id]
        return sorted(found, key=lambda e: e.item.position)

    def touchpoints(self, stage_id: str | None = None) -> list[Entry[journey.Touchpoint]]:
        """The touchpoints (of one stage), oldest first."""
        found = self.entries(journey.Touchpoint.KIND)
        if stage_id is not None:
            found = [e for e in found if e.item.stage_id == stage_id]
        return found

    def actions(self) -> list[Entry[actions.Action]]:
        """The actions, oldest first."""
        return self.entries(actions.Action.KIND)

    # writing -------------------------------------------------------------------------------

    def problems(
        self,
        item: Item,
        *,
        previous: Item | None = None,
        known: Mapping[str, set[str]] | None = None,
    ) -> list[FieldProblem]:
        """Everything wrong with ``item``: its own rules, then its references to other entries.

        Parameters
        ----------
        previous
            The entry as stored before this edit (a date that has not changed may lie in the
            past).
        known
            Ids per kind that count as existing besides the stored ones (entries of the same
            import).
        """
        kind = kind_of(item)
        validate = _validator(kind)
        if kind in (goals.Goal.KIND, actions.Action.KIND):
            found = list(validate(item, self.rules, previous=previous))
        else:
            found = list(validate(item, self.rules))
        return found + self._reference_problems(item, known or {})

    def add(self, item: T, *, who: str) -> Entry[T]:
        """Validate and store a new entry; raises ValidationError and stores nothing if wrong."""
        kind = kind_of(item)
        found = self.problems(item)
        if found:
            raise ValidationError(kind, found)
        return self._entry(self.store.add(kind, to_data(item), who=who))

    def save(self, item: T, *, version: int, who: str) -> Entry[T]:
        """Validate and save an edited entry read at ``version``.

        Raises
        ------
        ValidationError
            When the entry breaks a rule (nothing stored).
        cxlib.store.Conflict
            When someone saved it since ``version`` (nothing stored; both versions attached).
        """
        kind = kind_of(item)
        try:
            previous = from_record(self.store.get(kind, item.id))
        except NotFound as gone:
            if gone.msgid != "store.deleted":
                raise
            raise Conflict(  # deleted since the form was opened: keep the user's input
                "store.conflict.deleted",
                current=None,
                yours=to_data(item),
                kind=kind,
                who=gone.params["who"],
                time=gone.params["time"],
                your_version=version,
            ) from None
        found = self.problems(item, previous=previous)
        if found:
            raise ValidationError(kind, found)
        return self._entry(self.store.save(kind, item.id, to_data(item), version=version, who=who))

    def delete(self, kind: str, id: str, *, version: int, who: str) -> None:
        """Delete an entry nothing else refers to (raises ValidationError naming what does)."""
        users = self._users(kind, id)
        if users:
            names = ", ".join(users[:5])
            raise ValidationError(
                kind, [FieldProblem.of("id", f"{_PROBLEM}in_use", names=names, n=len(users))]
            )
        self.store.delete(kind, id, version=version, who=who)

    def undo_last(self, *, who: str) -> Entry[Any] | None:
        """Undo ``who``'s newest change; the entry as it is now (None when it is gone)."""
        record = self.store.undo_last(who=who)
        return None if record is None else self._entry(record)

    # helpers -------------------------------------------------------------------------------

    def _entry(self, record: Record) -> Entry[Any]:
        return Entry(from_record(record), record.version, record.updated_at, record.updated_by)

    def _ids(self, kind: str) -> set[str]:
        return {record.id for record in self.store.list(kind)}

    def _reference_problems(self, item: Item, extra: Mapping[str, set[str]]) -> list[FieldProblem]:
        references: list[tuple[str, str, str]] = []  # field, kind, id
        if isinstance(item, journey.Stage):
            references.append(("journey_id", journey.Journey.KIND, item.journey_id))
        elif isinstance(item, journey.Touchpoint):
            references.append(("stage_id", journey.Stage.KIND, item.stage_id))
        elif isinstance(item, actions.Action):
            references += [
                ("goal_id", goals.Goal.KIND, item.goal_id),
                ("touchpoint_id", journey.Touchpoint.KIND, item.touchpoint_id),
            ]
        elif isinstance(item, goals.Goal):
            references += [("stages", journey.Stage.KIND, stage) for stage in item.stages]
        found: list[FieldProblem] = []
        known: dict[str, set[str]] = {}
        for field_name, kind, ref in references:
            if not ref:
                continue
            if kind not in known:
                known[kind] = self._ids(kind) | extra.get(kind, set())
            if ref not in known[kind]:
                found.append(FieldProblem.of(field_name, f"{_PROBLEM}missing_reference", id=ref))
        return found

    def _users(self, kind: str, id: str) -> list[str]:
        """Titles/names of entries that refer to entry ``id`` of ``kind``."""
        users: list[str] = []
        if kind == journey.Journey.KIND:
            users += [e.item.name for e in self.stages(id)]
        elif kind == journey.Stage.KIND:
            users += [e.item.name for e in self.touchpoints(id)]
            users += [e.item.title for e in self.goals() if id in e.item.stages]
        elif kind == goals.Goal.KIND:
            users += [e.item.title for e in self.actions() if e.item.goal_id == id]
        elif kind == journey.Touchpoint.KIND:
            users += [e.item.title for e in self.actions() if e.item.touchpoint_id == id]
        return users
