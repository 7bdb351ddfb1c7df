"""Catalogues and locale formatting."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cxlib.i18n import LANGUAGES, Translator, catalogue


def test_every_language_has_every_message() -> None:
    english = set(catalogue("en"))
    assert len(english) > 50
    for language in LANGUAGES:
        assert set(catalogue(language)) == english, language
        assert not Translator(language).untranslated()


def test_placeholders_agree_across_languages() -> None:
    fields = re.compile(r"\{(\w+)\}")
    for msgid, text in catalogue("en").items():
        for language in ("de", "da"):
            other = catalogue(language)[msgid]
            assert set(fields.findall(other)) == set(fields.findall(text)), (language, msgid)


@pytest.mark.parametrize(
    ("language", "number", "date"),
    [
        ("en", "1,234.5", "31 Oct 2026"),
        ("de", "1.234,5", "31.10.2026"),
        ("da", "1.234,5", "31. okt. 2026"),
    ],
)
def test_locale_formatting(language: str, number: str, date: str) -> None:
    tr = Translator(language)
    assert tr.number(1234.5, digits=1) == number
    assert tr.date(dt.date(2026, 10, 31)) == date
    assert tr.number(12.34, digits=1, signed=True).startswith("+")
    assert tr.number(float("nan")) == "–" and tr.number(None) == "–"


def test_messages_fill_parameters_and_labels_fall_back() -> None:
    tr = Translator("de")
    assert tr("tile.n", n="12") == "n = 12 Antworten"
    assert tr.label("dimension", "region") == "Region"
    assert tr.label("dimension", "customer_tier") == "Customer tier"
    with pytest.raises(ValueError, match="language must be one of en, de, da; got 'fr'"):
        Translator("fr")
