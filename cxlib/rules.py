"""What a workshop entry is checked against, and the checks every model shares.

A workshop types goals, journey stages, touchpoints and actions into forms. Each model
(:mod:`cxlib.goals`, :mod:`cxlib.journey`, :mod:`cxlib.actions`) is read in two steps:

1. **shape** — ``from_dict`` turns a stored or typed mapping into a frozen dataclass with
   :func:`read_entry`, which lists *every* missing field, unknown key and wrong type in one
   :class:`~cxlib.errors.ValidationError` (``"12"`` is not a number, ``True`` is not a whole
   number, ``"2026-13-01"`` is not a date);
2. **rules** — ``validate_*`` checks the values against :class:`Rules` (the KPI catalogue, the
   workspace's departments and values, today's date) and returns
   :class:`~cxlib.errors.FieldProblem` s.

Both steps return message ids (``workshop.problem.*``) with parameters, never English words;
their texts are in ``cxlib/locale/<lang>/LC_MESSAGES/workshop.po``.

Text fields refuse HTML markup — a ``<`` followed by a letter, ``/``, ``!`` or ``?`` (``<script>``,
``<img src=x onerror=…>``, ``</b>``, ``<!--``) — while ``NPS < 40`` and ``a <-> b`` stay fine.
They also refuse control characters other than tab and line breaks, lone surrogates and the
bidirectional overrides that make text read differently from what it holds. Texts are escaped
wherever they are shown as well; refusing markup here keeps stored content plain.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import math
import numbers
import re
import zoneinfo
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from cxlib.errors import FieldProblem, ValidationError

if TYPE_CHECKING:  # the catalogue itself is imported only when a workspace is read
    from cxlib.kpis import Kpi

#: Longest title or name, in characters.
TITLE_MAX = 200
#: Longest free text (descriptions, scenarios, expected effects), in characters.
TEXT_MAX = 2000
#: Longest owner (department) name, in characters.
OWNER_MAX = 100
#: Longest reference to another entry (an id the store gave).
ID_MAX = 200
#: Longest value shown back inside a problem's parameters (the rest is cut with "…").
SHOWN_MAX = 60

_PROBLEM = "workshop.problem."
# a tag-like "<": followed by a letter, "/", "!" or "?"
_MARKUP = re.compile(r"<[A-Za-z/!?]")
# control characters (Unicode category Cc) but tab, line feed and carriage return (line breaks
# as a browser sends them); bidirectional embeddings, overrides and isolates (they reorder how
# text is displayed); lone surrogates (they cannot be stored as UTF-8)
_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class _Workspace(Protocol):
    """What :meth:`Rules.for_workspace` reads from a :class:`cxlib.workspace.Workspace`."""

    @property
    def timezone(self) -> str: ...

    @property
    def values(self) -> tuple[str, ...]: ...

    @property
    def departments(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Rules:
    """What an entry is checked against.

    Attributes
    ----------
    kpis
        The KPI catalogue (:func:`cxlib.kpis.catalogue`): id → :class:`~cxlib.kpis.Kpi`.
    departments
        The workspace's departments; when not empty, every owner must be one of them.
    values
        The workspace's values; a goal may be aligned with one of them.
    today
        The date deadlines and due dates are compared with.
    """

    kpis: Mapping[str, Kpi]
    departments: tuple[str, ...] = ()
    values: tuple[str, ...] = ()
    today: dt.date = field(default_factory=dt.date.today)

    @classmethod
    def for_workspace(
        cls,
        workspace: _Workspace,
        *,
        rating_columns: Sequence[str] = (),
        today: dt.date | None = None,
    ) -> Rules:
        """The rules of a loaded workspace.

        Parameters
        ----------
        workspace
            A loaded :class:`cxlib.workspace.Workspace`.
        rating_columns
            Touchpoint rating columns (``rating_delivery`` …) whose KPIs join the catalogue,
            besides those the workspace's response sources map under ``ratings``.
        today
            Defaults to today's date in the workspace's time zone.
        """
        from cxlib.kpis import catalogue

        configured = [
            f"rating_{name}"
            for source in getattr(workspace, "sources", {}).get("responses", ())
            for name in getattr(source, "ratings", {})
        ]
        columns = list(dict.fromkeys([*configured, *rating_columns]))
        if today is None:
            today = dt.datetime.now(zoneinfo.ZoneInfo(workspace.timezone)).date()
        return cls(
            kpis=catalogue(columns),
            departments=tuple(workspace.departments),
            values=tuple(workspace.values),
            today=today,
        )


# ---------------------------------------------------------------------------------------------
# value checks (validate_*)


def shown(value: object) -> str:
    """A value as it is quoted back in a problem: a string, cut to :data:`SHOWN_MAX` characters."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def closest(value: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``value`` (as :func:`cxlib.errors.did_you_mean` finds it), or None."""
    found = difflib.get_close_matches(value, [str(c) for c in choices], n=1, cutoff=0.6)
    return found[0] if found else None


