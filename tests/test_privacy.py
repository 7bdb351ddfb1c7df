"""Tests of cxlib.privacy: PII redaction and formula-injection-safe export."""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlib.errors import ParameterError
from cxlib.privacy import redact, redact_series, safe_cell, safe_csv, safe_frame

POSITIVES = [
    # e-mail
    ("Write to anna.hansen@example.com please", "Write to [email] please"),
    ("Mail: lars+cx-survey@example.org.", "Mail: [email]."),
    ("sofie.jensen12@mail.example.net hat geschrieben", "[email] hat geschrieben"),
    ("Skriv til mig på mette_n@sub.example.co.uk, tak", "Skriv til mig på [email], tak"),
    ("(julia.weber@example.com)", "([email])"),
    # international phones
    ("Call me on +45 20 12 34 56.", "Call me on [phone]."),
    ("Ring venligst til mig på +45 20123456.", "Ring venligst til mig på [phone]."),
    ("Erreichbar unter +49 40 12345678.", "Erreichbar unter [phone]."),
    ("Bitte rufen Sie mich zurück: +49 151 23456789.", "Bitte rufen Sie mich zurück: [phone]."),
    ("Tel. 0049 171 2345678 ab 18 Uhr", "Tel. [phone] ab 18 Uhr"),
    ("+49 (0)30 1234567 ist meine Nummer", "[phone] ist meine Nummer"),
    ("reach me at +44 20 7946 0958 anytime", "reach me at [phone] anytime"),
    # Danish national
    ("Ring til mig på 20 12 34 56.", "Ring til mig på [phone]."),
    ("Mit nummer er 31-45-67-89", "Mit nummer er [phone]"),
    ("nummer 2012 3456 efter kl. 16", "nummer [phone] efter kl. 16"),
    ("Tlf. 23456789", "Tlf. [phone]"),
    ("tlf.nr. 42424242 – tak", "tlf.nr. [phone] – tak"),
    ("Please call me back on 87654321.", "Please call me back on [phone]."),
    ("Mobil: 61234567", "Mobil: [phone]"),
    # German national
    ("Bitte rufen Sie mich zurück: 0171 2345678.", "Bitte rufen Sie mich zurück: [phone]."),
    ("Erreichbar unter 030 98765432.", "Erreichbar unter [phone]."),
    ("Handy 0151 23456789 oder", "Handy [phone] oder"),
    ("Nummer 0162/1234567 bitte", "Nummer [phone] bitte"),
    ("Büro (030) 1234567", "Büro [phone]"),
    ("Festnetz 040 1234567", "Festnetz [phone]"),
    ("ruf an: 0171-234 56 78", "ruf an: [phone]"),
    # IBAN
    ("IBAN DE89 3704 0044 0532 0130 00 bitte", "IBAN [iban] bitte"),
    ("IBAN: DE89370400440532013000.", "IBAN: [iban]."),
    ("Konto DK50 0040 0440 1162 43 tak", "Konto [iban] tak"),
    ("refund to DK5000400440116243 please", "refund to [iban] please"),
    ("GB82 WEST 1234 5698 7654 32 is mine", "[iban] is mine"),
    # cards
    ("Card 4111 1111 1111 1111 was charged twice", "Card [card] was charged twice"),
    ("Karte 5555-5555-5555-4444 abgelehnt", "Karte [card] abgelehnt"),
    ("kort 4012888888881881 blev trukket", "kort [card] blev trukket"),
    ("Amex 3782 822463 10005.", "Amex [card]."),
    # several kinds in one comment
    (
        "Mail a@example.com, Tel +45 20 12 34 56, IBAN DE89370400440532013000",
        "Mail [email], Tel [phone], IBAN [iban]",
    ),
]

