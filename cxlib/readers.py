"""Read data files as text columns: CSV/TSV (encoding and delimiter detected), Excel, Parquet.

Every reader returns a :class:`RawFile`: text columns (missing values as ``<NA>``), the header,
and for each data row where it is in the file — the physical 1-based line of a CSV (header =
line 1, correct when a quoted comment spans several lines), the row number of an Excel sheet, the
record number of a Parquet file. Parsing values into numbers and dates is :mod:`cxlib.sources`'
job; here nothing is interpreted, so nothing can be lost.

CSV files are parsed by pyarrow (multi-threaded, quoted newlines allowed); the record structure
(line numbers, blank lines) is found with numpy over the raw bytes, quote-aware.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from cxlib.errors import DataError

#: Encodings tried by detection, in order of preference (charset-normalizer decides among them).
ENCODINGS = ("utf_8", "cp1252", "latin_1", "utf_16")
DELIMITERS = (",", ";", "\t", "|")
_SAMPLE = 64 * 1024
_CHUNK = 8 * 1024 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_STRING = pd.StringDtype("pyarrow")


@dataclass(frozen=True)
class RawFile:
    """A data file as text: columns in file order, missing values as ``<NA>``.

    Attributes
    ----------
    frame
        The columns that were asked for (all when none were named), string dtype.
    header
        Every column name of the file, in order.
    lines
        Where each row is: CSV line, Excel row or Parquet record number (1-based).
    encoding
        The encoding found (``utf-8``, ``utf-8-sig``, ``cp1252`` …) or ``binary`` (Excel, Parquet).
    """

    frame: pd.DataFrame
    header: tuple[str, ...]
    lines: np.ndarray
    encoding: str
    delimiter: str = ""


def detect_encoding(path: Path) -> str:
    """Return a file's encoding: a byte-order mark, else UTF-8 if the whole file decodes as
    UTF-8 (checked in chunks, nothing kept), else the best of :data:`ENCODINGS` according to
    charset-normalizer on its first 256 KiB."""
    with path.open("rb") as handle:
        head = handle.read(4 * _SAMPLE)
        for bom, name in _BOMS:
            if head.startswith(bom):
                return name
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            decoder.decode(head)
            for chunk in iter(lambda: handle.read(_CHUNK), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(head, cp_isolation=list(ENCODINGS[1:])).best()
    return "cp1252" if best is None else best.encoding.replace("_", "-")


def sniff_delimiter(text: str, *, default: str = ",") -> str:
    """The delimiter (``,``, ``;``, tab or ``|``) that splits the first lines most consistently.

    For each candidate, count its fields per line with the csv module (quote-aware); the winner
    gives the same count > 1 on the most lines. Ties keep ``default``.
    """
    lines = text.splitlines()[:50]
    if len(lines) > 1 and not text.endswith(("\n", "\r")):
        lines = lines[:-1]  # the sample may cut the last line
    best, best_score = default, (0, 0)
    for candidate in (default, *[d for d in DELIMITERS if d != default]):
        try:
            counts = [len(row) for row in csv.reader(lines, delimiter=candidate) if row]
        except csv.Error:
            continue
        if not counts or counts[0] < 2:
            continue
        consistent = sum(1 for c in counts if c == counts[0])
        score = (consistent, counts[0])
        if score > best_score:
            best, best_score = candidate, score
    return best


def sniff_quoting(text: str, delimiter: str) -> bool:
    """True when ``"`` quotes fields in ``text``; False when quotes only occur inside values.

    A quoting quote stands at a field's edge (after a delimiter or line start, or before a
    delimiter or line end) or is doubled; one with ordinary characters on both sides (``sagte
    "ja" und``) shows a file written without quoting (e.g. GermEval's TSV).
    """
    ordinary = f'[^{re.escape(delimiter)}\n\r"]'  # neither an edge nor another quote
    return re.search(f'{ordinary}"{ordinary}', text) is None


def read_delimited(
    path: Path,
    *,
    encoding: str = "auto",
    delimiter: str = "auto",
    na_values: Collection[str] = (),
    columns: Sequence[str] | None = None,
    integers: Collection[str] = (),
) -> RawFile:
    """Read a CSV or TSV file as text columns.

    Parameters
    ----------
    encoding
        ``auto`` (detected) or a Python codec name.
    delimiter
        ``auto`` (detected from the first lines; tab for ``.tsv``) or the character.
    na_values
        Cell values meaning "missing" besides the empty cell (compared after trimming spaces).
    columns
        Columns to return (all when ``None``); the header is always checked in full.
    integers
        Columns expected to hold whole numbers: read as ``Int64`` when every value is one (the
        fast path, and less memory); if any is not, the whole file is read as text instead and
        the caller sees every value as written.

    Raises
    ------
    DataError
        Empty or binary file, undecodable text, a repeated header column, a record with more
        or fewer fields than the header.
    """
    with path.open("rb") as handle:
        head = handle.read(4 * _SAMPLE)
    if not head or (head.isspace() and path.stat().st_size <= len(head)):
        raise DataError("is empty: it has no header row.", file=path, hint="Export it again.")
    if b"\x00" in head[:_SAMPLE] and not head.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        raise DataError(
            "is not a text file (it holds binary data).",
            file=path,
            hint="Export the data as CSV, or name the file .xlsx/.parquet if it is one.",
        )
    found = detect_encoding(path) if encoding == "auto" else encoding
    sample = _decode_sample(head, found, path)
    if delimiter == "auto":
        default = "\t" if path.suffix.lower() in {".tsv", ".tab"} else ","
        delimiter = sniff_delimiter(sample, default=default)
    quoting = sniff_quoting(sample, delimiter)
    header = _header(sample, delimiter, path)
    wanted = list(header) if columns is None else [c for c in header if c in set(columns)]
    typed = [c for c in wanted if c in set(integers)]
    try:
        table = _parse(path, found, header, wanted, delimiter, quoting, na_values, typed)
    except _NotWhole:
        table = _parse(path, found, header, wanted, delimiter, quoting, na_values, [])
    rows = table.num_rows
    if _physical_lines(path, found) == rows + 1:  # one line per record, no blank lines
        lines = np.arange(2, rows + 2)
    else:
        lines = _record_starts(path, found, delimiter, quoting, rows)
    # both kinds stay in Arrow memory (no copy); the caller turns numbers into its own dtypes
    types = {pa.string(): _STRING, pa.int64(): pd.ArrowDtype(pa.int64())}
    frame = table.to_pandas(types_mapper=types.get, self_destruct=True, split_blocks=True)
    del table
    pa.default_memory_pool().release_unused()  # hand the parser's scratch memory back
    return RawFile(frame, header, lines, found, delimiter)


def read_excel(
    path: Path, *, sheet: str | int | None = None, na_values: Collection[str] = ()
) -> RawFile:
    """Read one sheet of an ``.xlsx`` file as text columns; rows numbered as in Excel."""
    try:
        book = pd.ExcelFile(path, engine="openpyxl")
    except (ValueError, OSError, KeyError, zipfile.BadZipFile) as error:
        raise DataError(f"cannot be opened as an Excel workbook: {error}.", file=path) from None
    with book:
        names = [str(n) for n in book.sheet_names]
        chosen: str | int = 0 if sheet is None else sheet
        if (isinstance(chosen, str) and chosen not in names) or (
            isinstance(chosen, int) and not 0 <= chosen < len(names)
        ):
            raise DataError(
                f"has no sheet '{chosen}'; it has: {', '.join(names)}.",
                file=path,
                hint="Fix 'sheet' in workspace.yaml.",
            )
        frame = pd.read_excel(book, sheet_name=chosen, dtype=str, header=0, keep_default_na=False)
    header = tuple(str(c) for c in frame.columns)
    _check_unique(header, path)
    frame = _missing(frame.astype(_STRING), na_values)
    frame.columns = list(header)
    return RawFile(frame, header, np.arange(2, len(frame) + 2), "binary (xlsx)")


def read_parquet(path: Path, *, columns: Sequence[str] | None = None) -> RawFile:
    """Read a Parquet file as text columns; rows numbered by record (1-based)."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
        header = tuple(schema.names)
        wanted = list(header) if columns is None else [c for c in header if c in set(columns)]
        table = pq.read_table(path, columns=wanted)
    except (OSError, ValueError) as error:
        raise DataError(f"cannot be read as Parquet: {error}.", file=path) from None
    frame = table.to_pandas()
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            frame[column] = values.dt.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(
                r"([+-]\d{2})(\d{2})$", r"\1:\2", regex=True
            )
    frame = frame.astype(_STRING)
    return RawFile(frame, header, np.arange(1, len(frame) + 1), "binary (parquet)")


def _as_utf8(data: bytes, encoding: str, path: Path) -> bytes:
    with _decoding(encoding, path):
        if encoding in {"utf-8", "utf8"}:
            codecs.decode(data, "utf-8")
            return data
        return codecs.decode(data, encoding).encode("utf-8")


@contextmanager
def _decoding(encoding: str, path: Path) -> Iterator[None]:
    """Turn a decoding failure into a DataError naming the file, the offset and the fix."""
    try:
        yield
    except UnicodeDecodeError as exc:
        raise DataError(
            f"is not {encoding} text (undecodable byte at offset {exc.start}).",
            file=path,
            hint="Save the file as UTF-8, or set the source's encoding (e.g. cp1252).",
        ) from None
    except LookupError:
        raise DataError(
            f"encoding '{encoding}' is not known.",
            file=path,
            hint="Use a name such as utf-8, cp1252 or latin-1.",
        ) from None


def _record_lines(data: bytes, *, quoting: bool = True) -> list[int]:
    """Physical start line of every non-blank record, quote-aware, with numpy."""
    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == 10)
    quotes = np.flatnonzero(raw == 34) if quoting else np.empty(0, dtype=np.int64)
    ends = newlines[np.searchsorted(quotes, newlines) % 2 == 0]  # newlines outside quotes
    if len(raw) and (not len(newlines) or newlines[-1] != len(raw) - 1):
        ends = np.append(ends, len(raw))  # last record without a final newline
    starts = np.concatenate(([0], ends[:-1] + 1))
    length = ends - starts
    carriage = (length == 1) & (raw[np.minimum(starts, len(raw) - 1)] == 13)
    blank = (length == 0) | carriage
    lines = np.searchsorted(newlines, starts) + 1  # newlines before the start, plus one
    return [int(x) for x in lines[~blank]]


