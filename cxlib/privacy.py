"""PII redaction for comments and formula-injection-safe CSV/Excel export.

:func:`redact` replaces e-mail addresses, phone numbers, IBANs and payment card numbers in free
text by ``[email]``, ``[phone]``, ``[iban]`` and ``[card]``. Detection is rule based and tuned
for English, German and Danish comments; person names are not detected.

Rules, in the order they claim text (an earlier kind wins an overlap, so a card number is never
half-eaten as a phone number and the digits of ``anna+4520123456@example.com`` stay an address):

1. **email** – ``local@domain.tld`` (plus-addressing and subdomains included).
2. **iban** – two letters, two check digits and 11–30 letters/digits, with or without spaces,
   accepted only when the ISO 13616 mod-97 checksum is 1. An IBAN-shaped text with a wrong
   checksum (capital country code, at least ten digits) is left as it is, digits included.
3. **card** – 13–19 digits, ungrouped or in groups of four (Amex 4-6-5) separated by spaces or
   dashes, accepted only when the Luhn checksum holds; card-shaped digits failing it stay.
4. **phone** – ``phonenumbers.PhoneNumberMatcher`` (regions DK and DE, ``Leniency.VALID``),
   whose matches are kept only when they are written like a phone number (rules below), plus
   patterns for what it misses (unallocated ranges, unusual grouping):

   - international: ``+`` or ``00`` and a country code, 8–15 digits;
   - German national: trunk ``0``, area code or mobile prefix (``0171``, ``030``), 8–13 digits;
     without any separator only when ``phonenumbers`` says it is a valid German number;
   - Danish: eight digits grouped ``2+2+2+2`` (``20 12 34 56``, also with ``-`` or ``.``) or
     ``4+4`` (``2012 3456``; not two years such as ``2024-2025``);
   - a **bare** eight-digit number (``20123456``) only after a phone cue word (tlf, telefon,
     phone, tel., ring, call, mobil, handy, sms) at most 30 characters before it, and only when
     no order/invoice/customer word sits in between. A bare eight-digit number is as likely an
     order or customer number as a Danish phone number, so ``order 23456789`` stays.

   Dates, times, prices and numbers glued to letters (``O-0001234``, ``INV-2026``) never count.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from typing import Any

import pandas as pd

from cxlib.errors import ParameterError, did_you_mean

KINDS: tuple[str, ...] = ("email", "iban", "card", "phone")
"""Every kind :func:`redact` knows."""

_ORDER = ("email", "iban", "iban-shaped", "card", "card-shaped", "phone")
"""The order in which detectors claim text; ``*-shaped`` is claimed but never replaced."""

DEFAULT_KINDS: tuple[str, ...] = ("email", "phone", "iban", "card")
"""The kinds redacted by default (``privacy: redact:`` of the workspace)."""

_EMAIL = re.compile(
    r"(?<![\w.+-])[^\W_][\w.+-]*@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}(?![\w-])"
)
_IBAN = re.compile(
    r"(?<![\w])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?(?![\w])"
)
_CARD = re.compile(
    r"(?<![\w+.,-])(?:[1-9]\d{12,18}|[1-9]\d{3}(?:[ -]\d{4}){2,3}(?:[ -]\d{1,3})?"
    r"|[1-9]\d{3}[ -]\d{6}[ -]\d{4,5})(?![\w]|[.,-]\d)"
)
_INTERNATIONAL = re.compile(
    r"(?<![\w+])(?:\+|00)[1-9]\d{0,3}(?:[ /-]?(?:\(0\) ?|\(\d{1,5}\) ?)?\d+)+(?![\w]|[.,:/-]\d)"
)
_GERMAN = re.compile(
    r"(?<![\w.,:/+-])(?:\(0[1-9]\d{1,4}\) ?|0[1-9]\d{1,4}(?: ?/ ?| |-))\d{2,}(?:[ -]\d{2,})*"
    r"(?![\w]|[.,:/-]\d)"
)
_DANISH = re.compile(
    r"(?<![\w+.,:/-])(?:[2-9]\d([ .-])\d{2}\1\d{2}\1\d{2}|[2-9]\d{3}[ -]\d{4})(?![\w]|[.,:/-]\d)"
)
_BARE8 = re.compile(r"(?<![\w+.,:/-])[2-9]\d{7}(?![\w]|[.,:/-]\d)")
_CUE = re.compile(
    r"\b(?:tlf|tel|telefon\w*|phone|ring\w*|call\w*|mobil\w*|handy\w*|sms)\b(?P<gap>[^\d\n]{0,30})$",
    re.IGNORECASE,
)
_NOT_PHONE_WORDS = re.compile(
    r"order|ordre|bestell|bestilling|auftrag|rechnung|invoice|faktura|kunde|customer|ticket"
    r"|#",
    re.IGNORECASE,
)
_YEARS = re.compile(r"(?:19|20)\d\d[ -](?:19|20)\d\d")
_DATE_OR_TIME = re.compile(r"[.:]|^\d{4}-\d{1,2}-\d{1,2}$")
_GLUED_BEFORE = re.compile(r"[^\W_][-/#]?$")
_NUMERIC = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_FORMULA_START = re.compile(r"^(?: *[=+\-@]|[\t\r])")

Span = tuple[int, int]


def redact(text: str, kinds: Collection[str] = DEFAULT_KINDS) -> str:
    """Replace personal data in ``text`` by ``[email]``, ``[phone]``, ``[iban]``, ``[card]``.

    Parameters
    ----------
    text
        Free text, e.g. a survey comment.
    kinds
        Which kinds to replace; any of ``email``, ``phone``, ``iban``, ``card``. Kinds left out
        are still detected so that their digits are not mistaken for another kind.

    Returns
    -------
    str
        The text with every detected item replaced; the rules are in the module docstring.

    Raises
    ------
    ParameterError
        If ``kinds`` is a single string or names an unknown kind.

    Examples
    --------
    >>> redact("Mail anna+cx@mail.example.com or call +45 20 12 34 56 on 04.03.2026.")
    'Mail [email] or call [phone] on 04.03.2026.'
    >>> redact("Order 23456789 arrived late.")
    'Order 23456789 arrived late.'
    """
    wanted = _check_kinds(kinds)
    claimed: list[tuple[int, int, str]] = []
    for kind in _ORDER:
        if kind == "email" and "@" not in text:
            continue
        if kind != "email" and sum(c.isdigit() for c in text) < 8:
            break
        for start, end in _DETECTORS[kind](text):
            if all(end <= s or start >= e for s, e, _ in claimed):
                claimed.append((start, end, kind))
    out, position = [], 0
    for start, end, kind in sorted(claimed):
        if kind in wanted:
            out += [text[position:start], f"[{kind}]"]
            position = end
    return "".join(out) + text[position:]


def redact_series(values: pd.Series, kinds: Collection[str] = DEFAULT_KINDS) -> pd.Series:
    """Apply :func:`redact` to every text of ``values``; return a new Series.

    Missing values stay missing and non-text values are left as they are. Texts with fewer than
    six digits and no ``@`` are skipped without parsing (they cannot hold any of the kinds).

    Parameters
    ----------
    values
        Texts, e.g. the comment column.
    kinds
        As in :func:`redact`.

    Returns
    -------
    pandas.Series
        A copy with the same index, name and dtype.
    """
    _check_kinds(kinds)
    out = values.copy()
    if len(values) == 0 or not (
        pd.api.types.is_object_dtype(values.dtype) or pd.api.types.is_string_dtype(values.dtype)
    ):
        return out
    text = values.str
    candidate = (text.count(r"\d") >= 6) | text.contains("@", regex=False)
    candidate = candidate.fillna(False).astype(bool)
    if candidate.any():
        out.loc[candidate] = values[candidate].map(lambda value: redact(value, kinds))
    return out


def safe_cell(value: object) -> object:
    """Neutralise a cell that a spreadsheet would run as a formula.

    Follows the OWASP "CSV Injection" rule: a text cell starting with ``=``, ``+``, ``-``, ``@``,
    tab or carriage return (also after leading spaces) is prefixed with ``'`` so that Excel and
    LibreOffice show it as text. Numbers stay numbers, and so do texts that are a plain decimal
    number (``-1``, ``+45``): a spreadsheet reads them as that number, they cannot call anything.
    Quoting of separators and double quotes inside a cell is left to the CSV writer.

    Parameters
    ----------
    value
        Any cell value.

    Returns
    -------
    object
        ``"'" + value`` for a dangerous text, otherwise ``value`` unchanged.

    Examples
    --------
    >>> safe_cell("=SUM(A1)"), safe_cell(-1), safe_cell("-1"), safe_cell("-cmd")
    ("'=SUM(A1)", -1, '-1', "'-cmd")
    """
    if isinstance(value, str) and _FORMULA_START.match(value) and not _NUMERIC.fullmatch(value):
        return "'" + value
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of ``frame`` with :func:`safe_cell` applied to labels and text cells.

    Use it before ``to_excel`` as well: openpyxl stores a text starting with ``=`` as a formula.
    """
    safe = frame.copy()
    safe.columns = pd.Index([safe_cell(c) for c in safe.columns])
    if not pd.api.types.is_numeric_dtype(safe.index.dtype):
        safe.index = pd.Index([safe_cell(i) for i in safe.index], name=safe_cell(safe.index.name))
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if pd.api.types.is_object_dtype(column.dtype) or pd.api.types.is_string_dtype(column.dtype):
            safe.isetitem(position, column.map(safe_cell, na_action="ignore"))
    return safe