def check_text(field: str, value: object, *, required: bool, max_length: int) -> list[FieldProblem]:
    """Problems of one text field.

    Refused: a non-string (``not_text``); an empty or whitespace-only text when ``required``
    (``required``); more than ``max_length`` characters (``too_long`` with ``length``, ``max``);
    HTML markup (``markup``); control characters other than tab and line breaks, lone
    surrogates and bidirectional overrides (``control_character`` with ``code``, e.g. ``U+0007``).
    """
    if not isinstance(value, str):
        return [FieldProblem.of(field, _PROBLEM + "not_text")]
    if not value.strip():
        return [FieldProblem.of(field, _PROBLEM + "required")] if required else []
    problems = []
    if len(value) > max_length:
        problems.append(
            FieldProblem.of(field, _PROBLEM + "too_long", length=len(value), max=max_length)
        )
    if _MARKUP.search(value):
        problems.append(FieldProblem.of(field, _PROBLEM + "markup"))
    bad = _CONTROL.search(value)
    if bad is not None:
        code = f"U+{ord(bad.group()):04X}"
        problems.append(FieldProblem.of(field, _PROBLEM + "control_character", code=code))
    return problems


def check_texts(
    field: str, value: object, *, max_items: int, max_length: int
) -> list[FieldProblem]:
    """Problems of a list of texts (pain points …): each a required text, at most ``max_items``."""
    if not isinstance(value, tuple | list):
        return [FieldProblem.of(field, _PROBLEM + "not_a_list")]
    problems = []
    if len(value) > max_items:
        problems.append(
            FieldProblem.of(field, _PROBLEM + "too_many", count=len(value), max=max_items)
        )
    for index, item in enumerate(value):
        problems += check_text(f"{field}[{index}]", item, required=True, max_length=max_length)
    return problems


def check_choice(field: str, value: object, choices: Sequence[str]) -> list[FieldProblem]:
    """``not_a_choice`` (with ``value`` and ``choices``) unless ``value`` is one of ``choices``."""
    if isinstance(value, str) and value in choices:
        return []
    if isinstance(value, str) and not value.strip():
        return [FieldProblem.of(field, _PROBLEM + "required")]
    listed = ", ".join(str(c) for c in choices)
    return [FieldProblem.of(field, _PROBLEM + "not_a_choice", value=shown(value), choices=listed)]


def check_kpi(field: str, value: object, rules: Rules, *, required: bool) -> list[FieldProblem]:
    """Problems of a KPI reference: it must be an id of ``rules.kpis``.

    ``not_in_catalogue`` (``value``, ``suggestion``: the closest id) when an id is close,
    ``not_in_catalogue_no_match`` (``value``) otherwise.
    """
    if isinstance(value, str) and not value.strip():
        return [FieldProblem.of(field, _PROBLEM + "required")] if required else []
    if not isinstance(value, str):
        return [FieldProblem.of(field, _PROBLEM + "not_text")]
    if value in rules.kpis:
        return []
    suggestion = closest(value, rules.kpis)
    if suggestion is None:
        return [FieldProblem.of(field, _PROBLEM + "not_in_catalogue_no_match", value=shown(value))]
    return [
        FieldProblem.of(
            field, _PROBLEM + "not_in_catalogue", value=shown(value), suggestion=suggestion
        )
    ]


