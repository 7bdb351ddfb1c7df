"""The KPI catalogue, KPI series and the `cx-workbook metrics` command."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cxlib.cli import main
from cxlib.errors import ParameterError
from cxlib.kpis import Settings, catalogue, kpi_series, render_rows
from cxlib.metrics import csat


def responses() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nps": pd.array([10, 9, 3, 8, 10, None], dtype="Int64"),
            "csat": pd.array([5, 4, 2, 5, 1, 3], dtype="Int64"),
            "rating_delivery": pd.array([4, 5, None, 2, 3, 3], dtype="Int64"),
            "region": ["n", "n", "s", "s", "s", "n"],
            "submitted_at": pd.Series(
                pd.to_datetime(
                    ["2025-01-05", "2025-01-20", "2025-02-03", "2025-02-04", "2025-03-01",
                     "2025-03-02"],
                    utc=True,
                )
            ),
        }
    )  # fmt: skip


def test_catalogue_has_directions_units_and_touchpoints() -> None:
    kpis = catalogue(["rating_delivery"])
    assert kpis["nps"].unit == "nps" and kpis["nps"].higher_is_better
    assert (
        not kpis["resolution_hours"].higher_is_better and kpis["resolution_hours"].unit == "hours"
    )
    assert kpis["satisfied"].table == "responses"
    assert kpis["rating_delivery"].label == "kpi_name.rating"
    assert not kpis["churn_rate"].higher_is_better


def test_kpi_series_by_month_with_intervals(engine: Callable[..., Any]) -> None:
    tables = {"responses": engine(responses())}
    series = kpi_series(tables, "csat", grain="month")
    assert series["period"].tolist() == ["2025-01", "2025-02", "2025-03"]
    expected = csat(responses(), grain="month")
    assert series["value"].tolist() == pytest.approx(expected["value"].tolist())
    assert list(series.columns) == [
        "kpi", "period", "n", "value", "ci_low", "ci_high", "unit", "flags", "n_effective"
    ]  # fmt: skip
    rating = kpi_series(tables, "rating_delivery", grain=None, by=["region"])
    assert rating.set_index("region")["n"].to_dict() == {"n": 3, "s": 2}


def test_kpi_series_refuses_unknown_kpis_and_tables() -> None:
    with pytest.raises(
        ParameterError, match=r"KPI 'cast' is not in the catalogue\. Did you mean 'csat'"
    ):
        kpi_series({"responses": responses()}, "cast")
    with pytest.raises(ParameterError, match="no 'tickets' table given"):
        kpi_series({"responses": responses()}, "resolution_hours")
    with pytest.raises(ParameterError, match="have no series by month yet"):
        kpi_series({"orders": responses()}, "repurchase_rate", settings=Settings())


def test_render_json_csv_and_table() -> None:
    rows = kpi_series({"responses": responses()}, "nps", grain=None)
    data = json.loads(render_rows(rows, "json"))
    assert data["schema_version"] == 1
    assert data["rows"][0]["flags"] == ["small_n"] and data["rows"][0]["n"] == 5
    hostile = rows.assign(period="=cmd()")
    assert "'=cmd()" in render_rows(hostile, "csv")
    assert render_rows(rows, "table").splitlines()[0].startswith("kpi")


def test_metrics_command_json(demo_workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["metrics", str(demo_workspace), "--by", "region", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    kpis = {row["kpi"] for row in data["rows"]}
    assert {"nps", "csat", "ces", "ces_mean", "first_response_hours", "sla_resolution"} <= kpis
    row = data["rows"][0]
    assert set(row) == {
        "kpi", "period", "region", "n", "value", "ci_low", "ci_high", "unit", "flags",
        "n_effective",
    }  # fmt: skip
    times = next(r for r in data["rows"] if r["kpi"] == "resolution_hours")
    assert times["ci_low"] is None and "no_interval" in times["flags"]


def test_metrics_command_compare_and_grain(
    demo_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["metrics", str(demo_workspace), "--period", "2026-Q1", "--compare", "2025-Q4"]
    assert main([*args, "--by", "region", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    nps_rows = [r for r in rows if r["kpi"] == "nps"]
    assert all(r["p_adjusted"] >= r["p_value"] for r in nps_rows)
    assert all(isinstance(r["significant"], bool) for r in nps_rows)
    assert main(["metrics", str(demo_workspace), "--by", "month", "--format", "csv"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("kpi,period,n,value") and out[1].startswith("nps,20")


@pytest.mark.parametrize(
    ("args", "message", "status"),
    [
        (
            ["--by", "regoin"],
            "'regoin' is not a dimension of this workspace. Did you mean 'region'",
            1,
        ),
        (["--period", "2026-13"], "period '2026-13' has month 13", 1),
        (["--grain", "month", "--compare", "2025"], "--compare compares period totals", 1),
        (["--by", "week", "--grain", "month"], "--by week and --grain month disagree", 1),
    ],
)
def test_metrics_command_errors(
    demo_workspace: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
    status: int,
) -> None:
    assert main(["metrics", str(demo_workspace), *args]) == status
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_metrics_usage_error_exits_2(demo_workspace: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["metrics", str(demo_workspace), "--grain", "day"])
    assert exit_info.value.code == 2


def test_kpis_the_options_leave_out_are_said(
    demo_workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["metrics", str(demo_workspace), "--by", "region", "--grain", "quarter"]) == 0
    notes = capsys.readouterr().err.splitlines()
    assert "cx-workbook: note: left out enps (missing_dimension:region)" in notes
    assert "cx-workbook: note: left out repurchase_rate (no_series_by_grain)" in notes
    assert main(["metrics", str(demo_workspace), "--by", "region", "--format", "json"]) == 0
    left_out = json.loads(capsys.readouterr().out)["left_out"]
    assert {"kpi": "enps", "reason": "missing_dimension:region"} in left_out
    assert {"kpi": "satisfied", "reason": "missing_column:satisfied"} in left_out
