"""Loading data into canonical tables: nothing is dropped without being counted."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cxlib import sources
from cxlib.errors import DataError
from cxlib.i18n import Translator
from cxlib.quality import Problem, report_row
from cxlib.sources import load_table
from cxlib.workspace import load_workspace

EN = Translator("en")


def english(problems: dict[Problem, object]) -> dict[str, object]:
    return {problem.text(EN): value for problem, value in problems.items()}


YAML = """\
version: 1
name: T
timezone: Europe/Berlin
dimensions: [region]
sources:
  responses:
    path: data/r.csv
    columns: {response_id: Id, submitted_at: When, nps: Score, region: Region}
    ratings: {delivery: Delivery}
    not_applicable: [0]
    na_values: ["?"]
{extra}
"""


def workspace(folder: Path, csv: str, extra: str = "") -> Path:
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "r.csv").write_text(csv, encoding="utf-8")
    (folder / "workspace.yaml").write_text(YAML.replace("{extra}", extra), encoding="utf-8")
    return folder


def test_rows_are_parsed_and_dropped_rows_counted(tmp_path: Path) -> None:
    rows = ["Id,When,Score,Region,Delivery"]
    rows += [f"r{i},2026-03-0{1 + i % 9} 10:00:00,{i % 11},North,{i % 6}" for i in range(40)]
    rows += [
        "bad1,2026-03-01 10:00:00,11,North,3",
        "bad2,yesterday,5,North,3",
        "q,2026-03-02 10:00:00,?,South,?",
    ]
    folder = workspace(tmp_path, "\n".join(rows) + "\n", "    max_dropped_share: 0.1")
    table = load_table(load_workspace(folder), "responses")
    report = table.reports[0]
    assert report.rows_read == 43
    assert report.rows_kept == 40
    assert english(report.dropped) == {
        "nps is not a whole number 0–10": (1, [42]),
        "submitted_at is not a date (ISO8601)": (1, [43]),
        "no score at all": (1, [44]),
    }
    assert english(report.coerced) == {"rating_delivery: 'not applicable' → missing": 7}
    frame = table.frame
    assert str(frame["submitted_at"].dt.tz) == "UTC"
    assert frame["submitted_at"].iloc[0] == pd.Timestamp("2026-03-01 09:00", tz="UTC")
    assert frame["nps"].dtype == "Int64"
    assert frame["_line"].iloc[0] == 2
    row = report_row(table.reports[0], EN)
    assert row["rows_read"] == 43 and row["dropped"]["no score at all"] == {
        "count": 1,
        "rows": [44],
    }


def test_too_many_unusable_rows_stop_loading(tmp_path: Path) -> None:
    rows = ["Id,When,Score,Region,Delivery", "a,2026-01-01,12,N,1", "b,2026-01-01,5,N,1"]
    ws = load_workspace(workspace(tmp_path, "\n".join(rows) + "\n"))
    with pytest.raises(
        DataError,
        match=r"r.csv: 50.0% of 2 rows are unusable, more than the allowed 5%; "
        r"most often 'nps is not a whole number 0–10' \(1 rows, e.g. lines 2\)",
    ):
        load_table(ws, "responses")


def test_missing_column_suggests_the_closest(tmp_path: Path) -> None:
    ws = load_workspace(workspace(tmp_path, "Id,When,Scores,Region,Delivery\n"))
    with pytest.raises(
        DataError,
        match=r"r.csv: column 'Score' \(mapped as nps\) is not in the file. "
        r"Did you mean 'Scores'\? Fix sources.responses.columns.nps",
    ):
        load_table(ws, "responses")


def test_unconfigured_table(tmp_path: Path) -> None:
    ws = load_workspace(workspace(tmp_path, "Id,When,Score,Region,Delivery\n"))
    with pytest.raises(DataError, match=r"the workspace has no 'orders' source"):
        load_table(ws, "orders")


def test_tickets_answered_before_creation_are_flagged(tmp_path: Path) -> None:
    extra = (
        "  tickets:\n    path: data/t.csv\n"
        "    columns: {ticket_id: T, created_at: C, first_response_at: F, resolved_at: R}\n"
    )
    workspace(tmp_path, "Id,When,Score,Region,Delivery\n", extra)
    (tmp_path / "data" / "t.csv").write_text(
        "T,C,F,R\n1,2026-01-02 10:00,2026-01-02 09:00,2026-01-03 10:00\n2,2026-01-02 10:00,,\n",
        encoding="utf-8",
    )
    report = load_table(load_workspace(tmp_path), "tickets").reports[0]
    assert report.rows_kept == 2
    assert english(report.warnings) == {"first_response_at before created_at": (1, [2])}


def test_demo_tables_load_completely(demo_workspace: Path) -> None:
    ws = load_workspace(demo_workspace)
    for name in ("responses", "tickets", "orders", "employees"):
        table = load_table(ws, name)
        report = table.reports[0]
        assert report.rows_kept == report.rows_read > 0, (name, report.dropped)
        assert not report.unused_columns, (name, report.unused_columns)


def test_real_airline_survey_ratings(shared_data: Path, tmp_path: Path) -> None:
    """The airline survey's 0 means 'not applicable'; those become missing, nothing is dropped."""
    source = shared_data / "airline_passenger_satisfaction" / "airline_passenger_satisfaction.csv"
    with source.open(encoding="utf-8") as handle:
        header = handle.readline().strip().split(",")
    (tmp_path / "workspace.yaml").write_text(
        "version: 1\nname: Airline\ndimensions: [segment]\nsources:\n  responses:\n"
        f"    path: {source}\n"
        "    columns: {segment: Customer Type}\n"
        "    ratings: {online_booking: Ease of Online Booking, check_in: Check-in Service}\n"
        "    rating_scale: [1, 5]\n    not_applicable: [0]\n",
        encoding="utf-8",
    )
    assert "Ease of Online Booking" in header
    table = load_table(load_workspace(tmp_path), "responses")
    report = table.reports[0]
    assert report.rows_read == 129_880
    zeros = (
        pd.read_csv(source, usecols=["Ease of Online Booking"])["Ease of Online Booking"]
        .eq(0)
        .sum()
    )
    assert english(report.coerced)["rating_online_booking: 'not applicable' → missing"] == zeros
    assert report.rows_kept == report.rows_read


