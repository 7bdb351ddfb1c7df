"""The command line: one clear line and a non-zero exit for every bad input, never a traceback."""

from __future__ import annotations

import datetime
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cxlib.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("cx-workbook: error: ")]
    assert len(errors) == 1, result.stderr
    assert message in errors[0], errors[0]


def test_missing_workspace_yaml(tmp_path: Path) -> None:
    assert_one_line_error(run("report", str(tmp_path)), "workspace.yaml' not found")


def test_malformed_workspace_yaml(workspace_copy: Path) -> None:
    config = workspace_copy / "workspace.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("name: Nordlys Home", "name: [x"),
        encoding="utf-8",
    )
    assert_one_line_error(run("report", str(workspace_copy)), "is not valid YAML")


def test_missing_data_file(workspace_copy: Path) -> None:
    (workspace_copy / "data" / "orders.csv").unlink()
    assert_one_line_error(
        run("report", str(workspace_copy)),
        "data file 'data/orders.csv' of sources.orders not found",
    )


def test_unknown_notebook(demo_workspace: Path) -> None:
    assert_one_line_error(
        run("report", str(demo_workspace), "--notebook", "05_overviw"),
        "notebook '05_overviw' does not exist. Did you mean '00_overview'?",
    )


def test_bad_period(demo_workspace: Path) -> None:
    assert_one_line_error(
        run("report", str(demo_workspace), "--period", "2026-13"),
        "period '2026-13' has month 13; months are 01–12.",
    )


def test_segment_value_not_in_the_data(demo_workspace: Path, tmp_path: Path) -> None:
    result = run(
        "report",
        str(demo_workspace),
        "--notebook",
        "00",
        "--segment",
        "region=Hamburgg",
        "--out",
        str(tmp_path),
    )
    assert_one_line_error(result, "no responses have region 'Hamburgg'. Did you mean 'Hamburg'?")


def test_report_folder_that_is_a_file(demo_workspace: Path, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    result = run("report", str(demo_workspace), "--out", str(tmp_path / "taken"))
    assert_one_line_error(result, "cannot create the report folder")


def test_demo_leaves_another_workspace_alone(tmp_path: Path) -> None:
    (tmp_path / "workspace.yaml").write_text("version: 1\nname: Ours\n", encoding="utf-8")
    assert_one_line_error(run("demo", str(tmp_path)), "holds a workspace that is not the demo")
    assert (tmp_path / "workspace.yaml").read_text(encoding="utf-8") == "version: 1\nname: Ours\n"


def test_demo_into_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x", encoding="utf-8")
    result = run("demo", str(tmp_path / "file"), "--no-reports")
    assert_one_line_error(result, f"'{tmp_path / 'file'}' is a file, not a folder.")


def test_usage_errors_exit_with_2(demo_workspace: Path) -> None:
    result = run("report", str(demo_workspace), "--lang", "fr")
    assert result.returncode == 2 and "invalid choice: 'fr'" in result.stderr
    assert run().returncode == 2


@pytest.mark.slow
def test_demo_builds_five_reports_and_prints_their_paths(tmp_path: Path) -> None:
    result = run("demo", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    paths = [
        Path(line.strip()) for line in result.stdout.splitlines() if line.strip().endswith(".html")
    ]
    assert [p.name for p in paths] == [
        f"{n}.html"
        for n in (
            "00_overview",
            "01_goals",
            "02_current_state",
            "03_journey_map",
            "04_kpi_tracking",
        )
    ]
    assert all(
        p.is_file() and p.parent == tmp_path / "demo" / "reports" / "all" / "all" / "en"
        for p in paths
    )
    assert "Traceback" not in result.stderr and "WARNING" not in result.stderr


@pytest.mark.slow
def test_report_for_a_period_segment_and_language(demo_workspace: Path, tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(demo_workspace, workspace)
    result = run(
        "report",
        str(workspace),
        "--notebook",
        "00",
        "--period",
        "2025-Q4",
        "--segment",
        "region=Hamburg",
        "--lang",
        "de",
    )
    assert result.returncode == 0, result.stderr
    html = workspace / "reports" / "2025-Q4" / "region=Hamburg" / "de" / "00_overview.html"
    assert result.stdout.strip() == str(html.resolve())
    text = html.read_text(encoding="utf-8")
    assert "Überblick" in text and "Region=Hamburg" not in text and "region=Hamburg" in text


@pytest.mark.slow
def test_relative_period_report(demo_workspace: Path, tmp_path: Path) -> None:
    result = run(
        "report",
        str(demo_workspace),
        "--notebook",
        "04",
        "--period",
        "year-to-date",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    year = datetime.date.today().year
    assert f"{year}-YTD" in (tmp_path / "04_kpi_tracking.html").read_text(encoding="utf-8")