def safe_csv(frame: pd.DataFrame, path_or_buffer: Any = None, **kw: Any) -> str | None:
    """Write ``frame`` as CSV with every formula-like cell neutralised (see :func:`safe_cell`).

    Parameters
    ----------
    frame
        The table to export; it is not changed.
    path_or_buffer
        File path or text buffer; ``None`` returns the CSV as a string.
    **kw
        Passed on to :meth:`pandas.DataFrame.to_csv` (``index``, ``sep``, ``encoding`` …).

    Returns
    -------
    str or None
        The CSV text when ``path_or_buffer`` is ``None``.
    """
    result: str | None = safe_frame(frame).to_csv(path_or_buffer, **kw)
    return result


def _check_kinds(kinds: Collection[str]) -> frozenset[str]:
    if isinstance(kinds, str):
        raise ParameterError(
            f"kinds must be a collection of kinds, got the string {kinds!r}.",
            hint=f"Write kinds=({kinds!r},).",
        )
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise ParameterError(
            f"Unknown kind {unknown[0]!r} to redact; allowed: {', '.join(DEFAULT_KINDS)}."
            + did_you_mean(str(unknown[0]), KINDS)
        )
    return frozenset(kinds)


def _emails(text: str) -> Iterator[Span]:
    return (m.span() for m in _EMAIL.finditer(text))