def test_line_numbers_count_physical_lines(tmp_path: Path) -> None:
    csv = (
        "Id,When,Score,Region,Delivery\n"
        'a,2026-01-01 10:00,9,"North",3\n'
        "\n"
        'b,2026-01-01 10:00,8,"a region\nover two lines",2\n'
        "c,2026-01-01 10:00,77,North,1\n"
    )
    ws = load_workspace(workspace(tmp_path, csv, "    max_dropped_share: 0.5"))
    table = load_table(ws, "responses")
    assert table.frame["_line"].tolist() == [2, 4]
    assert table.frame["region"].tolist() == ["North", "a region\nover two lines"]
    assert english(table.reports[0].dropped) == {"nps is not a whole number 0–10": (1, [6])}


def test_not_applicable_inside_the_scale_is_missing(tmp_path: Path) -> None:
    csv = "Id,When,Score,Region,Delivery\n" + "".join(
        f"r{i},2026-01-01,9,N,{i % 3}\n" for i in range(30)
    )
    ws = load_workspace(workspace(tmp_path, csv, "    rating_scale: [0, 5]"))
    table = load_table(ws, "responses")
    assert table.frame["rating_delivery"].isna().sum() == 10
    assert table.frame["rating_delivery"].dropna().tolist() == [1, 2] * 10
    assert english(table.reports[0].coerced) == {"rating_delivery: 'not applicable' → missing": 10}


