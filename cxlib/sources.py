"""Turn a workspace's data files into the canonical tables, with a data-quality report.

Per source: read the file as text (:mod:`cxlib.readers`, :mod:`cxlib.survey_exports`), map its
columns to canonical names, recode (``values``) and extract (``extract``) values, parse each
column by its kind and scale (:data:`COLUMN_KINDS`, the canonical tables' schema), drop and count
unusable rows, flag questionable ones, de-duplicate event logs (``dedupe``). No row disappears
without being counted in the :class:`QualityReport`, with up to five example line numbers —
physical, 1-based lines of a CSV (header = line 1), rows of an Excel sheet.

Reasons are :class:`Problem` values (message id and parameters), turned into words by
:mod:`cxlib.i18n` where they are shown.
"""

from __future__ import annotations

import copy
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cxlib.dates import AmbiguousDates, infer_format, parse_timestamps
from cxlib.errors import DataError, did_you_mean
from cxlib.i18n import Translator
from cxlib.quality import Problem, QualityReport, count_rows, problem
from cxlib.readers import RawFile, read_delimited, read_excel, read_parquet
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
#: Survey weights (numbers ≥ 0; 0 keeps the answer in n but gives it no weight): a row with a
#: negative or non-numeric weight is dropped (``quality.not_at_least``), one without a weight
#: too (``quality.missing``), so the weighted metrics never silently leave a row out.
_WEIGHTED = {"weight"}
_COUNTS = {"contacts"}
_IDS = {
    "responses": "response_id",
    "tickets": "ticket_id",
    "orders": "order_id",
    "customers": "customer_id",
    "feedback": "feedback_id",
}
_TEXT = pd.StringDtype("pyarrow")
#: Files loaded in this process, newest last (see :func:`load_file`), and how many are kept.
_LOADED: OrderedDict[tuple[Any, ...], tuple[pd.DataFrame, QualityReport]] = OrderedDict()
_KEEP_LOADED = 8
_SETTLED_NS = 2_000_000_000


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
        Timestamps in UTC, scores as nullable integers, ``_line`` with each row's line in its
        file and ``_file`` with the file's name.

    Raises
    ------
    DataError
        When the table is not configured, a file cannot be read, a mapped column is missing,
        dates are ambiguous, or more rows than ``max_dropped_share`` are unusable.
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
        if not source.files:  # a workspace loaded without require_files
            raise DataError(
                f"data file '{source.path.relative_to(workspace.root)}' of {source.key} not found.",
                file=workspace.config_path,
                key=f"{source.key}.path",
                hint="Fix the path (relative to the workspace folder) or add the file.",
            )
        for path in source.files:
            frame, report = load_file(source, path, workspace.timezone)
            frames.append(frame)
            reports.append(report)
    return Table(table, pd.concat(frames, ignore_index=True), tuple(reports))


def load_file(source: Source, path: Path, timezone: str) -> tuple[pd.DataFrame, QualityReport]:
    """Load one file of a source: canonical columns, parsed, with its quality report.

    The last few files loaded in this process are kept: loading the same file for the same
    source configuration again, unchanged (same size and modification time), returns the
    kept result (the report pages of one run share a kernel, see :mod:`cxlib.report_kernel`).
    The caller gets its own frame and report either way.
    """
    key = _load_key(source, path, timezone)
    if key is None or key not in _LOADED:
        with _malloc_for_arrow():
            loaded = _load_file(source, path, timezone)
        if key is None:
            return loaded
        _LOADED[key] = loaded
        while len(_LOADED) > _KEEP_LOADED:
            _LOADED.popitem(last=False)
    _LOADED.move_to_end(key)
    frame, report = _LOADED[key]
    # a shallow copy is safe under pandas' copy-on-write: changes to it never reach the kept one
    return frame.copy(deep=False), copy.deepcopy(report)