def _ibans(text: str) -> Iterator[Span]:
    for match in _IBAN.finditer(text):
        tokens = list(re.finditer(r"[A-Za-z0-9]+", match.group()))
        for last in range(len(tokens), 0, -1):  # drop trailing words until the checksum fits
            compact = "".join(t.group() for t in tokens[:last]).upper()
            digits = sum(c.isdigit() for c in compact)
            if 15 <= len(compact) <= 34 and digits >= 10 and _mod97(compact) == 1:
                yield match.start(), match.start() + tokens[last - 1].end()
                break


def _iban_shapes(text: str) -> Iterator[Span]:
    """IBAN-shaped text that failed the checksum: never redacted, but no phone or card either."""
    for match in _IBAN.finditer(text):
        if match.group()[:2].isupper() and sum(c.isdigit() for c in match.group()) >= 10:
            yield match.span()


def _mod97(iban: str) -> int:
    """ISO 13616 / ISO 7064 MOD 97-10: move the first four characters to the end, A=10 … Z=35."""
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97


def _cards(text: str) -> Iterator[Span]:
    for match in _CARD.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            yield match.span()


def _card_shapes(text: str) -> Iterator[Span]:
    """Card-shaped digits that failed the Luhn check: never redacted, but no phone either."""
    return (m.span() for m in _CARD.finditer(text))


def _luhn(digits: str) -> bool:
    """Luhn (ISO/IEC 7812-1) check: double every second digit from the right, sum mod 10."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _phones(text: str) -> Iterator[Span]:
    import phonenumbers

    for region in ("DK", "DE"):
        for match in phonenumbers.PhoneNumberMatcher(text, region, phonenumbers.Leniency.VALID):
            raw, start = match.raw_string, match.start
            if _DATE_OR_TIME.search(raw) or _GLUED_BEFORE.search(text[:start]):
                continue
            if (
                raw.startswith(("+", "00", "(0"))
                or (region == "DE" and raw.startswith("0"))
                or (_DANISH.fullmatch(raw) and not _YEARS.fullmatch(raw))
                or _cued(text, start)
            ):
                yield start, match.end
    for pattern in (_INTERNATIONAL, _GERMAN, _DANISH):
        for found in pattern.finditer(text):
            digits = sum(c.isdigit() for c in found.group())
            if _GLUED_BEFORE.search(text[: found.start()]) or not 8 <= digits <= 15:
                continue
            if pattern is _DANISH and _YEARS.fullmatch(found.group()):
                continue
            yield found.span()
    for found in _BARE8.finditer(text):
        if _cued(text, found.start()):
            yield found.span()


def _cued(text: str, start: int) -> bool:
    """Whether a phone cue word stands shortly before ``start`` with no order word in between."""
    cue = _CUE.search(text[max(0, start - 45) : start])
    return cue is not None and not _NOT_PHONE_WORDS.search(cue["gap"])


_DETECTORS: dict[str, Callable[[str], Iterator[Span]]] = {
    "email": _emails,
    "iban": _ibans,
    "iban-shaped": _iban_shapes,
    "card": _cards,
    "card-shaped": _card_shapes,
    "phone": _phones,
}
