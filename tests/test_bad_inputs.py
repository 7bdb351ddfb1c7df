"""The bad-input corpus (tests/bad_inputs/cases.yaml): a clear error or the documented report.

Every case runs through ``cx-workbook check`` in-process — an exception other than cxlib's own
would fail the test, so no case may end in a traceback — and, where it loads, through
:func:`cxlib.sources.load_file` to compare the frame and its quality report.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from ruamel.yaml import YAML

from cxlib.cli import main
from cxlib.i18n import Translator
from cxlib.quality import report_row
from cxlib.sources import load_file
from cxlib.workspace import load_workspace

CORPUS = Path(__file__).resolve().parent / "bad_inputs"
SPEC = YAML(typ="safe").load((CORPUS / "cases.yaml").read_text(encoding="utf-8"))
EN = Translator("en")


def _case_id(case: dict[str, Any]) -> str:
    extra = "-".join(sorted(case.get("source", {})))
    return f"{case['file']}{'-' + extra if extra else ''}"


def _workspace(folder: Path, case: dict[str, Any]) -> Path:
    table = case.get("table", "responses")
    source = {**SPEC["defaults"].get(table, {}), **case.get("source", {})}
    source["path"] = f"data/{case['file']}"
    (folder / "data").mkdir(parents=True)
    shutil.copy(CORPUS / case["file"], folder / "data" / case["file"])
    config = {"version": 1, "name": "Bad input", "timezone": "Europe/Copenhagen",
              "dimensions": ["region"], "sources": {table: source}}  # fmt: skip
    (folder / "workspace.yaml").write_text(json.dumps(config, ensure_ascii=False), "utf-8")
    return folder


def _check(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    status = main(["check", str(folder), "--format", "json"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return status, captured.out, captured.err


def test_corpus_is_large_enough() -> None:
    assert len(SPEC["cases"]) + len(SPEC["yaml"]) >= 40
    used = {case["file"] for case in SPEC["cases"]}
    on_disk = {p.name for p in CORPUS.iterdir() if p.name not in {"cases.yaml", "README.md"}}
    assert on_disk == used, "every corpus file has a case and every case a file"


@pytest.mark.parametrize("case", SPEC["cases"], ids=_case_id)
def test_data_case(
    case: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _workspace(tmp_path / "ws", case)
    status, out, err = _check(folder, capsys)
    if "error" in case:
        assert status == 1
        errors = [line for line in err.splitlines() if line.startswith("cx-workbook: error: ")]
        assert len(errors) == 1, err
        assert pd.Series([errors[0]]).str.contains(case["error"], regex=True).iloc[0], errors[0]
        return
    assert status == 0, err
    (row,) = json.loads(out)["rows"]
    workspace = load_workspace(folder)
    (source,) = next(iter(workspace.sources.values()))
    frame, report = load_file(source, source.files[0], workspace.timezone)
    assert report_row(report, EN) == row
    _compare(case["expect"], row, frame)


def _compare(expect: dict[str, Any], row: dict[str, Any], frame: pd.DataFrame) -> None:
    for key in ("rows_read", "rows_kept", "deduplicated", "encoding", "date_formats"):
        if key in expect:
            assert row[key] == expect[key], key
    for key in ("dropped", "warnings"):
        got = {reason: [d["count"], d["rows"]] for reason, d in row[key].items()}
        assert got == expect.get(key, {}), key
    if "coerced" in expect:
        assert row["coerced"] == expect["coerced"]
    if "lines" in expect:
        assert frame["_line"].tolist()[: len(expect["lines"])] == expect["lines"]
    time = next((c for c in ("submitted_at", "created_at", "ordered_at") if c in frame), None)
    if "first_utc" in expect:
        assert frame[time].iloc[0].isoformat() == expect["first_utc"]
    if "last_utc" in expect:
        assert frame[time].iloc[-1].isoformat() == expect["last_utc"]
    for key, column in (("comment_contains", "comment"), ("text_contains", "text")):
        if key in expect:
            assert frame[column].str.contains(expect[key], regex=False).any()
    for column, count in expect.get("missing", {}).items():
        assert int(frame[column].isna().sum()) == count, column
    for column, total in expect.get("sum", {}).items():
        assert int(frame[column].sum()) == total, column


@pytest.mark.parametrize("case", SPEC["yaml"], ids=lambda c: c["name"])
def test_yaml_case(
    case: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.csv").write_text("a,b,w\n1,2,3\n", encoding="utf-8")
    (tmp_path / "workspace.yaml").write_text(case["text"], encoding="utf-8")
    status, _out, err = _check(tmp_path, capsys)
    assert status == 1
    errors = [line for line in err.splitlines() if line.startswith("cx-workbook: error: ")]
    assert len(errors) == 1, err
    assert pd.Series([errors[0]]).str.contains(case["error"], regex=True).iloc[0], errors[0]