def _load_key(source: Source, path: Path, timezone: str) -> tuple[Any, ...] | None:
    """What identifies a load of ``path``: the source's settings, the file's path, device,
    inode, size, modification and change times (ns), the time zone. None — do not keep — when
    the file cannot be looked at, or changed in the last :data:`_SETTLED_NS`: file systems
    stamp times with a coarse clock (a few ms), so a file rewritten that soon could keep its
    size and times."""
    try:
        stat = path.stat()
    except OSError:
        return None  # reading it names the problem
    if time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) < _SETTLED_NS:
        return None
    # the inode's change time too: a file put in place with an old modification time (cp -p,
    # rsync -a, unpacking an archive) still has a new change time, and a new inode number
    identity = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
    return repr(source), str(path.resolve()), identity, timezone


@contextmanager
def _malloc_for_arrow() -> Iterator[None]:
    """While a file loads, Arrow allocates with the C library's malloc, as numpy and pandas do.

    Arrow's default allocator (mimalloc) keeps the pages it frees in caches of its own, which the
    numpy and pandas arrays made next cannot reuse; one shared heap keeps the peak lower.
    Measured with ``bench/bench_intake.py`` (1 million rows): peak memory added while loading
    2.03× the loaded frame with mimalloc, 1.78× with malloc, at the same speed.
    """
    import pyarrow as pa

    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def _load_file(source: Source, path: Path, timezone: str) -> tuple[pd.DataFrame, QualityReport]:
    mapping = {**source.columns, **{f"rating_{k}": v for k, v in source.ratings.items()}}
    raw, resolve = _read(path, source, mapping)
    report = QualityReport(
        table=source.table, path=path, encoding=raw.encoding, rows_read=len(raw.frame)
    )
    columns = {canonical: resolve(column, canonical) for canonical, column in mapping.items()}
    report.unused_columns = [c for c in raw.header if c not in set(columns.values())]
    frame = pd.DataFrame(
        {canonical: raw.frame[column] for canonical, column in columns.items()}, copy=False
    )
    frame["_line"] = raw.lines
    frame["_file"] = path.name
    del raw, resolve  # the file's other columns are not needed: let them go
    drop = pd.Series(False, index=frame.index)
    for canonical in columns:
        values = _prepare(frame[canonical], canonical, source, report)
        parsed, bad, reason, not_applicable = _parse(values, canonical, source, timezone, report)
        frame[canonical] = parsed
        del values, parsed
        _release_arrow_memory()  # the column as read, cached by Arrow's allocator
        if not_applicable:
            report.coerced[problem("quality.not_applicable", column=canonical)] = not_applicable
        if not bad.any():
            continue
        if canonical.startswith("rating_"):  # one odd rating does not cost the whole answer
            report.coerced[reason] = int(bad.sum())
        else:
            count_rows(report.dropped, reason, bad & ~drop, frame["_line"])
            drop |= bad
    # a survey weight must be known for the row to count in weighted metrics: rows without
    # one are dropped and counted like a missing required column (negative ones already were)
    for canonical in (*REQUIRED_COLUMNS.get(source.table, ()), *_WEIGHTED.intersection(columns)):
        missing = frame[canonical].isna() & ~drop
        count_rows(
            report.dropped, problem("quality.missing", column=canonical), missing, frame["_line"]
        )
        drop |= missing
    if source.table == "responses":
        scores = [c for c in frame.columns if c in SCORE_COLUMNS or c.startswith("rating_")]
        empty = frame[scores].isna().all(axis=1) & ~drop
        count_rows(report.dropped, problem("quality.no_score"), empty, frame["_line"])
        drop |= empty
    kept = frame.loc[~drop] if drop.any() else frame  # no copy when nothing is dropped
    report.rows_kept = len(kept)
    _check_dropped_share(report, source)
    kept = _dedupe(kept, source, report)
    _flag(kept, source.table, report)
    report.rows_kept = len(kept)
    return kept.reset_index(drop=True), report