def check_owner(field: str, value: object, rules: Rules) -> list[FieldProblem]:
    """Problems of an owner: a required text; one of ``rules.departments`` when there are any.

    An unknown department gives ``unknown_department`` (``value``, ``suggestion``, ``choices``)
    when one is close, ``unknown_department_no_match`` (``value``, ``choices``) otherwise.
    """
    problems = check_text(field, value, required=True, max_length=OWNER_MAX)
    if problems or not rules.departments or value in rules.departments:
        return problems
    listed = ", ".join(rules.departments)
    suggestion = closest(str(value), rules.departments)
    if suggestion is None:
        return [
            FieldProblem.of(
                field,
                _PROBLEM + "unknown_department_no_match",
                value=shown(value),
                choices=listed,
            )
        ]
    return [
        FieldProblem.of(
            field,
            _PROBLEM + "unknown_department",
            value=shown(value),
            suggestion=suggestion,
            choices=listed,
        )
    ]


def check_date(
    field: str,
    value: object,
    *,
    after: dt.date | None = None,
    not_before: dt.date | None = None,
    not_after: dt.date | None = None,
    msgid: str,
) -> list[FieldProblem]:
    """Problems of a date: it must be a :class:`datetime.date` (not a datetime) within bounds.

    A value that is no date gives ``not_a_date``; a date outside ``after`` (exclusive),
    ``not_before`` or ``not_after`` (inclusive) gives ``msgid`` with the parameter ``date`` set
    to the bound it broke.
    """
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        return [FieldProblem.of(field, _PROBLEM + "not_a_date", value=shown(value))]
    for bound, broken in (
        (after, after is not None and value <= after),
        (not_before, not_before is not None and value < not_before),
        (not_after, not_after is not None and value > not_after),
    ):
        if broken:
            return [FieldProblem.of(field, msgid, date=bound)]
    return []


def is_number(value: object) -> bool:
    """True for a real number (int, float, numpy's numbers) that is not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def finite(value: object) -> float | None:
    """``value`` as a finite float, or None (not a number, a bool, infinite, NaN or too large)."""
    if not is_number(value):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def check_number(
    field: str, value: object, *, low: float | None = None, high: float | None = None
) -> list[FieldProblem]:
    """Problems of a number: ``not_a_number``, ``not_finite``, ``out_of_range`` or ``negative``.

    ``out_of_range`` (``low``, ``high``) when both bounds are given, ``negative`` for a number
    below a lower bound of 0 without an upper bound.
    """
    if not is_number(value):
        return [FieldProblem.of(field, _PROBLEM + "not_a_number")]
    number = finite(value)
    if number is None:
        return [FieldProblem.of(field, _PROBLEM + "not_finite")]
    if low is not None and high is not None and not low <= number <= high:
        return [FieldProblem.of(field, _PROBLEM + "out_of_range", low=low, high=high)]
    if high is None and low is not None and number < low:
        return [FieldProblem.of(field, _PROBLEM + "negative")]
    return []


def check_whole(field: str, value: object, *, low: int = 0) -> list[FieldProblem]:
    """Problems of a whole number of at least ``low`` (0): ``not_a_whole_number``, ``negative``."""
    if not isinstance(value, int) or isinstance(value, bool):
        return [FieldProblem.of(field, _PROBLEM + "not_a_whole_number")]
    return [FieldProblem.of(field, _PROBLEM + "negative")] if value < low else []


# ---------------------------------------------------------------------------------------------
# shape (from_dict / to_dict)


class _Refused(Exception):
    """A value a reader cannot take; carries the problems."""

    def __init__(self, *problems: FieldProblem) -> None:
        super().__init__()
        self.problems = problems


#: A reader takes (field name, raw value) and returns the field's value or raises ``_Refused``.
Reader = Callable[[str, Any], Any]
_Entry = TypeVar("_Entry")


def read_text(field: str, value: Any) -> str:
    """A string as it is (its content is checked by ``validate_*``)."""
    if not isinstance(value, str):
        raise _Refused(FieldProblem.of(field, _PROBLEM + "not_text"))
    return value


def read_number(field: str, value: Any) -> float:
    """An int or float (not a bool, not a string such as ``"12"``) as a float."""
    if not is_number(value):
        raise _Refused(FieldProblem.of(field, _PROBLEM + "not_a_number"))
    try:
        return float(value)
    except OverflowError:
        raise _Refused(FieldProblem.of(field, _PROBLEM + "not_finite")) from None


def read_whole(field: str, value: Any) -> int:
    """An int (not a bool, not a float such as ``30.0``)."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Refused(FieldProblem.of(field, _PROBLEM + "not_a_whole_number"))
    return value


