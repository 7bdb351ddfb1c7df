"""The data-quality report: what happened to each file on its way into a canonical table.

Reasons are :class:`Problem` values (a message id and its parameters), turned into words by
:mod:`cxlib.i18n` where they are shown, so the report reads in English, German or Danish.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cxlib.i18n import Translator

#: Example line numbers kept per reason.
EXAMPLES = 5


@dataclass(frozen=True)
class Problem:
    """Why a row was dropped, a value changed or a row flagged: a message id and parameters."""

    msgid: str
    params: tuple[tuple[str, object], ...] = ()

    def text(self, tr: Translator) -> str:
        """The reason in ``tr``'s language."""
        return tr(self.msgid, **dict(self.params))


def _problem(msgid: str, **params: object) -> Problem:
    return Problem(msgid, tuple(sorted(params.items())))


def problem(msgid: str, **params: object) -> Problem:
    """A :class:`Problem` with its parameters in a stable order (so equal problems are equal)."""
    return Problem(msgid, tuple(sorted(params.items())))


@dataclass
class QualityReport:
    """What happened to one file on its way into a canonical table.

    Attributes
    ----------
    dropped
        Reason → (rows, up to five example line numbers).
    coerced
        Reason → count of values changed but kept (e.g. "not applicable" ratings → missing).
    warnings
        Reason → (rows, example line numbers) for rows kept but flagged.
    """

    table: str
    path: Path
    encoding: str
    rows_read: int = 0
    rows_kept: int = 0
    dropped: dict[Problem, tuple[int, list[int]]] = field(default_factory=dict)
    coerced: dict[Problem, int] = field(default_factory=dict)
    warnings: dict[Problem, tuple[int, list[int]]] = field(default_factory=dict)
    unused_columns: list[str] = field(default_factory=list)
    deduplicated: int = 0
    date_formats: dict[str, str] = field(default_factory=dict)


def count_rows(
    into: dict[Problem, tuple[int, list[int]]], reason: Problem, mask: pd.Series, lines: pd.Series
) -> None:
    count = int(mask.sum())
    if count:
        before, examples = into.get(reason, (0, []))
        more = [int(x) for x in lines[mask].head(EXAMPLES)]
        into[reason] = (before + count, (examples + more)[:EXAMPLES])


def report_row(report: QualityReport, tr: Translator) -> dict[str, object]:
    """One file's quality report as plain data (the ``check --format json`` row)."""
    return {
        "table": report.table,
        "path": str(report.path),
        "encoding": report.encoding,
        "rows_read": report.rows_read,
        "rows_kept": report.rows_kept,
        "deduplicated": report.deduplicated,
        "dropped": {p.text(tr): {"count": c, "rows": r} for p, (c, r) in report.dropped.items()},
        "coerced": {p.text(tr): c for p, c in report.coerced.items()},
        "warnings": {p.text(tr): {"count": c, "rows": r} for p, (c, r) in report.warnings.items()},
        "unused_columns": list(report.unused_columns),
        "date_formats": dict(report.date_formats),
    }