NEGATIVES = [
    "Delivered on 2026-03-04 at 14:30.",
    "Lieferung am 04.03.2026 um 9:15 Uhr",
    "Leveret d. 04.03.2026 kl. 09.30",
    "Order O-0001234 is still missing",
    "order 12345678 never arrived",
    "Order 23456789 arrived late.",
    "Please call me about order 23456789",
    "Bestellnummer 87654321 fehlt",
    "Kundennummer: 40404040",
    "Rechnung RE-2026-004711 ist falsch",
    "Invoice INV2026000123 was wrong",
    "Preis 1.299,00 kr war zu hoch",
    "Es hat € 2,499.50 gekostet",
    "It cost $1,299.99 plus 25% VAT",
    "Nur 12,5 % Rabatt",
    "I have ordered 3 times in 2025",
    "Zug 1234 hatte 20 Minuten Verspätung",
    "Postnummer 2100 København Ø",
    "PLZ 01067 Dresden",
    "Ich wohne in 80331 München",
    "Between 2024-2025 service got worse",
    "Version 2.10.3 of the app crashes",
    "App v12.4.1 (build 20260304)",
    "IBAN DE88 3704 0044 0532 0130 00 stimmt nicht",
    "DK51 0040 0440 1162 43 is not an IBAN",
    "4111 1111 1111 1112 fails Luhn",
    "1234567812345678 is a tracking number",
    "Opened 1500 tickets, 350 were closed",
    "The hotline at 10:00-12:00 was busy",
    "Waited 45 minutes, 3 calls, 2 transfers",
    "Pakke 12 af 20 kom frem",
    "Score 9/10",
    "@support please fix this",
    "see https://example.com/orders/12345 for details",
]


@pytest.mark.parametrize(("text", "expected"), POSITIVES)
def test_redacts_personal_data(text: str, expected: str) -> None:
    result = redact(text)
    assert result == expected
    assert "@" not in result or "@" in expected


@pytest.mark.parametrize("text", NEGATIVES)
def test_leaves_other_text_alone(text: str) -> None:
    assert redact(text) == text


def test_counts_of_the_tables() -> None:
    assert len(POSITIVES) >= 30
    assert len(NEGATIVES) >= 30


@pytest.mark.parametrize(
    ("kinds", "expected"),
    [
        (("email",), "[email] 20 12 34 56 DE89370400440532013000 4111111111111111"),
        (("phone",), "a@example.com [phone] DE89370400440532013000 4111111111111111"),
        (("iban", "card"), "a@example.com 20 12 34 56 [iban] [card]"),
        ((), "a@example.com 20 12 34 56 DE89370400440532013000 4111111111111111"),
    ],
)
def test_kinds_select(kinds: tuple[str, ...], expected: str) -> None:
    text = "a@example.com 20 12 34 56 DE89370400440532013000 4111111111111111"
    assert redact(text, kinds) == expected


def test_kinds_left_out_still_protect_their_digits() -> None:
    # the digits of an address or a card are not half-eaten as a phone number
    assert redact("anna+4520123456@example.com", ("phone",)) == "anna+4520123456@example.com"
    assert redact("4111 1111 1111 1111", ("phone",)) == "4111 1111 1111 1111"


@pytest.mark.parametrize(
    ("kinds", "match"),
    [
        (("emial",), r"Unknown kind 'emial'.*Did you mean 'email'"),
        ("email", r"kinds must be a collection.*Write kinds=\('email',\)"),
    ],
)
def test_bad_kinds(kinds: object, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        redact("x", kinds)  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match=match):
        redact_series(pd.Series(["x"]), kinds)  # type: ignore[arg-type]


def test_redact_series_keeps_missing_and_index() -> None:
    values = pd.Series(
        ["mail a@example.com", None, "short 12", "Tlf. 23456789", np.nan, 7],
        index=list("abcdef"),
        name="comment",
        dtype=object,
    )
    before = values.copy()
    out = redact_series(values)
    assert out is not values
    pd.testing.assert_series_equal(values, before)  # the caller's Series is untouched
    assert list(out.index) == list("abcdef") and out.name == "comment"
    assert out["a"] == "mail [email]" and out["d"] == "Tlf. [phone]"
    assert out["c"] == "short 12" and out["f"] == 7
    assert out["b"] is None and pd.isna(out["e"])