def _read(
    path: Path, source: Source, mapping: Mapping[str, str]
) -> tuple[RawFile, Callable[[str, str], str]]:
    """Read a file by its format; return it and a function resolving mapped column names."""
    kind = source.format
    if kind == "auto":
        kind = {".xlsx": "excel", ".xlsm": "excel", ".parquet": "parquet", ".pq": "parquet"}.get(
            path.suffix.lower(), "csv"
        )
    if kind in {"qualtrics", "surveymonkey"}:
        from cxlib import survey_exports

        reader = (
            survey_exports.read_qualtrics
            if kind == "qualtrics"
            else (survey_exports.read_surveymonkey)
        )
        encoding = source.encoding
        if encoding == "auto":
            from cxlib.readers import detect_encoding

            encoding = detect_encoding(path)
        export = reader(path, encoding=encoding, na_values=source.na_values)
        raw = RawFile(
            export.frame, tuple(export.frame.columns), pd.Series(export.lines).to_numpy(), encoding
        )

        def resolve_export(column: str, canonical: str) -> str:
            try:
                found = survey_exports.resolve_column(export, column)
            except DataError as error:
                error.file = str(path)
                raise
            if found is None:
                _missing_column(
                    path,
                    source,
                    column,
                    canonical,
                    [*export.labels.values(), *export.frame.columns],
                )
            return str(found)

        return raw, resolve_export
    if kind == "excel":
        raw = read_excel(path, sheet=source.sheet, na_values=source.na_values)
    elif kind == "parquet":
        raw = read_parquet(path, columns=list(mapping.values()))
    else:
        raw = read_delimited(
            path,
            encoding=source.encoding,
            na_values=source.na_values,
            columns=list(mapping.values()),
            integers=[
                column
                for canonical, column in mapping.items()
                if (canonical in _SCORES | _FLAGS | _COUNTS or canonical.startswith("rating_"))
                and canonical not in source.values
                and canonical not in source.extract
            ],
        )

    def resolve(column: str, canonical: str) -> str:
        if column not in raw.header:
            _missing_column(path, source, column, canonical, raw.header)
        return column

    return raw, resolve


def _missing_column(
    path: Path, source: Source, column: str, canonical: str, header: Sequence[str]
) -> None:
    folded = {" ".join(h.split()).casefold(): h for h in header}
    near = folded.get(" ".join(column.split()).casefold())
    hint_name = (
        f" The file has '{near}' (differs in case or spaces)."
        if near
        else did_you_mean(column, header)
    )
    raise DataError(
        f"column '{column}' (mapped as {canonical}) is not in the file.{hint_name}",
        file=path,
        column=column,
        hint=f"Fix {source.key}.columns.{canonical} in workspace.yaml.",
    )


def _prepare(values: pd.Series, canonical: str, source: Source, report: QualityReport) -> pd.Series:
    """Apply the source's ``extract`` pattern and ``values`` recoding to one text column."""
    if canonical in source.extract:
        pattern = source.extract[canonical]
        extracted = values.str.extract(pattern, expand=False).astype(_TEXT)
        unmatched = values.notna() & extracted.isna()
        values = extracted.mask(unmatched, values)  # unmatched stay as they were: counted later
    recode = source.values.get(canonical)
    if recode:
        table = {str(k).strip(): str(v) for k, v in recode.items()}
        stripped = values.str.strip()
        known = stripped.isin(list(table)).fillna(False).astype(bool)
        values = values.mask(known, stripped.map(table).astype(_TEXT))
        if int(known.sum()):
            report.coerced[problem("quality.recoded", column=canonical)] = int(known.sum())
    return values


