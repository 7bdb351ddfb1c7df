"""Tests for cxlib.survey_exports: Qualtrics dialects, SurveyMonkey, lines, column resolution."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from cxlib.errors import DataError
from cxlib.survey_exports import (
    SurveyExport,
    read_qualtrics,
    read_surveymonkey,
    resolve_column,
)

FIXTURES = Path(__file__).parent / "fixtures" / "survey_exports"
MULTILINE = FIXTURES / "qualtrics_multiline.csv"
SURVEYMONKEY = FIXTURES / "surveymonkey.csv"

# file → (dialect, header rows, repeated ids with their count)
REAL_EXPORTS = {
    "qualtRics_sample.csv": ("qualtrics-3row-json", 3, {}),
    "qualtRics_sample_legacy.csv": ("qualtrics-2row-legacy", 2, {}),
    "QualtricsTools_Better_Sample_Survey.csv": ("qualtrics-3row-dict", 3, {}),
    "QualtricsTools_Long_Exhaustive_Sample_Survey.csv": (
        "qualtrics-3row-dict",
        3,
        {
            f"Q{q}#2_{part}_4": 5
            for q in (44, 45)
            for part in ("red_pandas", "baby_hippos", "meerkats", "exotic_frogs")
        }
        | {"Q45#2_Q45_5_4": 5},
    ),
    "QualtricsTools_No_Basis_for_Evaluation__Insights_.csv": ("qualtrics-3row-dict", 3, {}),
    "QualtricsTools_Questions_with_Text_Entry_Components.csv": ("qualtrics-3row-dict", 3, {}),
    "QualtricsTools_Sample_Survey__Insights_.csv": (
        "qualtrics-3row-dict",
        3,
        {
            "Q50#1_wedges_23234_TEXT": 2,
            "Q50#1_bites_23234_TEXT": 2,
            "Q50#1_oh shit the export tags can have spaces_23234_TEXT": 2,
            "Q50#2_wedges_1231": 4,
            "Q50#2_bites_1231": 4,
            "Q50#2_oh shit the export tags can have spaces_1231": 4,
        },
    ),
    "QualtricsTools_Test_Survey_for_Coded_Comments.csv": ("qualtrics-3row-dict", 3, {}),
}


def _qualtrics_dir(shared_data: Path) -> Path:
    return shared_data / "qualtrics_exports"


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [row for row in csv.reader(handle) if row]


def _write(tmp_path: Path, text: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def test_every_real_export_is_covered(shared_data: Path) -> None:
    assert {p.name for p in _qualtrics_dir(shared_data).glob("*.csv")} == set(REAL_EXPORTS)


@pytest.mark.parametrize(("name", "expected"), REAL_EXPORTS.items())
def test_real_qualtrics_exports_load(
    shared_data: Path, name: str, expected: tuple[str, int, dict[str, int]]
) -> None:
    dialect, header_rows, repeated = expected
    path = _qualtrics_dir(shared_data) / name
    rows = _csv_rows(path)

    export = read_qualtrics(path, encoding="utf-8")

    assert export.dialect == dialect
    assert export.header_rows == header_rows
    assert len(export.frame) == len(rows) - header_rows == len(export.lines)
    assert export.frame.shape[1] == len(rows[0])
    assert set(export.labels) == set(export.frame.columns)
    assert all(str(dtype) == "string" for dtype in export.frame.dtypes)
    assert export.lines == list(range(header_rows + 1, len(rows) + 1))  # no quoted newlines
    for repeated_id, count in repeated.items():
        names = [c for c, i in export.ids.items() if i == repeated_id]
        assert names == [repeated_id] + [f"{repeated_id}#{k}" for k in range(2, count + 1)]
    assert sum(n > 1 for n in pd.Series(list(export.ids.values())).value_counts()) == len(repeated)


def test_german_labels_keep_their_umlauts(shared_data: Path) -> None:
    export = read_qualtrics(_qualtrics_dir(shared_data) / "qualtRics_sample.csv", encoding="utf-8")

    assert export.labels["RecipientLastName"] == "Nachname des Empfängers"
    assert export.labels["LocationLongitude"] == "Längengrad des Standorts"
    assert export.labels["Q1"] == "This is a multiple choice question."
    row = export.frame.iloc[0]
    assert (row["ResponseId"], row["Q1"], row["Q2"]) == ("R_2YPOQ602ER1jkf1", "2", "Hello World!")
    assert row["RecipientEmail"] is pd.NA
    assert row["Q2 - Topics"] is pd.NA
    assert resolve_column(export, "Antwort-ID") == "ResponseId"
    assert resolve_column(export, "nachname  des EMPFÄNGERS") == "RecipientLastName"


def test_legacy_export_names_its_blank_column(shared_data: Path) -> None:
    path = _qualtrics_dir(shared_data) / "qualtRics_sample_legacy.csv"

    export = read_qualtrics(path, encoding="utf-8")

    assert list(export.frame.columns[:2]) == ["V1", "V2"]  # the byte-order mark is gone
    assert export.frame.columns[-1] == "column_16"
    assert export.labels["V1"] == "ResponseID"
    assert export.lines == [3]
    assert export.frame.loc[0, "Q2"] == "Hello World!"
    assert resolve_column(export, "ResponseID") == "V1"


def test_python_dict_dialect_and_text_entry_labels(shared_data: Path) -> None:
    path = _qualtrics_dir(shared_data) / "QualtricsTools_Test_Survey_for_Coded_Comments.csv"

    export = read_qualtrics(path, encoding="utf-8")

    assert export.labels["Q1_TEXT"] == 'This question has multiple "other please specify" options'
    assert export.frame.loc[0, "ResponseID"] == "R_bdygJsbbIhnpYz3"
    assert (
        resolve_column(export, "what's up home skillets?") == "Q2"
    )  # exported with a trailing space


def test_repeated_real_id_is_refused_with_its_candidates(shared_data: Path) -> None:
    path = _qualtrics_dir(shared_data) / "QualtricsTools_Long_Exhaustive_Sample_Survey.csv"
    export = read_qualtrics(path, encoding="utf-8")

    assert export.labels["Q44#2_red_pandas_4#5"].endswith("Red Pandas-Fractals")
    assert resolve_column(export, "Q44#2_red_pandas_4#3") == "Q44#2_red_pandas_4#3"
    with pytest.raises(DataError, match=r"'Q44#2_red_pandas_4' matches 5 columns") as caught:
        resolve_column(export, "Q44#2_red_pandas_4")
    assert "'Q44#2_red_pandas_4#5' (…" in caught.value.message
    assert "Red Pandas-Paisley" in caught.value.message
    assert "exact column name, e.g. 'Q44#2_red_pandas_4#5'" in (caught.value.hint or "")
    shared_label = export.labels["Q2"]  # Q2, Q10 and Q11 ask the same question
    with pytest.raises(DataError, match=r"matches 3 columns.*'Q2'.*'Q10'.*'Q11'"):
        resolve_column(export, shared_label)


def test_quoted_multiline_answer_keeps_physical_lines() -> None:
    export = read_qualtrics(MULTILINE, encoding="utf-8", na_values=["N/A"])

    assert export.dialect == "qualtrics-3row-json"
    assert export.lines == [4, 5, 8, 10]  # answer on lines 5–7, blank line 9
    assert export.frame.loc[1, "Q7"].splitlines()[1] == "The driver was friendly, though."
    assert export.frame.loc[3, "Q7"] == 'Support never called back "as promised".'
    assert export.frame.loc[0, "Q7"] == "Nothing — keep it up!"


def test_missing_values_become_na() -> None:
    export = read_qualtrics(MULTILINE, encoding="utf-8", na_values=[" N/A "])

    assert export.frame.loc[1, "Q5#2"] is pd.NA  # N/A
    assert export.frame.loc[2, "Q7"] is pd.NA  # only spaces
    assert export.frame.loc[0, "Q7 - Topics"] is pd.NA  # empty
    kept = read_qualtrics(MULTILINE, encoding="utf-8")
    assert kept.frame.loc[1, "Q5#2"] == "N/A"


def test_windows_line_endings_and_tabs(tmp_path: Path) -> None:
    text = MULTILINE.read_text(encoding="utf-8")
    crlf = _write(tmp_path, text.replace("\n", "\r\n"), "crlf.csv")
    rows = _csv_rows(MULTILINE)
    tsv = tmp_path / "export.tsv"
    with tsv.open("w", encoding="utf-16", newline="") as handle:
        csv.writer(handle, delimiter="\t").writerows(rows)

    assert read_qualtrics(crlf, encoding="utf-8").lines == [4, 5, 8, 10]
    from_tsv = read_qualtrics(tsv, encoding="utf-16", delimiter="\t")
    assert from_tsv.frame.equals(read_qualtrics(MULTILINE, encoding="utf-8").frame)
    assert from_tsv.lines == [4, 5, 8, 9]  # written back without the blank line


def test_question_text_spanning_lines_in_the_header(tmp_path: Path) -> None:
    text = MULTILINE.read_text(encoding="utf-8")
    path = _write(
        tmp_path, text.replace(",What could we do better?,", ',"What could we\ndo better?",')
    )

    export = read_qualtrics(path, encoding="utf-8")

    assert export.labels["Q7"] == "What could we\ndo better?"
    assert export.lines == [5, 6, 9, 11]
    assert resolve_column(export, "What could we do better?") == "Q7"


@pytest.mark.parametrize(
    ("text", "dialect", "rows"),
    [
        ("V1,V2,Q1\nResponseID,StartDate,How was it?\n", "qualtrics-2row-legacy", 0),
        ("Q1,Q2\nHow was it?,Why?\nR_abcdefghij12345,Fine\n", "qualtrics-2row-legacy", 1),
        ("Q1\nHow was it?\n{'ImportId': 'QID1'}\n", "qualtrics-3row-dict", 0),
        ('Q1,Q2\nHow was it?,Why?\n"{""ImportId"":""QID1""}",\n5,\n', "qualtrics-3row-json", 1),
    ],
    ids=["legacy-no-responses", "legacy-without-v-ids", "dict-no-responses", "json-blank-id"],
)
def test_dialect_is_recognised_from_the_rows(
    tmp_path: Path, text: str, dialect: str, rows: int
) -> None:
    export = read_qualtrics(_write(tmp_path, text), encoding="utf-8")

    assert export.dialect == dialect
    assert len(export.frame) == len(export.lines) == rows
    assert all(str(dtype) == "string" for dtype in export.frame.dtypes)


def test_resolve_column_by_id_label_and_loosely() -> None:
    export = read_qualtrics(MULTILINE, encoding="utf-8")

    assert resolve_column(export, "Q1") == "Q1"
    assert resolve_column(export, "Q5#2") == "Q5#2"
    assert resolve_column(export, "What could we do better?") == "Q7"
    assert resolve_column(export, "  what could   we do BETTER? ") == "Q7"
    assert resolve_column(export, "responseid") == "ResponseId"
    assert resolve_column(export, "How satisfied are you with our customer service?") == "Q5#2"
    assert resolve_column(export, "Q99") is None
    assert resolve_column(export, "") is None


def test_resolve_column_refuses_a_repeated_id() -> None:
    export = read_qualtrics(MULTILINE, encoding="utf-8")

    with pytest.raises(
        DataError,
        match=r"'Q5' matches 2 columns of the export: 'Q5' \(How satisfied are you with the "
        r"delivery\?\); 'Q5#2' \(How satisfied are you with our customer service\?\)",
    ):
        resolve_column(export, "Q5")
    with pytest.raises(DataError, match=r"'q5' matches 2 columns"):
        resolve_column(export, "q5")


def test_surveymonkey_two_row_export() -> None:
    export = read_surveymonkey(SURVEYMONKEY, encoding="utf-8")

    assert export.dialect == "surveymonkey-2row"
    assert export.header_rows == 2
    assert list(export.frame.columns) == [
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "IP Address",
        "Email Address",
        "First Name",
        "Last Name",
        "Custom Data 1",
        "Q1",
        "Q2 - Delivery speed",
        "Q2 - Product quality",
        "Q2 - Customer service",
        "Q3 - Website",
        "Q3 - Phone",
        "Q3 - E-mail",
        "Q3 - Other (please specify)",
        "Q4",
    ]
    assert export.labels["Q1"].startswith("How likely is it")
    assert export.labels["Q2 - Product quality"] == (
        "How satisfied are you with each of the following? - Product quality"
    )
    assert export.labels["Q4"] == "What is the main reason for your score?"
    assert export.lines == [3, 4, 6]
    assert export.frame.loc[1, "Q4"].endswith("where my order was.")
    assert export.frame.loc[0, "Email Address"] is pd.NA
    assert export.frame.loc[2, "Q3 - Other (please specify)"] == "Chat on Instagram"
    assert resolve_column(export, "respondent id") == "Respondent ID"
    assert resolve_column(export, "What is the main reason for your score?") == "Q4"


def _without_lines(path: Path, *numbers: int) -> str:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    return "".join(text for number, text in enumerate(lines, start=1) if number not in numbers)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (_without_lines(MULTILINE, 3), 3, "is missing its ImportId header row"),
        (_without_lines(MULTILINE, 2), 2, "has its ImportId row where the question texts go"),
        (_without_lines(MULTILINE, 2, 3), 2, "has one header row only: this line holds answers"),
        ("id,name,score\n1,Alice,5\n2,Bob,4\n", 3, "has no recognisable header"),
        ("StartDate,ResponseId,Q1\n", 1, "has only one row"),
    ],
    ids=["importid-row-missing", "label-row-missing", "one-header-row", "plain-csv", "one-row"],
)
def test_unrecognisable_qualtrics_header(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = _write(tmp_path, text)

    with pytest.raises(DataError, match=message) as caught:
        read_qualtrics(path, encoding="utf-8")

    assert caught.value.file == str(path)
    assert caught.value.line == line
    assert "three header rows" in caught.value.message
    assert "Use legacy exports' off" in (caught.value.hint or "")
    assert "format: csv" in (caught.value.hint or "")


def test_ragged_row_names_its_line(tmp_path: Path) -> None:
    text = MULTILINE.read_text(encoding="utf-8").replace(",Delivery\n", ",Delivery,extra\n")
    path = _write(tmp_path, text)

    with pytest.raises(DataError, match=r"has 14 fields where the header has 13") as caught:
        read_qualtrics(path, encoding="utf-8")

    assert caught.value.line == 5
    assert f"{path}:5:" in str(caught.value)


@pytest.mark.parametrize("reader", [read_qualtrics, read_surveymonkey])
@pytest.mark.parametrize("text", ["", "\n\n"])
def test_empty_file(tmp_path: Path, reader: object, text: str) -> None:
    path = _write(tmp_path, text)

    with pytest.raises(DataError, match="is empty: it has no header rows"):
        reader(path, encoding="utf-8")  # type: ignore[operator]


def test_undecodable_file(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("Q1,Q2\nFrage ä,b\n".encode("utf-16"))

    with pytest.raises(DataError, match=r"is not utf-8 text") as caught:
        read_qualtrics(path, encoding="utf-8")

    assert "encoding" in (caught.value.hint or "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Respondent ID,Start Date,How likely?\n", "has no SurveyMonkey header"),
        (
            "Respondent ID,Start Date,How likely?\n11422,03/01/2024 09:12:44 AM,9\n",
            "that line is missing or looks like data",
        ),
    ],
    ids=["one-row", "one-header-row"],
)
def test_surveymonkey_without_second_header_row(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)

    with pytest.raises(DataError, match=message) as caught:
        read_surveymonkey(path, encoding="utf-8")

    assert "format: csv" in (caught.value.hint or "")


def test_qualtrics_export_declared_surveymonkey() -> None:
    with pytest.raises(DataError, match=r"looks like a Qualtrics export") as caught:
        read_surveymonkey(MULTILINE, encoding="utf-8")

    assert caught.value.line == 3
    assert caught.value.hint == "Choose format: qualtrics for this source."


def test_export_is_frozen() -> None:
    export = read_surveymonkey(SURVEYMONKEY, encoding="utf-8")

    assert isinstance(export, SurveyExport)
    with pytest.raises(AttributeError):
        export.dialect = "csv"  # type: ignore[misc]
