"""Read survey-tool exports (Qualtrics, SurveyMonkey) into text columns with their labels.

The intake uses these readers when a workspace source says ``format: qualtrics`` or
``format: surveymonkey``. Both kinds of export put more than one header row above the data;
the readers recognise the header from the rows themselves and refuse a file whose header is
missing or unrecognisable rather than silently reading a header row as an answer.

Qualtrics dialects (``SurveyExport.dialect``):

``qualtrics-3row-json``
    Column ids, question texts, then an ImportId row written as JSON: ``{"ImportId":"QID1"}``.
``qualtrics-3row-dict``
    The same, with the ImportId row written Python-style (2016-era): ``{'ImportId': 'QID1'}``.
``qualtrics-2row-legacy``
    The legacy export: column ids (``V1``, ``V2``, …, ``Q1``) then question texts.

A third row whose every non-empty cell is an ImportId object means three header rows. Else the
legacy header needs ids ``V1``, ``V2``… or a third row that looks like a response (a response id
``R_…`` or a date). Refused with a :class:`~cxlib.errors.DataError` naming the line: an ImportId
row on line 2 (question texts removed), a second row that looks like a response (one header
row), ids of a current export (``StartDate``, ``ResponseId``…) without their ImportId row, and
any other header.

SurveyMonkey (``surveymonkey-2row``): question texts on row 1 (a question spanning several
answer columns names only its first column; the following cells are empty), the answer option
or ``Response`` on row 2. Columns with a row-1 text and an empty row 2 (``Respondent ID``,
``Start Date``…) keep their text as name. Questions are numbered in order: a question with one
column is ``Q1``; a question with several columns gives ``Q2 - <option>`` per column.

Repeated column ids: some Qualtrics exports repeat an id (side-by-side questions, e.g.
``Q44#2_red_pandas_4`` five times). All columns are kept; the first keeps the id, the k-th
repetition is named ``<id>#<k>`` (``Q5``, ``Q5#2``, ``Q5#3``; a further ``#`` is added should that
name be taken already). Labels stay as exported, and :attr:`SurveyExport.ids` keeps the id as
written in the file, so :func:`resolve_column` refuses the bare repeated id and lists the
candidates. Columns without an id are named ``column_<position>`` (1-based).

Rows are numbered by the physical, 1-based line of the file where each record starts, counting
newlines inside quoted answers; blank lines are skipped. The whole file is parsed once with the
csv module (about 1.6 s for 28 MB, 200,000 responses × 40 columns; ``pandas.read_csv`` alone
takes about 0.6–1.3 s but cannot give physical lines or refuse short rows).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from cxlib.errors import DataError

__all__ = ["SurveyExport", "read_qualtrics", "read_surveymonkey", "resolve_column"]

_DICT_IMPORT_ID = re.compile(r"\{\s*'ImportId'\s*:\s*'[^']*'\s*(,.*)?\}", re.DOTALL)
_RESPONSE_ID = re.compile(r"R_[0-9A-Za-z]{10,}")
_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}(?: \d{1,2}:\d{2}(?::\d{2})?(?: ?[AaPp][Mm])?)?"
)
_LEGACY_ID = re.compile(r"V\d+")
_QUALTRICS_METADATA = frozenset(
    {
        "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
        "Finished", "RecordedDate", "ResponseId", "ResponseID", "ResponseSet",
        "ExternalReference", "ExternalDataReference", "DistributionChannel", "UserLanguage",
    }
)  # fmt: skip
_GENERIC_OPTIONS = frozenset({"response", "open-ended response"})
_EXPORT_AGAIN = (
    "Export the responses again from Qualtrics as CSV with all three header rows "
    "(Data & Analysis → Export → CSV, 'Use legacy exports' off), or choose format: csv "
    "if this is a plain CSV with one header row."
)
_LABEL_CHARS = 60


@dataclass(frozen=True)
class SurveyExport:
    """A survey export read as text: the answers, the question texts and where each row was.

    Attributes
    ----------
    frame
        One column per export column, named by its id (Qualtrics; repeated ids disambiguated as
        ``Q5``, ``Q5#2``) or a built name (SurveyMonkey: ``Q1``, ``Q1 - Option``); values of
        pandas ``string`` dtype, missing (empty or one of ``na_values`` after stripping spaces)
        as ``<NA>``.
    labels
        Column name → question text or label.
    lines
        For each data row, the physical 1-based line of the file where its record starts.
    dialect
        ``qualtrics-3row-json``, ``qualtrics-3row-dict``, ``qualtrics-2row-legacy`` or
        ``surveymonkey-2row``.
    header_rows
        How many header rows were above the data.
    ids
        Column name → the id as written in the file (Qualtrics) or the built name before
        disambiguation (SurveyMonkey); it differs from the name only for repeated ids.
    """

    frame: pd.DataFrame
    labels: dict[str, str]
    lines: list[int]
    dialect: str
    header_rows: int
    ids: dict[str, str] = field(default_factory=dict, repr=False, compare=False)


def read_qualtrics(
    path: Path, *, encoding: str, delimiter: str = ",", na_values: Collection[str] = ()
) -> SurveyExport:
    """Read a Qualtrics CSV export in any of its dialects.

    Parameters
    ----------
    path
        The exported file.
    encoding
        Its text encoding; ``auto`` and ``utf-8`` read UTF-8 with or without a byte-order mark
        (detecting other encodings is the caller's job).
    delimiter
        The field separator (``"\\t"`` for a TSV export).
    na_values
        Values that mean "missing" besides the empty cell (compared after stripping spaces).

    Returns
    -------
    SurveyExport

    Raises
    ------
    DataError
        When the file is empty, cannot be decoded, its header rows are missing or not
        recognisable as a Qualtrics export, or a record has more or fewer fields than the header.
    """
    lines, rows = _read_records(path, encoding, delimiter)
    dialect = _qualtrics_dialect(path, lines, rows)
    header_rows = 2 if dialect == "qualtrics-2row-legacy" else 3
    ids = [value.strip() for value in rows[0]]
    labels = [value.strip() for value in rows[1]]
    return _export(lines, rows, header_rows, ids, labels, na_values, dialect)


def read_surveymonkey(
    path: Path, *, encoding: str, delimiter: str = ",", na_values: Collection[str] = ()
) -> SurveyExport:
    """Read a SurveyMonkey CSV export ("All responses", expanded, two header rows).

    Parameters
    ----------
    path, encoding, delimiter, na_values
        As for :func:`read_qualtrics`.

    Returns
    -------
    SurveyExport
        Columns named ``Respondent ID``…, ``Q1``, ``Q2 - <option>``… (see the module docstring),
        labels ``question`` or ``question - option``.

    Raises
    ------
    DataError
        When the file is empty, cannot be decoded, lacks the second header row, or a record has
        more or fewer fields than the header.
    """
    lines, rows = _read_records(path, encoding, delimiter)
    hint = "Export again from SurveyMonkey as CSV 'All responses' with expanded columns."
    if len(rows) > 2 and _import_id_style(rows[2]):
        raise DataError(
            "looks like a Qualtrics export (its third row is an ImportId row), not SurveyMonkey.",
            file=path,
            line=lines[2],
            hint="Choose format: qualtrics for this source.",
        )
    questions = [value.strip() for value in rows[0]]
    options = [value.strip() for value in rows[1]] if len(rows) > 1 else []
    if not _surveymonkey_header(questions, options):
        raise DataError(
            "has no SurveyMonkey header: expected question texts on line 1 and, on the next "
            "line, answer options or 'Response' (empty under 'Respondent ID', 'Start Date'…); "
            "that line is missing or looks like data.",
            file=path,
            line=lines[min(1, len(lines) - 1)],
            hint=f"{hint} Choose format: csv if this is a plain CSV with one header row.",
        )
    names, labels = _surveymonkey_columns(questions, options)
    return _export(lines, rows, 2, names, labels, na_values, "surveymonkey-2row")


def resolve_column(export: SurveyExport, name: str) -> str | None:
    """Find the frame column a workspace ``columns:`` entry means.

    Tried in order: the exact column name or id, the exact label, then names, ids and labels
    compared case-insensitively with runs of whitespace collapsed.

    Parameters
    ----------
    export
        A read export.
    name
        The entry as the user wrote it (``Q5``, ``Q5#2`` or a question text).

    Returns
    -------
    str or None
        The frame column, or ``None`` when nothing matches.

    Raises
    ------
    DataError
        When ``name`` is a repeated id or matches several columns at the same step; the message
        lists the candidates with their labels.
    """
    columns = {c: (export.ids.get(c, c), export.labels.get(c, "")) for c in export.frame.columns}
    key = _normal(name)
    steps = [
        [c for c, (id_, _) in columns.items() if name in (c, id_)],
        [c for c, (_, label) in columns.items() if name and label == name],
        [c for c, keys in columns.items() if key and key in {_normal(k) for k in (c, *keys)}],
    ]
    for candidates in steps:
        if len(candidates) == 1:
            return candidates[0]
        if candidates:
            listed = "; ".join(f"'{c}' ({_short(columns[c][1])})" for c in candidates)
            raise DataError(
                f"'{name}' matches {len(candidates)} columns of the export: {listed}.",
                column=name,
                hint=f"Map one of them by its exact column name, e.g. '{candidates[-1]}' "
                "(a repeated id is numbered #2, #3… in file order).",
            )
    return None


def _read_records(path: Path, encoding: str, delimiter: str) -> tuple[list[int], list[list[str]]]:
    """Non-blank records and the physical line each starts on; refuses empty or ragged files."""
    codec = "utf-8-sig" if encoding.lower() in {"auto", "utf-8", "utf8"} else encoding
    lines: list[int] = []
    rows: list[list[str]] = []
    try:
        with path.open(encoding=codec, newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            end = 0
            for values in reader:
                if values:
                    lines.append(end + 1)
                    rows.append(values)
                end = reader.line_num
    except UnicodeDecodeError as exc:
        raise DataError(
            f"is not {codec.removesuffix('-sig')} text (undecodable byte at offset {exc.start}).",
            file=path,
            hint="Set the source's encoding (e.g. utf-16 or cp1252), or save the file as UTF-8.",
        ) from None
    except (LookupError, csv.Error, OSError) as exc:
        raise DataError(f"cannot be read: {exc}.", file=path) from None
    if not rows:
        raise DataError("is empty: it has no header rows.", file=path, hint="Export it again.")
    width = len(rows[0])
    for line, values in zip(lines, rows, strict=True):
        if len(values) != width:
            raise DataError(
                f"has {len(values)} fields where the header has {width}.",
                file=path,
                line=line,
                hint="Check the delimiter and the quoting around that line, or export again.",
            )
    return lines, rows


def _qualtrics_dialect(path: Path, lines: list[int], rows: list[list[str]]) -> str:
    """Recognise the dialect from the header rows, or raise a DataError naming the line."""
    if len(rows) < 2:
        raise _header_error(path, lines[0], "has only one row")
    if len(rows) > 2 and (style := _import_id_style(rows[2])):
        return f"qualtrics-3row-{style}"
    ids, second, second_line = rows[0], rows[1], lines[1]
    third = (lines[2], rows[2]) if len(rows) > 2 else None
    if _import_id_style(second):
        raise _header_error(path, second_line, "has its ImportId row where the question texts go")
    if _looks_like_data(second):
        raise _header_error(path, second_line, "has one header row only: this line holds answers")
    legacy_ids = any(_LEGACY_ID.fullmatch(value.lstrip("\ufeff").strip()) for value in ids)
    modern_ids = len(_QUALTRICS_METADATA.intersection(value.strip() for value in ids)) >= 2
    if modern_ids and not legacy_ids:
        raise _header_error(
            path, third[0] if third else second_line, "is missing its ImportId header row"
        )
    if legacy_ids or (third is not None and _looks_like_data(third[1])):
        return "qualtrics-2row-legacy"
    raise _header_error(path, third[0] if third else second_line, "has no recognisable header")


def _header_error(path: Path, line: int, problem: str) -> DataError:
    return DataError(
        f"{problem}; a Qualtrics export has three header rows (column ids, question texts, an "
        'ImportId row such as {"ImportId":"QID1"}) or, in the legacy format, two (column ids '
        "V1, V2, …, then question texts) above the responses.",
        file=path,
        line=line,
        hint=_EXPORT_AGAIN,
    )


def _import_id_style(row: Sequence[str]) -> str | None:
    """``json`` or ``dict`` when every non-empty cell is an ImportId cell, else ``None``."""
    cells = [value.strip() for value in row if value.strip()]
    if not cells:
        return None
    styles = set()
    for cell in cells:
        if not cell.startswith("{"):
            return None
        try:
            parsed = json.loads(cell)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict) and "ImportId" in parsed:
            styles.add("json")
        elif _DICT_IMPORT_ID.fullmatch(cell):
            styles.add("dict")
        else:
            return None
    return "json" if styles == {"json"} else "dict"


def _looks_like_data(row: Sequence[str]) -> bool:
    """Whether a row holds answers: a response id (``R_…``) or a date among its cells."""
    return any(
        _RESPONSE_ID.fullmatch(value.strip()) or _TIMESTAMP.fullmatch(value.strip())
        for value in row
    )


def _surveymonkey_header(questions: list[str], options: list[str]) -> bool:
    """Whether two rows form a SurveyMonkey header rather than a header and a response."""
    if not any(options) or not questions[0]:
        return False
    if any(not q and not o for q, o in zip(questions, options, strict=True)):
        return False
    if any(option.casefold() in _GENERIC_OPTIONS for option in options):
        return True
    continued = any(not question for question in questions)
    return continued or not options[0]


def _surveymonkey_columns(questions: list[str], options: list[str]) -> tuple[list[str], list[str]]:
    """Built names and labels: metadata by its text, questions ``Qn`` / ``Qn - option``."""
    groups: list[tuple[str, list[str]]] = []  # (question, options) or (text, []) for metadata
    for question, option in zip(questions, options, strict=True):
        if question and not option:
            groups.append((question, []))
        elif question:
            groups.append((question, [option]))
        else:
            groups[-1][1].append(option)
    names: list[str] = []
    labels: list[str] = []
    number = 0
    for question, group in groups:
        if not group:
            names.append(question)
            labels.append(question)
            continue
        number += 1
        for option in group:
            generic = option.casefold() in _GENERIC_OPTIONS
            names.append(f"Q{number}" if len(group) == 1 else f"Q{number} - {option}")
            labels.append(question if generic else f"{question} - {option}")
    return names, labels


def _unique_names(names: list[str]) -> list[str]:
    """Keep the first of a repeated name; name the k-th repetition ``name#k``."""
    taken = set(names)
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        if seen[name] == 1:
            unique.append(name)
            continue
        candidate = f"{name}#{seen[name]}"
        while candidate in taken:
            candidate += "#"
        taken.add(candidate)
        unique.append(candidate)
    return unique


def _export(
    lines: list[int],
    rows: list[list[str]],
    header_rows: int,
    ids: list[str],
    labels: list[str],
    na_values: Collection[str],
    dialect: str,
) -> SurveyExport:
    """Build the export from the rows below ``header_rows``, naming columns uniquely."""
    ids = [value.lstrip("\ufeff") or f"column_{n}" for n, value in enumerate(ids, start=1)]
    names = _unique_names(ids)
    frame = pd.DataFrame(rows[header_rows:], columns=pd.Index(names), dtype="string")
    missing = {"", *(value.strip() for value in na_values)}
    blank = pd.DataFrame(
        {name: frame[name].str.strip().isin(missing) for name in names}, index=frame.index
    )
    return SurveyExport(
        frame=frame.mask(blank.astype(bool)),
        labels=dict(zip(names, labels, strict=True)),
        lines=lines[header_rows:],
        dialect=dialect,
        header_rows=header_rows,
        ids=dict(zip(names, ids, strict=True)),
    )


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _short(label: str) -> str:
    label = " ".join(label.split())
    return label if len(label) <= _LABEL_CHARS else f"…{label[-_LABEL_CHARS:]}"