def test_redact_series_string_dtype_and_numbers() -> None:
    values = pd.Series(["ring 20 12 34 56", pd.NA, "ok"], dtype="string")
    out = redact_series(values)
    assert out.dtype == values.dtype
    assert out[0] == "ring [phone]" and pd.isna(out[1]) and out[2] == "ok"
    numbers = pd.Series([20123456, 1])
    pd.testing.assert_series_equal(redact_series(numbers), numbers)
    assert redact_series(pd.Series([], dtype=object)).empty


EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\+\d|\d{2}[ -]\d{2}[ -]\d{2}[ -]\d{2}|\b0\d{2,4} \d{5,}|\d{7,}")


def test_demo_comments_have_no_email_or_phone_left(tmp_path: Path) -> None:
    from cxlib.demo import generate_demo

    generate_demo(tmp_path)
    comments = pd.read_csv(tmp_path / "data" / "survey_responses.csv")["Comment"]
    planted_emails = comments.str.contains(EMAIL).fillna(False)
    planted_phones = comments.str.contains(PHONE).fillna(False)
    assert planted_emails.sum() >= 5 and planted_phones.sum() >= 5
    out = redact_series(comments)
    assert not out.str.contains(EMAIL).fillna(False).any()
    assert not out.str.contains(PHONE).fillna(False).any(), out[out.str.contains(PHONE) == True]  # noqa: E712
    assert out.str.contains(r"\[email\]", regex=True).sum() == planted_emails.sum()
    assert out.str.contains(r"\[phone\]", regex=True).sum() == planted_phones.sum()
    assert out.isna().sum() == comments.isna().sum()
    untouched = ~(planted_emails | planted_phones)
    pd.testing.assert_series_equal(out[untouched], comments[untouched])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=SUM(A1)", "'=SUM(A1)"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-cmd", "'-cmd"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@import", "'@import"),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),
        ("+1", "+1"),
        ("-1", "-1"),
        ("-1.5e3", "-1.5e3"),
        ("normal text", "normal text"),
        ("a = b", "a = b"),
        ("", ""),
        (-1, -1),
        (1.5, 1.5),
        (None, None),
    ],
)
def test_safe_cell(value: object, expected: object) -> None:
    assert safe_cell(value) == expected
    assert type(safe_cell(value)) is type(expected)


def test_safe_csv_neutralises_cells_and_labels() -> None:
    frame = pd.DataFrame(
        {"comment": ['=HYPERLINK("x")', "fine", None], "=bad": [-1, 2, 3], "x": [-0.5, 1, 2]}
    )
    before = frame.copy()
    text = safe_csv(frame, index=False, lineterminator="\n")
    pd.testing.assert_frame_equal(frame, before)
    assert text == ('comment,\'=bad,x\n"\'=HYPERLINK(""x"")",-1,-0.5\nfine,2,1.0\n,3,2.0\n')
    buffer = io.StringIO()
    assert safe_csv(frame, buffer, index=False) is None
    assert buffer.getvalue().splitlines()[1].startswith("\"'=HYPERLINK")


def test_safe_frame_index_and_excel(tmp_path: Path) -> None:
    frame = pd.DataFrame({"v": ["@x", "-y"]}, index=pd.Index(["=a", "b"], name="-k"))
    safe = safe_frame(frame)
    assert list(safe.index) == ["'=a", "b"] and safe.index.name == "'-k"
    assert list(safe["v"]) == ["'@x", "'-y"]
    import openpyxl

    path = tmp_path / "out.xlsx"
    safe_frame(pd.DataFrame({"c": ["=1+1", 5]})).to_excel(path, index=False)
    sheet = openpyxl.load_workbook(path).active
    assert sheet is not None
    assert sheet["A2"].value == "'=1+1" and sheet["A2"].data_type == "s"
    assert sheet["A3"].value == 5