def test_timestamps_with_and_without_offsets(tmp_path: Path) -> None:
    csv = (
        "Id,When,Score,Region,Delivery\n"
        "a,2026-03-28 12:00:00+01:00,9,N,1\n"
        "b,2026-03-30 12:00:00+02:00,9,N,1\n"
        "c,2026-03-30T10:00:00Z,9,N,1\n"
        "d,2026-03-30 12:00:00,9,N,1\n"
    )
    table = load_table(load_workspace(workspace(tmp_path, csv)), "responses")
    assert table.frame["submitted_at"].tolist() == [
        pd.Timestamp("2026-03-28 11:00", tz="UTC"),
        pd.Timestamp("2026-03-30 10:00", tz="UTC"),
        pd.Timestamp("2026-03-30 10:00", tz="UTC"),
        pd.Timestamp("2026-03-30 10:00", tz="UTC"),  # naive: Europe/Berlin summer time
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", r"r.csv: is empty: it has no header row"),
        (
            b"Id,When,Score,Score,Delivery\n",
            r"r.csv:1: column 'Score' appears twice in the header "
            r"\(columns 3 and 4\)",
        ),
        (
            b"Id,When,Score,Region,Delivery\na,2026-01-01,9,N,1\nb,2026-01-01,9\n",
            r"r.csv:3: has 3 fields where the header has 5. Check the delimiter",
        ),
    ],
)
def test_unreadable_files(tmp_path: Path, content: bytes, message: str) -> None:
    ws = load_workspace(workspace(tmp_path, "x"))
    (tmp_path / "data" / "r.csv").write_bytes(content)
    with pytest.raises(DataError, match=message):
        load_table(ws, "responses")


def test_wrong_configured_encoding(tmp_path: Path) -> None:
    ws = load_workspace(workspace(tmp_path, "x", "    encoding: utf-8"))
    (tmp_path / "data" / "r.csv").write_bytes(
        "Id,When,Score,Region,Delivery\nä,,1,,\n".encode("cp1252")
    )
    with pytest.raises(
        DataError,
        match=r"r.csv: is not utf-8 text \(undecodable byte at offset 30\). "
        r"Save the file as UTF-8, or set the source's encoding",
    ):
        load_table(ws, "responses")


@pytest.mark.parametrize("encoding", ["auto", "cp1252"])
def test_detected_or_configured_encoding_and_repeated_ids(tmp_path: Path, encoding: str) -> None:
    ws = load_workspace(workspace(tmp_path, "x", f"    encoding: {encoding}"))
    rows = "Id,When,Score,Region,Delivery\na,2026-01-01,9,Süd,1\na,2026-01-02,3,Süd,1\n"
    (tmp_path / "data" / "r.csv").write_bytes(rows.encode("cp1252"))
    table = load_table(ws, "responses")
    assert table.frame["region"].tolist() == ["Süd", "Süd"]
    assert table.reports[0].encoding == "cp1252"
    assert english(table.reports[0].warnings) == {"response_id appears more than once": (2, [2, 3])}


def test_an_unchanged_file_is_loaded_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = ["Id,When,Score,Region,Delivery"] + [
        f"r{i},2026-03-02,{i % 11},North,3" for i in range(9)
    ]
    folder = workspace(tmp_path, "\n".join(rows) + "\n")
    data = folder / "data" / "r.csv"
    monkeypatch.setattr(sources, "_SETTLED_NS", 0)  # as if written long ago
    loads = []
    real = sources._load_file
    monkeypatch.setattr(sources, "_load_file", lambda *a: loads.append(a) or real(*a))
    first = load_table(load_workspace(folder), "responses")
    first.frame["nps"] = 0  # a page changing its frame does not change what is kept
    first.reports[0].rows_kept = -1
    second = load_table(load_workspace(folder), "responses")
    assert len(loads) == 1
    assert second.frame["nps"].tolist() == [i % 11 for i in range(9)]
    assert second.reports[0].rows_kept == 9
    data.write_text("\n".join(rows[:5]) + "\n", encoding="utf-8")  # changed: loaded again
    assert len(load_table(load_workspace(folder), "responses").frame) == 4
    assert len(loads) == 2


def test_a_file_just_written_is_not_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # written within the file system's timestamp granularity, a rewrite of the same size could
    # keep the modification time: such a file is read every time
    folder = workspace(tmp_path, "Id,When,Score,Region,Delivery\nr1,2026-03-02,9,North,3\n")
    loads = []
    real = sources._load_file
    monkeypatch.setattr(sources, "_load_file", lambda *a: loads.append(a) or real(*a))
    load_table(load_workspace(folder), "responses")
    load_table(load_workspace(folder), "responses")
    assert len(loads) == 2
