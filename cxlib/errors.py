"""The error hierarchy of cxlib.

Every error a user can cause is a :class:`CxError`. It carries what went wrong as attributes
(file, key, column, row, hint) so that the CLI, notebooks and the app can print one clear line
instead of a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path


class CxError(Exception):
    """A problem the user can fix: bad input, a bad parameter, a missing file.

    Parameters
    ----------
    message
        What is wrong, including the value received and what is allowed.
    file
        The file at fault, if any.
    key
        The configuration key at fault (dotted path), if any.
    line
        1-based line of ``file`` (configuration files) or of the data row, if known.
    column
        The data column at fault, if any.
    hint
        How to fix it.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        key: str | None = None,
        line: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.key = key
        self.line = line
        self.column = column
        self.hint = hint
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """Return the whole problem as one line: where, what, and how to fix it."""
        where = ""
        if self.file is not None:
            where = self.file if self.line is None else f"{self.file}:{self.line}"
        parts = [f"{where}: {self.message}" if where else self.message]
        if self.hint:
            parts.append(self.hint)
        return " ".join(parts)


class WorkspaceError(CxError):
    """``workspace.yaml`` is missing, malformed or inconsistent."""


class DataError(CxError):
    """A data file is missing, unreadable or does not match its mapping."""


class ParameterError(CxError):
    """A notebook, report or CLI parameter has a value that is not allowed."""


@dataclass(frozen=True)
class FieldProblem:
    """What is wrong with one field of a workshop entry: a message id and its parameters.

    The words come from :mod:`cxlib.i18n` where the problem is shown (a form, the CLI), so the
    same problem reads in English, German or Danish.

    Attributes
    ----------
    field
        The field at fault (``title``, ``emotion``, ``stages[2].name`` …).
    msgid
        Message id of the explanation (``workshop.problem.required``).
    params
        Values for the message's ``{fields}``, in a stable order.
    """

    field: str
    msgid: str
    params: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, field_name: str, msgid: str, **params: object) -> FieldProblem:
        """A problem with its parameters in a stable order (so equal problems are equal)."""
        return cls(field_name, msgid, tuple(sorted(params.items())))

    @property
    def values(self) -> Mapping[str, object]:
        """The parameters as a mapping."""
        return dict(self.params)


class ValidationError(CxError):
    """A workshop entry (goal, journey, touchpoint, action) breaks a rule; nothing was stored.

    Parameters
    ----------
    kind
        What was entered (``goal``, ``touchpoint`` …).
    problems
        Every problem found, not only the first.
    """

    def __init__(self, kind: str, problems: Iterable[FieldProblem]) -> None:
        self.kind = kind
        self.problems: tuple[FieldProblem, ...] = tuple(problems)
        listed = "; ".join(f"{p.field}: {p.msgid}" for p in self.problems)
        super().__init__(f"the {kind} was not saved: {listed}", key=kind)


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest choice, or ``""`` if none is close."""
    close = difflib.get_close_matches(value, [str(c) for c in choices], n=1, cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""
