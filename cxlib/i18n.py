"""Words a person reads, in English, German and Danish, and locale formatting.

Messages live in gettext catalogues ``cxlib/locale/<lang>/LC_MESSAGES/*.po``, read with Babel:
``cxlib.po`` for the reports and the CLI, one more file per area (``workshop.po`` for the forms
and the workshop models …). A message id lives in exactly one file. Message ids are stable dotted
names (``overview.nps_tile``); texts use ``str.format`` fields (``{n}``). A language whose
catalogue lacks a message falls back to English, and :meth:`Translator.missing` tells which ids
did, so a page can say so instead of hiding it.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent

LANGUAGES: tuple[str, ...] = ("en", "de", "da")
_LOCALES = {"en": "en_GB", "de": "de_DE", "da": "da_DK"}
_LOCALE_DIR = Path(__file__).resolve().parent / "locale"


@cache
def catalogue(language: str) -> dict[str, str]:
    """Return the message id → text mapping of one language (empty texts left out).

    Raises
    ------
    ValueError
        When two catalogue files of the language define the same message id.
    """
    messages: dict[str, str] = {}
    origin: dict[str, str] = {}
    for path in sorted((_LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            po = read_po(handle, locale=_LOCALES[language])
        for message in po:
            if not message.id or not message.string:
                continue
            msgid = str(message.id)
            if msgid in origin:
                raise ValueError(
                    f"message id {msgid!r} is in both {origin[msgid]} and {path.name} "
                    f"({language}); keep it in one"
                )
            origin[msgid] = path.name
            messages[msgid] = str(message.string)
    return messages


@cache
def same_as_english(language: str) -> frozenset[str]:
    """Message ids whose text is deliberately the English one (flag ``#, same-as-english``).

    Names such as "NPS" or "Region" read the same in German and Danish; any other text identical
    to English is an untranslated message, which the catalogue test refuses.
    """
    marked: set[str] = set()
    for path in sorted((_LOCALE_DIR / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            po = read_po(handle, locale=_LOCALES[language])
        marked.update(str(m.id) for m in po if m.id and "same-as-english" in m.flags)
    return frozenset(marked)


class Translator:
    """Turn message ids into text and numbers into strings for one language.

    Parameters
    ----------
    language
        One of :data:`LANGUAGES`.
    """

    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {', '.join(LANGUAGES)}; got {language!r}")
        self.language = language
        self.locale = _LOCALES[language]
        self._own = catalogue(language)
        self._english = catalogue("en")
        self.missing: set[str] = set()

    def __call__(self, msgid: str, /, **params: object) -> str:
        """Return the text of ``msgid`` with ``params`` filled in."""
        text = self._own.get(msgid)
        if text is None:
            self.missing.add(msgid)
            text = self._english.get(msgid, msgid)
        return text.format(**params) if params else text

    def label(self, prefix: str, name: str) -> str:
        """Text of ``prefix.name`` if the catalogue has it, else ``name`` made readable.

        For names that come from a workspace (dimensions, touchpoints) and may have no message.
        """
        msgid = f"{prefix}.{name}"
        if msgid in self._own or msgid in self._english:
            return self(msgid)
        return name.replace("_", " ").capitalize()

    def untranslated(self) -> set[str]:
        """Message ids that this language's catalogue lacks (shown in English instead)."""
        return set(self._english) - set(self._own)

    def number(self, value: float | None, *, digits: int = 0, signed: bool = False) -> str:
        """Format a number for the locale (``1,234.5`` / ``1.234,5``); ``–`` when missing."""
        if value is None or value != value:  # NaN
            return "–"
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        if signed:
            pattern = f"+{pattern};-{pattern}"
        return format_decimal(value, format=pattern, locale=self.locale)

    def percent(self, value: float | None, *, digits: int = 0) -> str:
        """Format a share given in percent (``12.5`` → ``12.5%`` / ``12,5 %``); ``–`` if missing.

        The locale's own percent pattern (CLDR), with ``digits`` decimals.
        """
        if value is None or value != value:  # NaN
            return "–"
        pattern = _with_decimals(Locale.parse(self.locale).percent_formats[None].pattern, digits)
        return format_percent(value / 100, format=pattern, locale=self.locale)

    def currency(self, value: float | None, code: str, *, digits: int = 0) -> str:
        """Format money in ``code`` (ISO 4217: ``EUR``, ``DKK`` …) in the locale's own currency
        pattern (CLDR) with ``digits`` decimals (``€1,234`` / ``1.234 €`` / ``1.234 kr.``);
        ``–`` if missing."""
        if value is None or value != value:  # NaN
            return "–"
        pattern = _with_decimals(
            Locale.parse(self.locale).currency_formats["standard"].pattern, digits
        )
        return format_currency(
            value, code, format=pattern, locale=self.locale, currency_digits=False
        )

    def date(self, value: dt.date | dt.datetime | None) -> str:
        """Format a date for the locale (medium length); ``–`` when missing."""
        if value is None:
            return "–"
        if isinstance(value, dt.datetime):
            return format_datetime(value, format="medium", locale=self.locale)
        return format_date(value, format="medium", locale=self.locale)


def _with_decimals(pattern: str, digits: int) -> str:
    """A CLDR number pattern (``#,##0.00 ¤``) with exactly ``digits`` decimals."""
    integer = re.sub(r"\.0+", "", pattern)
    last = integer.rfind("0")
    if digits <= 0 or last < 0:
        return integer
    return integer[: last + 1] + "." + "0" * digits + integer[last + 1 :]
