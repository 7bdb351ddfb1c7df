"""Read a workspace's data files into the canonical tables, with a data-quality report.

This is the first cut of the intake (CSV/TSV in UTF-8 or a configured encoding; ISO or configured
date formats). What it does, it does fully: every mapped column is checked, every value is parsed
against its kind and scale, and no row disappears without being counted in the
:class:`QualityReport` with up to five example line numbers — physical, 1-based lines of the
file (header = line 1), correct also when a quoted comment spans several lines.

Reasons are :class:`Problem` values (message id and parameters), turned into words by
:mod:`cxlib.i18n` where they are shown.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from cxlib.errors import DataError, did_you_mean
from cxlib.i18n import Translator
from cxlib.workspace import REQUIRED_COLUMNS, SCORE_COLUMNS, Source, Workspace

_DATETIMES = {
    "submitted_at",
    "created_at",
    "first_response_at",
    "resolved_at",
    "ordered_at",
    "started_at",
    "ended_at",
}
_SCORES = {"nps", "csat", "ces", "enps"}
_FLAGS = {"satisfied", "churned", "reopened", "sla_met"}
_NUMBERS = {"revenue", "weight", "tenure_months"}
_COUNTS = {"contacts"}
_IDS = {
    "responses": "response_id",
    "tickets": "ticket_id",
    "orders": "order_id",
    "customers": "customer_id",
    "feedback": "feedback_id",
}
_EXAMPLES = 5
_OFFSET = r"(?:Z|[+-]\d{2}:?\d{2})$"


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


@dataclass(frozen=True)
class Table:
    """A canonical table and the quality reports of the files it came from."""

    name: str
    frame: pd.DataFrame
    reports: tuple[QualityReport, ...]


def load_table(workspace: Workspace, table: str) -> Table:
    """Load every file of one canonical table, validated and in canonical columns.

    Parameters
    ----------
    workspace
        The loaded workspace.
    table
        ``responses``, ``tickets``, ``orders``, ``customers``, ``employees`` or ``feedback``.

    Returns
    -------
    Table
        Timestamps as UTC (naive ones read in the workspace's time zone, ones with an offset
        converted), scores as nullable integers, ``_line`` with each row's line in its file and
        ``_file`` with the file's name.

    Raises
    ------
    DataError
        When the table is not configured, a file cannot be read, its header repeats a column,
        a mapped column is missing, or more rows than ``max_dropped_share`` are unusable.
    """
    if table not in workspace.sources:
        raise DataError(
            f"the workspace has no '{table}' source.",
            file=workspace.config_path,
            key=f"sources.{table}",
            hint=f"Add 'sources: {table}: path: …' to workspace.yaml.",
        )
    frames, reports = [], []
    for source in workspace.sources[table]:
        for path in source.files:
            frame, report = _load_file(source, path, workspace.timezone)
            frames.append(frame)
            reports.append(report)
    return Table(table, pd.concat(frames, ignore_index=True), tuple(reports))


def _load_file(source: Source, path: Path, timezone: str) -> tuple[pd.DataFrame, QualityReport]:
    raw, lines, encoding = read_csv(path, source)
    report = QualityReport(table=source.table, path=path, encoding=encoding, rows_read=len(raw))
    mapping = {**source.columns, **{f"rating_{k}": v for k, v in source.ratings.items()}}
    for canonical, column in mapping.items():
        if column not in raw.columns:
            raise DataError(
                f"column '{column}' (mapped as {canonical}) is not in the file."
                f"{did_you_mean(column, raw.columns)}",
                file=path,
                column=column,
                hint=f"Fix {source.key}.columns.{canonical} in workspace.yaml.",
            )
    report.unused_columns = [c for c in raw.columns if c not in set(mapping.values())]
    frame = pd.DataFrame({canonical: raw[column] for canonical, column in mapping.items()})
    frame["_line"] = lines
    frame["_file"] = path.name
    drop = pd.Series(False, index=frame.index)
    for canonical in mapping:
        parsed, bad, reason, not_applicable = _parse(frame[canonical], canonical, source, timezone)
        frame[canonical] = parsed
        if not_applicable:
            report.coerced[_problem("quality.not_applicable", column=canonical)] = not_applicable
        if not bad.any():
            continue
        if canonical.startswith("rating_"):  # one odd rating does not cost the whole answer
            report.coerced[reason] = int(bad.sum())
        else:
            _count(report.dropped, reason, bad & ~drop, frame["_line"])
            drop |= bad
    for canonical in REQUIRED_COLUMNS.get(source.table, ()):
        missing = frame[canonical].isna() & ~drop
        _count(
            report.dropped, _problem("quality.missing", column=canonical), missing, frame["_line"]
        )
        drop |= missing
    if source.table == "responses":
        scores = [c for c in frame.columns if c in SCORE_COLUMNS or c.startswith("rating_")]
        empty = frame[scores].isna().all(axis=1) & ~drop
        _count(report.dropped, _problem("quality.no_score"), empty, frame["_line"])
        drop |= empty
    _flag(frame, drop, source.table, report)
    kept = frame.loc[~drop].reset_index(drop=True)
    report.rows_kept = len(kept)
    _check_dropped_share(report, source)
    return kept, report


def read_csv(path: Path, source: Source) -> tuple[pd.DataFrame, list[int], str]:
    """Read a CSV/TSV file as text columns, with the physical line where each record starts.

    Blank lines are skipped; values listed in ``na_values`` (and empty cells) become missing.

    Returns
    -------
    (frame, lines, encoding)

    Raises
    ------
    DataError
        For a format this version cannot read, undecodable text, an empty file, a repeated
        header column, or a record with more or fewer fields than the header.
    """
    separator = "\t" if path.suffix.lower() in {".tsv", ".tab"} else ","
    if path.suffix.lower() not in {".csv", ".tsv", ".tab", ".txt"}:
        raise DataError(
            f"reading '{path.suffix}' files is not supported yet; this version reads CSV and TSV.",
            file=path,
            hint="Export the data as CSV.",
        )
    encoding = "utf-8-sig" if source.encoding in {"auto", "utf-8", "utf8"} else source.encoding
    try:
        with path.open(encoding=encoding, newline="") as handle:
            records = _records(csv.reader(handle, delimiter=separator))
    except UnicodeDecodeError as exc:
        raise DataError(
            f"is not {encoding.removesuffix('-sig')} text "
            f"(undecodable byte at offset {exc.start}).",
            file=path,
            hint=f"Save the file as UTF-8, or set {source.key}.encoding (e.g. cp1252).",
        ) from None
    except (LookupError, csv.Error) as exc:
        raise DataError(f"cannot be read: {exc}.", file=path) from None
    if not records:
        raise DataError("is empty: it has no header row.", file=path, hint="Export it again.")
    (_, header), *rows = records
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name in seen:
            raise DataError(
                f"column '{name}' appears twice in the header (columns {seen[name]} and "
                f"{position}).",
                file=path,
                line=1,
                hint="Rename one of them in the file.",
            )
        seen[name] = position
    for line, values in rows:
        if len(values) != len(header):
            raise DataError(
                f"has {len(values)} fields where the header has {len(header)}.",
                file=path,
                line=line,
                hint="Check the delimiter and the quoting around that line.",
            )
    missing = {"", *source.na_values}
    frame = pd.DataFrame([values for _, values in rows], columns=header, dtype="string")
    blank = frame.apply(lambda column: column.str.strip() == "").fillna(False).astype(bool)
    frame = frame.mask(frame.isin(missing).astype(bool) | blank)
    return frame, [line for line, _ in rows], encoding.removesuffix("-sig")


def _records(reader: Any) -> list[tuple[int, list[str]]]:
    """Non-blank records of a ``csv.reader`` with the physical line each one starts on."""
    records = []
    end = 0
    for values in reader:
        start, end = end + 1, reader.line_num
        if values and any(v.strip() for v in values):
            records.append((start, values))
    return records


def _parse(
    values: pd.Series, canonical: str, source: Source, timezone: str
) -> tuple[pd.Series, pd.Series, Problem, int]:
    """Parse one column: (values, rows whose value is unusable, reason, 'not applicable' count)."""
    present = values.notna()
    if canonical in _DATETIMES:
        fmt = source.date_format.get(canonical, "ISO8601")
        parsed = _datetimes(values, fmt, timezone)
        return (
            parsed,
            present & parsed.isna(),
            _problem("quality.not_a_date", column=canonical, format=fmt),
            0,
        )
    is_rating = canonical.startswith("rating_")
    if not (is_rating or canonical in _SCORES | _FLAGS | _COUNTS | _NUMBERS):
        return values.str.strip(), pd.Series(False, index=values.index), Problem(""), 0
    numbers = pd.to_numeric(values, errors="coerce")
    not_applicable = (
        numbers.isin(source.not_applicable) if is_rating else pd.Series(False, index=values.index)
    )
    low: float
    high: float
    if is_rating:
        low, high = source.rating_scale
    elif canonical in _FLAGS:
        low, high = 0, 1
    elif canonical in _COUNTS:
        low, high = 1, float("inf")
    elif canonical in _NUMBERS:
        low, high = 0, float("inf")
    else:
        low, high = source.scales.get(canonical, (0, 10))
    whole = canonical not in _NUMBERS
    integral = numbers % 1 == 0 if whole else pd.Series(True, index=values.index)
    ok = (numbers.between(low, high) & integral & ~not_applicable).fillna(False).astype(bool)
    bad = present & ~ok & ~not_applicable
    parsed = numbers.where(ok)
    parsed = parsed.astype("Int64") if whole else parsed.astype("Float64")
    if high == float("inf"):
        reason = _problem("quality.not_at_least", column=canonical, low=low)
    elif is_rating:  # the rating becomes missing, the answer is kept
        reason = _problem("quality.rating_out_of_scale", column=canonical, low=low, high=high)
    else:
        reason = _problem("quality.not_whole_number", column=canonical, low=low, high=high)
    return parsed, bad, reason, int(not_applicable.sum())


def _datetimes(values: pd.Series, fmt: str, timezone: str) -> pd.Series:
    """Parse timestamps to UTC: naive ones in ``timezone``, ones with an offset as given."""
    with_offset = values.str.contains(_OFFSET, regex=True, na=False)
    parts = []
    if (~with_offset).any():
        naive = pd.to_datetime(values[~with_offset], format=fmt, errors="coerce")
        naive = naive.dt.tz_localize(timezone, ambiguous=False, nonexistent="shift_forward")
        parts.append(naive.dt.tz_convert("UTC"))
    if with_offset.any():
        parts.append(pd.to_datetime(values[with_offset], format=fmt, errors="coerce", utc=True))
    parsed = (
        pd.concat(parts).reindex(values.index) if parts else values.astype("datetime64[ns, UTC]")
    )
    return parsed.astype("datetime64[ns, UTC]")


def _flag(frame: pd.DataFrame, drop: pd.Series, table: str, report: QualityReport) -> None:
    """Count rows that are kept but questionable: repeated ids, answers before questions."""
    kept = ~drop
    id_column = _IDS.get(table)
    if id_column in frame.columns:
        repeated = frame[id_column].duplicated(keep=False) & frame[id_column].notna() & kept
        _count(
            report.warnings,
            _problem("quality.duplicate_id", column=id_column),
            repeated,
            frame["_line"],
        )
    if table == "tickets":
        for later in ("first_response_at", "resolved_at"):
            if later in frame.columns:
                wrong = (frame[later] < frame["created_at"]).fillna(False) & kept
                _count(
                    report.warnings,
                    _problem("quality.before_created", column=later),
                    wrong,
                    frame["_line"],
                )


def _check_dropped_share(report: QualityReport, source: Source) -> None:
    share = 1 - report.rows_kept / report.rows_read if report.rows_read else 0.0
    if share <= source.max_dropped_share:
        return
    reason, (count, lines) = max(report.dropped.items(), key=lambda item: item[1][0])
    raise DataError(
        f"{share:.1%} of {report.rows_read} rows are unusable, more than the allowed "
        f"{source.max_dropped_share:.0%}; most often '{reason.text(Translator('en'))}' "
        f"({count} rows, e.g. lines {', '.join(map(str, lines))}).",
        file=report.path,
        hint=f"Fix the file or the mapping, or raise {source.key}.max_dropped_share.",
    )


def _count(
    into: dict[Problem, tuple[int, list[int]]], reason: Problem, mask: pd.Series, lines: pd.Series
) -> None:
    count = int(mask.sum())
    if count:
        before, examples = into.get(reason, (0, []))
        more = [int(x) for x in lines[mask].head(_EXAMPLES)]
        into[reason] = (before + count, (examples + more)[:_EXAMPLES])


def quality_rows(tables: Mapping[str, Table], tr: Translator) -> list[dict[str, object]]:
    """Flatten the quality reports of loaded tables into rows for a table or JSON."""
    rows: list[dict[str, object]] = []
    for table in tables.values():
        for report in table.reports:
            rows.append(
                {
                    "table": report.table,
                    "path": report.path.name,
                    "encoding": report.encoding,
                    "rows_read": report.rows_read,
                    "rows_kept": report.rows_kept,
                    "dropped": {
                        p.text(tr): {"count": c, "rows": r} for p, (c, r) in report.dropped.items()
                    },
                    "coerced": {p.text(tr): c for p, c in report.coerced.items()},
                    "warnings": {
                        p.text(tr): {"count": c, "rows": r} for p, (c, r) in report.warnings.items()
                    },
                }
            )
    return rows