def read_yes_no(field: str, value: Any) -> bool:
    """A bool (not ``"yes"``, not ``1``)."""
    if not isinstance(value, bool):
        raise _Refused(FieldProblem.of(field, _PROBLEM + "not_yes_no"))
    return value


def read_date(field: str, value: Any) -> dt.date:
    """An ISO date ``YYYY-MM-DD`` (string) or a :class:`datetime.date` (not a datetime)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _Refused(FieldProblem.of(field, _PROBLEM + "not_a_date", value=shown(value)))


def read_texts(field: str, value: Any) -> tuple[str, ...]:
    """A list (or tuple) of strings as a tuple."""
    if not isinstance(value, list | tuple):
        raise _Refused(FieldProblem.of(field, _PROBLEM + "not_a_list"))
    bad = [
        FieldProblem.of(f"{field}[{i}]", _PROBLEM + "not_text")
        for i, item in enumerate(value)
        if not isinstance(item, str)
    ]
    if bad:
        raise _Refused(*bad)
    return tuple(value)


def optional(reader: Reader) -> Reader:
    """A reader that also takes None (JSON ``null``)."""

    def read(field: str, value: Any) -> Any:
        return None if value is None else reader(field, value)

    return read


def read_entry(kind: str, cls: type[_Entry], data: object, readers: Mapping[str, Reader]) -> _Entry:
    """Build the dataclass ``cls`` from a mapping, or list every problem of its shape.

    Parameters
    ----------
    kind
        The entry's kind (``goal`` …), named by the error.
    cls
        A dataclass; its fields without a default are required.
    data
        The mapping read (a stored entry, a form's values, an imported YAML block).
    readers
        Field name → reader, for every field of ``cls``.

    Raises
    ------
    ValidationError
        With every problem: ``not_an_entry`` (``data`` is not a mapping), ``required`` (a
        missing field), ``unknown_field`` / ``unknown_field_no_match`` (a key that is no
        field, with the closest field), and the readers' type problems.
    """
    if not isinstance(data, Mapping):
        raise ValidationError(kind, [FieldProblem.of("", _PROBLEM + "not_an_entry")])
    problems: list[FieldProblem] = []
    values: dict[str, Any] = {}
    for key in data:
        if key not in readers:
            problems.append(_unknown_field(key, readers))
    for spec in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = spec.name
        if name not in data:
            no_default = spec.default is dataclasses.MISSING
            if no_default and spec.default_factory is dataclasses.MISSING:
                problems.append(FieldProblem.of(name, _PROBLEM + "required"))
            continue
        try:
            values[name] = readers[name](name, data[name])
        except _Refused as refused:
            problems += refused.problems
    if problems:
        raise ValidationError(kind, problems)
    return cls(**values)


def _unknown_field(key: object, readers: Mapping[str, Reader]) -> FieldProblem:
    name = shown(key)
    suggestion = closest(key, readers) if isinstance(key, str) else None
    if suggestion is None:
        return FieldProblem.of(
            name, _PROBLEM + "unknown_field_no_match", value=name, fields=", ".join(readers)
        )
    return FieldProblem.of(name, _PROBLEM + "unknown_field", value=name, suggestion=suggestion)


def plain(entry: object) -> dict[str, Any]:
    """A dataclass entry as a JSON- and YAML-safe dict: ISO date strings, lists for tuples."""
    out: dict[str, Any] = {}
    for spec in dataclasses.fields(entry):  # type: ignore[arg-type]
        value = getattr(entry, spec.name)
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[spec.name] = value
    return out
