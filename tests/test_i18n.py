"""Catalogues and locale formatting."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from cxlib.i18n import LANGUAGES, Translator, catalogue, same_as_english


def test_every_language_has_every_message() -> None:
    english = set(catalogue("en"))
    assert len(english) > 50
    for language in LANGUAGES:
        assert set(catalogue(language)) == english, language
        assert not Translator(language).untranslated()


def test_no_message_is_left_in_english() -> None:
    # a German or Danish text equal to the English one is untranslated, unless it is marked as a
    # name that reads the same (``#, same-as-english``); texts of only fields and signs are fine
    english = catalogue("en")
    for language in ("de", "da"):
        own = catalogue(language)
        marked = same_as_english(language)
        left = sorted(
            msgid
            for msgid, text in english.items()
            if own.get(msgid) == text
            and msgid not in marked
            and re.search(r"[A-Za-z]", re.sub(r"\{\w+\}", "", text))
        )
        assert not left, (language, left)


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


def test_a_message_id_lives_in_one_catalogue_file(tmp_path, monkeypatch) -> None:
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "cxlib.po").write_text('msgid "a.b"\nmsgstr "A"\n', encoding="utf-8")
    (folder / "workshop.po").write_text('msgid "a.c"\nmsgstr "C"\n', encoding="utf-8")
    monkeypatch.setattr("cxlib.i18n._LOCALE_DIR", tmp_path)
    assert catalogue.__wrapped__("en") == {"a.b": "A", "a.c": "C"}
    (folder / "workshop.po").write_text('msgid "a.b"\nmsgstr "B"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape("'a.b' is in both cxlib.po and workshop.po")):
        catalogue.__wrapped__("en")


@pytest.mark.parametrize(
    ("language", "share", "euros", "kroner"),
    [
        ("en", "12.5%", "€1,234", "DKK1,234.50"),
        ("de", "12,5\u00a0%", "1.234\u00a0€", "1.234,50\u00a0DKK"),
        ("da", "12,5\u00a0%", "1.234\u00a0€", "1.234,50\u00a0kr."),
    ],
)
def test_percentages_and_money_in_the_locale_s_own_patterns(
    language: str, share: str, euros: str, kroner: str
) -> None:
    tr = Translator(language)
    assert tr.percent(12.5, digits=1) == share
    assert tr.currency(1234.49, "EUR") == euros
    assert tr.currency(1234.5, "DKK", digits=2) == kroner
    assert tr.percent(None) == tr.currency(float("nan"), "EUR") == "–"
