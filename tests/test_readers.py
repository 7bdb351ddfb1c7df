"""File readers: encodings, delimiters, quoting and line numbers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxlib.errors import DataError
from cxlib.readers import detect_encoding, read_delimited, sniff_delimiter, sniff_quoting


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;2,5;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ('id,comment\n1,"x; y; z"\n', ","),
    ],
)
def test_delimiter(text: str, expected: str) -> None:
    assert sniff_delimiter(text) == expected


def test_quoting() -> None:
    assert sniff_quoting('a,b\n1,"x, ""y"""\n', ",")
    assert not sniff_quoting('a\tb\n1\tDer Zug war "pünktlich"\n', "\t")


def _quoting_by_hand(text: str, delimiter: str) -> bool:
    """The rule of sniff_quoting, quote by quote: False when a quote has an ordinary
    character on both sides."""
    edges = {delimiter, "\n", "\r", '"', ""}
    for position, char in enumerate(text):
        if char != '"':
            continue
        before = text[position - 1] if position else ""
        after = text[position + 1] if position + 1 < len(text) else ""
        if before not in edges and after not in edges:
            return False
    return True


@given(st.text(alphabet='ab ,;|\t\n\r"ü]^-\\', max_size=40), st.sampled_from([",", ";", "\t", "|"]))
def test_quoting_follows_the_rule_quote_by_quote(text: str, delimiter: str) -> None:
    assert sniff_quoting(text, delimiter) == _quoting_by_hand(text, delimiter)


@pytest.mark.parametrize(
    ("encoded", "expected"),
    [
        ("Verständnis".encode(), "utf-8"),
        ("\ufeffVerständnis".encode(), "utf-8-sig"),
        ("Verständnis, kundeoplevelse".encode("utf-16"), "utf-16"),
        ("Verständnis – „gut“ für Größe".encode("cp1252"), "cp1252"),
    ],
)
def test_encoding(tmp_path: Path, encoded: bytes, expected: str) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(encoded)
    assert detect_encoding(path) == expected


def test_lines_of_records_spanning_lines(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text('id,text\n1,"a\nb"\n\n2,c\n3,"d ""quoted""\n\ne"\n4,f\n', encoding="utf-8")
    raw = read_delimited(path)
    assert raw.lines.tolist() == [2, 5, 6, 9]
    assert raw.frame["text"].tolist() == ["a\nb", "c", 'd "quoted"\n\ne', "f"]


def test_whole_numbers_are_read_as_numbers_unless_one_is_not(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("a,b\n1,x\n,y\n3,z\n", encoding="utf-8")
    assert str(read_delimited(path, integers=["a"]).frame["a"].dtype) == "int64[pyarrow]"
    path.write_text("a,b\n1,x\n2.5,y\n", encoding="utf-8")
    frame = read_delimited(path, integers=["a"]).frame
    assert frame["a"].tolist() == ["1", "2.5"]


def test_blank_and_na_cells(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("a,b\n ,?\n ? ,x\n", encoding="utf-8")
    frame = read_delimited(path, na_values=["?"]).frame
    assert frame.isna().sum().tolist() == [2, 1]


def test_explicit_wrong_encoding_late_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"a,b\n" + b"1,x\n" * 100_000 + "2,ä\n".encode("cp1252"))
    with pytest.raises(DataError, match=r"f.csv: is not utf-8 text \(undecodable byte at offset"):
        read_delimited(path, encoding="utf-8")