def _record_lines_slow(data: bytes, delimiter: str, *, quoting: bool) -> list[int]:
    return [start for start, _row in _csv_records(data, delimiter, quoting=quoting)]


def _csv_records(data: bytes, delimiter: str, *, quoting: bool) -> Iterator[tuple[int, list[str]]]:
    """Non-blank records of UTF-8 CSV bytes with the physical line each one starts on."""
    reader = csv.reader(
        io.StringIO(data.decode("utf-8"), newline=""),
        delimiter=delimiter,
        quoting=csv.QUOTE_MINIMAL if quoting else csv.QUOTE_NONE,
    )
    end = 0
    for row in reader:
        start, end = end + 1, reader.line_num
        if row:
            yield start, row


def _header(sample: str, delimiter: str, path: Path) -> tuple[str, ...]:
    first = next(
        csv.reader(io.StringIO(sample.lstrip("\ufeff"), newline=""), delimiter=delimiter), []
    )
    header = tuple(first)
    _check_unique(header, path)
    return header


def _decode_sample(head: bytes, encoding: str, path: Path) -> str:
    """Decode the first bytes of a file (a character cut at the end is left out)."""
    with _decoding(encoding, path):
        text: str = codecs.getincrementaldecoder(encoding)().decode(head)
    return text


def _ascii_compatible(encoding: str) -> bool:
    return codecs.lookup(encoding).name not in {"utf-16", "utf-16-le", "utf-16-be", "utf-32"}


