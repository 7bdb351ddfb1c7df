"""The example workspaces load real public data completely, with the row counts the data have."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from cxlib.sources import load_table
from cxlib.workspace import load_workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def check(name: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-m", "cxlib.cli", "check", str(EXAMPLES / name), "--format", "json"],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    output: dict[str, object] = json.loads(result.stdout)
    assert output["schema_version"] == 1 and output["errors"] == []
    return output


def records(path: Path, delimiter: str = ",", quoting: int = csv.QUOTE_MINIMAL) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        return sum(1 for row in csv.reader(handle, delimiter=delimiter, quoting=quoting) if row) - 1


def test_airline(shared_data: Path) -> None:
    source = shared_data / "airline_passenger_satisfaction" / "airline_passenger_satisfaction.csv"
    (row,) = check("airline")["rows"]  # type: ignore[misc]
    assert row["rows_read"] == row["rows_kept"] == records(source) == 129_880
    raw = pd.read_csv(source)
    table = load_table(load_workspace(EXAMPLES / "airline"), "responses").frame
    assert table["satisfied"].sum() == (raw["Satisfaction"] == "Satisfied").sum()
    assert table["rating_wifi"].isna().sum() == (raw["In-flight Wifi Service"] == 0).sum()
    assert (
        table["segment"].value_counts().to_dict() == raw["Customer Type"].value_counts().to_dict()
    )


def test_telco_churn(shared_data: Path) -> None:
    source = shared_data / "telco_customer_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
    (row,) = check("telco_churn")["rows"]  # type: ignore[misc]
    assert row["rows_read"] == row["rows_kept"] == 7_043
    raw = pd.read_csv(source)
    table = load_table(load_workspace(EXAMPLES / "telco_churn"), "customers").frame
    assert table["churned"].sum() == (raw["Churn"] == "Yes").sum() == 1_869
    assert table["revenue"].isna().sum() == (raw["TotalCharges"].str.strip() == "").sum() == 11


def test_service_desk_event_log_becomes_tickets(shared_data: Path) -> None:
    source = shared_data / "it_incident_event_log" / "incident_event_log.csv"
    (row,) = check("service_desk")["rows"]  # type: ignore[misc]
    raw = pd.read_csv(source, dtype=str)
    assert row["rows_read"] == len(raw) == 119_998
    assert row["rows_kept"] == raw["number"].nunique() == 20_769
    assert row["deduplicated"] == len(raw) - raw["number"].nunique()
    assert row["date_formats"] == {"created_at": "%d/%m/%Y %H:%M", "resolved_at": "%d/%m/%Y %H:%M"}
    table = load_table(load_workspace(EXAMPLES / "service_desk"), "tickets").frame
    last = raw.drop_duplicates("number", keep="last").set_index("number")
    assert table["resolved_at"].isna().sum() == (last["resolved_at"] == "?").sum()
    first = table.set_index("ticket_id").loc["INC0000045"]
    assert first["created_at"] == pd.Timestamp("2016-02-29 01:16", tz="UTC")


def test_danish_reviews_ratings_from_labels(shared_data: Path) -> None:
    folder = shared_data / "danish_trustpilot_reviews"
    rows = check("danish_reviews")["rows"]
    assert {Path(r["path"]).name: r["rows_kept"] for r in rows} == {  # type: ignore[index]
        p.name: records(p) for p in folder.glob("*.csv")
    }
    table = load_table(load_workspace(EXAMPLES / "danish_reviews"), "responses").frame
    sas = table[table["_file"] == "sas.csv"]["csat"].value_counts().sort_index().tolist()
    assert sas == [1_009, 106, 42, 84, 225]
    assert table["comment"].str.contains("æ|ø|å").any()


def test_german_feedback_one_row_per_document(shared_data: Path) -> None:
    source = shared_data / "germeval2017_deutsche_bahn_feedback" / "dev_df_opinion.tsv"
    (row,) = check("german_feedback")["rows"]  # type: ignore[misc]
    assert row["rows_read"] == records(source, "\t", csv.QUOTE_NONE) == 2_953
    assert row["rows_kept"] == 2_369
    table = load_table(load_workspace(EXAMPLES / "german_feedback"), "feedback").frame
    assert table["text"].str.contains("ä|ö|ü|ß").any()


def test_qualtrics_exports_current_and_legacy(shared_data: Path) -> None:
    rows = check("qualtrics")["rows"]
    assert [(Path(r["path"]).name, r["rows_kept"]) for r in rows] == [  # type: ignore[index]
        ("qualtRics_sample.csv", 1),
        ("qualtRics_sample_legacy.csv", 1),
    ]
    table = load_table(load_workspace(EXAMPLES / "qualtrics"), "responses").frame
    assert table["response_id"].tolist() == ["R_2YPOQ602ER1jkf1"] * 2
    assert table["comment"].tolist() == ["Hello World!"] * 2
    assert table["submitted_at"].iloc[0] == pd.Timestamp("2017-07-18 06:28:48", tz="UTC")


@pytest.mark.parametrize(
    "name",
    ["qualtrics", "airline", "telco_churn", "service_desk", "danish_reviews", "german_feedback"],
)
def test_examples_are_documented(name: str) -> None:
    assert f"`{name}`" in (EXAMPLES / "README.md").read_text(encoding="utf-8")