def _parse(
    values: pd.Series, canonical: str, source: Source, timezone: str, report: QualityReport
) -> tuple[pd.Series, pd.Series, Problem, int]:
    """Parse one column: (values, rows whose value is unusable, reason, 'not applicable' count)."""
    present = values.notna()
    if canonical in _DATETIMES:
        fmt = source.date_format.get(canonical) or _inferred_format(
            values, canonical, source, report.path
        )
        report.date_formats[canonical] = fmt
        parsed = parse_timestamps(values, fmt, timezone)
        reason = problem("quality.not_a_date", column=canonical, format=fmt)
        return parsed, present & parsed.isna(), reason, 0
    is_rating = canonical.startswith("rating_")
    if not (is_rating or canonical in _SCORES | _FLAGS | _COUNTS | _NUMBERS):
        return values.str.strip(), pd.Series(False, index=values.index), Problem(""), 0
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
    codes = source.not_applicable if is_rating else ()
    if whole and pd.api.types.is_integer_dtype(values.dtype):  # the usual case: read as integers
        parsed, bad, not_applicable, unreadable = _checked_integers(values, low, high, codes)
    else:
        numbers, integers_only = _numbers(values)
        not_applicable = numbers.isin(codes)
        if whole and not integers_only:
            integral = numbers % 1 == 0
        else:
            integral = pd.Series(True, index=values.index)
        ok = (numbers.between(low, high) & integral & ~not_applicable).fillna(False).astype(bool)
        bad = present & ~ok & ~not_applicable
        parsed = _whole_numbers(numbers, ok) if whole else numbers.where(ok).astype("Float64")
        unreadable = bad & numbers.isna()
    if canonical in source.values and unreadable.any():
        reason = problem("quality.not_in_values", column=canonical)
    elif high == float("inf"):
        reason = problem("quality.not_at_least", column=canonical, low=low)
    elif is_rating:  # the rating becomes missing, the answer is kept
        reason = problem("quality.rating_out_of_scale", column=canonical, low=low, high=high)
    else:
        reason = problem("quality.not_whole_number", column=canonical, low=low, high=high)
    return parsed, bad, reason, int(not_applicable.sum())


def _checked_integers(
    values: pd.Series, low: float, high: float, codes: Sequence[int]
) -> tuple[pd.Series, pd.Series, pd.Series, pd.Series]:
    """A column read as whole numbers, checked in numpy without a detour through floats.

    Returns the nullable integers kept (within ``low``–``high``, not a "not applicable" code),
    the rows whose value is unusable, the rows with a "not applicable" code, and the rows whose
    value could not be read at all (none: the reader read them as whole numbers already).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values.dtype, pd.ArrowDtype):
        column = pa.array(values.array)  # the Arrow data, not copied
        data = pc.fill_null(column, 0).to_numpy(zero_copy_only=False)
        missing = pc.is_null(column).to_numpy(zero_copy_only=False)
    else:
        data = values.to_numpy(dtype="int64", na_value=0)
        missing = values.isna().to_numpy()
    not_applicable = np.isin(data, codes) & ~missing
    ok = ~missing & ~not_applicable & (data >= low) & (data <= high)
    index = values.index
    parsed = pd.Series(pd.arrays.IntegerArray(np.where(ok, data, 0), ~ok), index=index)
    bad = pd.Series(~missing & ~ok & ~not_applicable, index=index)
    return parsed, bad, pd.Series(not_applicable, index=index), pd.Series(False, index=index)


def _whole_numbers(numbers: pd.Series, ok: pd.Series) -> pd.Series:
    """Nullable integers of ``numbers`` where ``ok`` (checked whole and in range), else missing.

    Built straight from the values and a mask: pandas' ``astype("Int64")`` of a float column
    re-checks every value for being whole, which the caller has just done.
    """
    missing = ~ok.to_numpy(dtype=bool)
    values = np.where(missing, 0.0, numbers.to_numpy(dtype="float64")).astype("int64")
    return pd.Series(pd.arrays.IntegerArray(values, missing), index=numbers.index)


def _numbers(values: pd.Series) -> tuple[pd.Series, bool]:
    """Text to numbers (missing where a value is not one); a decimal comma counts as a point.

    Columns of plain whole numbers — the usual case — go through one pyarrow cast; anything
    else falls back to pandas' element-wise parser. Also returns whether all were whole numbers
    by construction (the fast path), which spares a check.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if pd.api.types.is_integer_dtype(values.dtype):  # read as whole numbers already
        as_float = values.to_numpy(dtype="float64", na_value=float("nan"))
        return pd.Series(as_float, index=values.index), True
    try:
        cast = pc.cast(pc.utf8_trim_whitespace(pa.array(values.array)), pa.int64())
        return pd.Series(cast.to_pandas(), index=values.index, dtype="float64"), True
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
        text = values.str.strip().str.replace(",", ".", regex=False)
        return pd.to_numeric(text, errors="coerce").astype("float64"), False