def _physical_lines(path: Path, encoding: str) -> int:
    """How many lines the file has (a last line without a newline counts), read in chunks."""
    if not _ascii_compatible(encoding):
        text = path.read_bytes().decode(encoding)
        return text.count("\n") + (not text.endswith("\n"))
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


def _utf8_bytes(path: Path, encoding: str) -> bytes:
    data = path.read_bytes()
    return data if codecs.lookup(encoding).name == "utf-8" else _as_utf8(data, encoding, path)


def _record_starts(path: Path, encoding: str, delimiter: str, quoting: bool, rows: int) -> Any:
    """Start lines of the data records when some record spans lines or lines are blank."""
    data = _utf8_bytes(path, encoding)
    starts = _record_lines(data, quoting=quoting)
    if len(starts) != rows + 1:  # quotes our structure scan cannot follow: ask csv
        starts = _record_lines_slow(data, delimiter, quoting=quoting)
    if len(starts) != rows + 1:
        raise DataError(
            f"has {len(starts) - 1} records by one reading and {rows} by another.",
            file=path,
            hint="Check the quoting: a quote inside an unquoted value confuses readers.",
        )
    return np.asarray(starts[1:])


def _check_unique(header: tuple[str, ...], path: Path) -> None:
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


def _parse(
    path: Path,
    encoding: str,
    header: tuple[str, ...],
    wanted: list[str],
    delimiter: str,
    quoting: bool,
    na_values: Collection[str],
    integers: Collection[str],
) -> Any:
    """Parse a CSV file with pyarrow: ``integers`` as int64, the rest as strings, blanks null.

    Raises :class:`_NotWhole` when a value of ``integers`` is not a whole number."""
    import pyarrow.csv as pacsv

    arrow_encoding = "utf8" if codecs.lookup(encoding).name == "utf-8" else encoding
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                column_names=list(header), skip_rows=1, encoding=arrow_encoding
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, quote_char='"' if quoting else False, newlines_in_values=True
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={
                    name: pa.int64() if name in set(integers) else pa.string() for name in header
                },
                include_columns=wanted,
                strings_can_be_null=True,
                null_values=["", *na_values],
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        if integers and "conversion error to int64" in str(error):
            raise _NotWhole from None
        if "columns, got" in str(error):
            data = _utf8_bytes(path, encoding)
            line, found = _first_ragged(data, delimiter, len(header), quoting=quoting)
            raise DataError(
                f"has {found} fields where the header has {len(header)}.",
                file=path,
                line=line,
                hint="Check the delimiter and the quoting around that line.",
            ) from None
        if "UTF8" in str(error) or isinstance(error, UnicodeDecodeError):
            _as_utf8(path.read_bytes(), encoding, path)  # raises with the offset
        raise DataError(f"cannot be read as CSV: {error}.", file=path) from None
    columns = [
        _blank_to_null(column, na_values) if column.type == pa.string() else column
        for column in table.columns
    ]
    return pa.table(columns, names=table.column_names)


