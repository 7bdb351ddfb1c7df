"""Read a workspace's data files into the canonical tables, with a data-quality report.

This is the first cut of the intake (UTF-8 CSV/TSV files, ISO or configured date formats). What
it does, it does fully: every mapped column is checked, every value is parsed against its kind
and scale, and no row disappears without being counted in the :class:`QualityReport` with up to
five example line numbers (1-based lines of the file, header = line 1, one line per record).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cxlib.errors import DataError, did_you_mean
from cxlib.workspace import Source, Workspace

#: Kind of every canonical column that is not plain text.
_DATETIMES = {
    "submitted_at",
    "created_at",
    "first_response_at",
    "resolved_at",
    "ordered_at",
    "started_at",
    "ended_at",
}
_SCORES = {"nps", "csat", "ces", "enps", "rating"}
_FLAGS = {"satisfied", "churned", "reopened", "sla_met"}
_NUMBERS = {"revenue", "weight", "tenure_months"}
_COUNTS = {"contacts"}

#: Columns a row cannot do without; a row missing one is dropped and counted.
_ROW_REQUIRED: dict[str, tuple[str, ...]] = {
    "tickets": ("ticket_id", "created_at"),
    "orders": ("order_id", "customer_id", "ordered_at", "revenue"),
    "employees": ("enps",),
    "customers": ("customer_id",),
    "feedback": ("text",),
}
#: Columns the mapping must name.
_MAPPING_REQUIRED: dict[str, tuple[str, ...]] = {
    "tickets": ("ticket_id", "created_at"),
    "orders": ("order_id", "customer_id", "ordered_at", "revenue"),
    "employees": ("enps",),
    "customers": ("customer_id",),
    "feedback": ("text",),
}
_EXAMPLES = 5


@dataclass
class QualityReport:
    """What happened to one file on its way into a canonical table.

    Attributes
    ----------
    dropped
        Reason → (count, up to five example line numbers).
    coerced
        Reason → count of values changed but kept (e.g. "not applicable" ratings → missing).
    warnings
        Reason → (count, example line numbers) for rows kept but flagged.
    """

    table: str
    path: Path
    encoding: str
    rows_read: int = 0
    rows_kept: int = 0
    dropped: dict[str, tuple[int, list[int]]] = field(default_factory=dict)
    coerced: dict[str, int] = field(default_factory=dict)
    warnings: dict[str, tuple[int, list[int]]] = field(default_factory=dict)
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
        Timestamps as UTC (naive ones read in the workspace's time zone), scores as nullable
        integers, a ``_line`` column with each row's line in its file and ``_file`` with the file.

    Raises
    ------
    DataError
        When the table is not configured, a file cannot be read, a mapped column is missing,
        or more rows than the source's ``max_dropped_share`` are unusable.
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
    report = QualityReport(table=source.table, path=path, encoding="utf-8")
    raw = _read_csv(path, source)
    report.rows_read = len(raw)
    mapping = {**source.columns, **{f"rating_{k}": v for k, v in source.ratings.items()}}
    for canonical in _MAPPING_REQUIRED.get(source.table, ()):
        if canonical not in mapping:
            raise DataError(
                f"{source.key}.columns must map '{canonical}'.",
                hint=f"Add '{canonical}: <column in {path.name}>' under columns.",
            )
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
    frame["_line"] = pd.RangeIndex(2, len(raw) + 2)
    frame["_file"] = path.name
    drop = pd.Series(False, index=frame.index)
    for canonical in list(mapping):
        kind = "rating" if canonical.startswith("rating_") else canonical
        parsed, bad, reason = _parse(frame[canonical], kind, canonical, source, timezone)
        if kind == "rating":
            not_applicable = int(parsed.isna().sum() - frame[canonical].isna().sum() - bad.sum())
            if not_applicable:
                report.coerced[f"{canonical} 'not applicable' → missing"] = not_applicable
        frame[canonical] = parsed
        if bad.any():
            if kind == "rating":
                frame.loc[bad, canonical] = pd.NA
                report.coerced[reason] = int(bad.sum())
            else:
                _count(report.dropped, reason, bad & ~drop, frame["_line"])
                drop |= bad
    for canonical in _ROW_REQUIRED.get(source.table, ()):
        missing = frame[canonical].isna() & ~drop
        _count(report.dropped, f"{canonical} missing", missing, frame["_line"])
        drop |= missing
    if source.table == "responses":
        scores = [
            c for c in frame.columns if c in _SCORES | {"satisfied"} or c.startswith("rating_")
        ]
        empty = frame[scores].isna().all(axis=1) & ~drop
        _count(report.dropped, "no score at all", empty, frame["_line"])
        drop |= empty
    if source.table == "tickets":
        _flag_ticket_order(frame, report)
    kept = frame.loc[~drop].reset_index(drop=True)
    report.rows_kept = len(kept)
    dropped_share = 1 - report.rows_kept / report.rows_read if report.rows_read else 0.0
    if dropped_share > source.max_dropped_share:
        worst = max(report.dropped.items(), key=lambda item: item[1][0])
        raise DataError(
            f"{dropped_share:.1%} of {report.rows_read} rows are unusable, more than the allowed "
            f"{source.max_dropped_share:.0%}; most often '{worst[0]}' ({worst[1][0]} rows, "
            f"e.g. lines {', '.join(map(str, worst[1][1]))}).",
            file=path,
            hint=f"Fix the file or the mapping, or raise {source.key}.max_dropped_share.",
        )
    return kept, report


def _read_csv(path: Path, source: Source) -> pd.DataFrame:
    separator = "\t" if path.suffix.lower() in {".tsv", ".tab"} else ","
    if path.suffix.lower() not in {".csv", ".tsv", ".tab", ".txt"}:
        raise DataError(
            f"reading '{path.suffix}' files is not supported yet; this version reads CSV and TSV.",
            file=path,
            hint="Export the data as UTF-8 CSV.",
        )
    try:
        return pd.read_csv(
            path,
            sep=separator,
            dtype=str,
            keep_default_na=False,
            na_values=["", *source.na_values],
            encoding="utf-8-sig",
        )
    except UnicodeDecodeError as exc:
        raise DataError(
            f"is not UTF-8 text (undecodable byte at offset {exc.start}).",
            file=path,
            hint="Save the file as UTF-8 CSV.",
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"cannot be read as CSV: {exc}.", file=path) from None


def _parse(
    values: pd.Series, kind: str, canonical: str, source: Source, timezone: str
) -> tuple[pd.Series, pd.Series, str]:
    """Parse one column; return (parsed values, rows whose non-empty value is unusable, reason)."""
    present = values.notna()
    if canonical in _DATETIMES:
        fmt = source.date_format.get(canonical, "ISO8601")
        parsed = pd.to_datetime(values, format=fmt, errors="coerce")
        if parsed.dt.tz is None:
            parsed = parsed.dt.tz_localize(timezone, ambiguous=False, nonexistent="shift_forward")
        parsed = parsed.dt.tz_convert("UTC")
        return parsed, present & parsed.isna(), f"{canonical} is not a date ({fmt})"
    if kind in _SCORES or canonical in _FLAGS | _COUNTS | _NUMBERS:
        numbers = pd.to_numeric(values, errors="coerce")
        low: float
        high: float
        not_applicable = pd.Series(False, index=values.index)
        if kind == "rating":
            not_applicable = numbers.isin(source.not_applicable)
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
        ok = numbers.between(low, high) & (~whole | (numbers % 1 == 0))
        bad = present & ~ok & ~not_applicable
        parsed = numbers.where(ok)
        parsed = parsed.astype("Int64") if whole else parsed.astype("Float64")
        scale = f"{low}–{high:g}" if high != float("inf") else f"≥ {low}"
        what = "a whole number" if whole else "a number"
        return parsed, bad, f"{canonical} is not {what} {scale}"
    return values.astype("string").str.strip(), pd.Series(False, index=values.index), ""


def _flag_ticket_order(frame: pd.DataFrame, report: QualityReport) -> None:
    for later in ("first_response_at", "resolved_at"):
        if later in frame.columns:
            wrong = frame[later] < frame["created_at"]
            _count(
                report.warnings, f"{later} before created_at", wrong.fillna(False), frame["_line"]
            )


def _count(
    into: dict[str, tuple[int, list[int]]], reason: str, mask: pd.Series, lines: pd.Series
) -> None:
    count = int(mask.sum())
    if count:
        before, examples = into.get(reason, (0, []))
        more = [int(x) for x in lines[mask].head(_EXAMPLES)]
        into[reason] = (before + count, (examples + more)[:_EXAMPLES])


def quality_rows(reports: Mapping[str, Table]) -> list[dict[str, object]]:
    """Flatten the quality reports of loaded tables into rows for a table or JSON."""
    rows: list[dict[str, object]] = []
    for table in reports.values():
        for report in table.reports:
            rows.append(
                {
                    "table": report.table,
                    "path": report.path.name,
                    "encoding": report.encoding,
                    "rows_read": report.rows_read,
                    "rows_kept": report.rows_kept,
                    "dropped": {k: {"count": c, "rows": r} for k, (c, r) in report.dropped.items()},
                    "coerced": dict(report.coerced),
                    "warnings": {
                        k: {"count": c, "rows": r} for k, (c, r) in report.warnings.items()
                    },
                }
            )
    return rows