def _inferred_format(values: pd.Series, canonical: str, source: Source, path: Path) -> str:
    try:
        return infer_format(values)
    except AmbiguousDates as ambiguous:
        raise DataError(
            f"dates in column '{source.columns.get(canonical, canonical)}' ({canonical}) read "
            f"both day-first and month-first (e.g. '{ambiguous.example}'); they are not guessed.",
            file=path,
            column=source.columns.get(canonical, canonical),
            hint=f"Set {source.key}.date_format.{canonical} to '{ambiguous.day_first}' or "
            f"'{ambiguous.month_first}'.",
        ) from None


def _dedupe(frame: pd.DataFrame, source: Source, report: QualityReport) -> pd.DataFrame:
    """Keep one row per ``dedupe.by`` (event logs, repeated opinions), counting the rest."""
    if not source.dedupe:
        return frame
    by, keep = source.dedupe["by"], source.dedupe.get("keep", "last")
    order = source.dedupe.get("order_by")
    ordered = frame.sort_values([order, "_line"], kind="stable") if order else frame
    kept = ordered.drop_duplicates(subset=[by], keep=keep).sort_values("_line", kind="stable")
    report.deduplicated = len(frame) - len(kept)
    return kept


def _flag(frame: pd.DataFrame, table: str, report: QualityReport) -> None:
    """Count kept rows that are questionable: repeated ids, answers before questions."""
    id_column = _IDS.get(table)
    if id_column in frame.columns and _has_repeats(frame[id_column]):
        repeated = frame[id_column].duplicated(keep=False) & frame[id_column].notna()
        count_rows(
            report.warnings,
            problem("quality.duplicate_id", column=id_column),
            repeated,
            frame["_line"],
        )
    if table == "tickets":
        for later in ("first_response_at", "resolved_at"):
            if later in frame.columns:
                wrong = (frame[later] < frame["created_at"]).fillna(False)
                count_rows(
                    report.warnings,
                    problem("quality.before_created", column=later),
                    wrong,
                    frame["_line"],
                )


def _release_arrow_memory() -> None:
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _has_repeats(values: pd.Series) -> bool:
    """True when a non-missing value occurs twice (one hash pass; the caller then finds them)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    valid = pc.drop_null(pa.array(values.array))
    return len(pc.unique(valid)) < len(valid)  # unique: ~3× faster than count_distinct here


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


@dataclass(frozen=True)
class CheckResult:
    """Every file of a workspace loaded once: its report, or the error that stopped it."""

    reports: tuple[QualityReport, ...]
    errors: tuple[tuple[str, Path, DataError], ...]

    @property
    def ok(self) -> bool:
        """True when every file loaded."""
        return not self.errors


def check_workspace(workspace: Workspace) -> CheckResult:
    """Load every file of every source, collecting all quality reports and all errors."""
    reports: list[QualityReport] = []
    errors: list[tuple[str, Path, DataError]] = []
    for table, sources in workspace.sources.items():
        for source in sources:
            for path in source.files:
                try:
                    reports.append(load_file(source, path, workspace.timezone)[1])
                except DataError as error:
                    if error.file is None:
                        error.file = str(path)
                    errors.append((table, path, error))
    return CheckResult(tuple(reports), tuple(errors))