class _NotWhole(Exception):
    """A column read as whole numbers holds something else (read it as text instead)."""


def _blank_to_null(column: Any, na_values: Collection[str]) -> Any:
    """Cells that are blank or an ``na_value`` once trimmed become null (exact ones already are).

    Only a column holding some value with leading or trailing white space is trimmed, so the
    usual column costs one vectorised scan.
    """
    import pyarrow.compute as pc

    if not any(
        pc.any(edge(column, space)).as_py()
        for edge in (pc.starts_with, pc.ends_with)
        for space in (" ", "\t")
    ):
        return column
    missing = pa.array(["", *na_values], type=pa.string())
    return pc.if_else(pc.is_in(pc.utf8_trim_whitespace(column), value_set=missing), None, column)


def _missing(frame: pd.DataFrame, na_values: Collection[str]) -> pd.DataFrame:
    """Empty cells, blank cells and ``na_values`` (after trimming spaces) become ``<NA>``."""
    missing = ["", *na_values]
    blank = frame.apply(lambda column: column.str.strip().isin(missing)).fillna(True).astype(bool)
    return frame.mask(blank)


def _first_ragged(data: bytes, delimiter: str, width: int, *, quoting: bool) -> tuple[int, int]:
    for start, row in _csv_records(data, delimiter, quoting=quoting):
        if len(row) != width:
            return start, len(row)
    return 0, width
