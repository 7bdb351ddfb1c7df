"""Every workbook notebook runs under papermill on the demo workspace, in both modes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from cxlib.report import execute
from cxlib.resources import notebook_names, notebooks_dir

pytestmark = pytest.mark.slow
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def outputs(notebook: Any) -> list[dict[str, Any]]:
    return [
        o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])
    ]


def html_text(notebook: Any) -> str:
    return "\n".join(
        o.get("data", {}).get("text/html", "")
        for o in outputs(notebook)
        if isinstance(o.get("data", {}).get("text/html", ""), str)
    )


def test_five_notebooks_with_typed_parameters() -> None:
    assert notebook_names() == [
        "00_overview",
        "01_goals",
        "02_current_state",
        "03_journey_map",
        "04_kpi_tracking",
    ]
    for name in notebook_names():
        cells = json.loads((notebooks_dir() / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
        assert "parameters" in cells[0]["metadata"]["tags"]
        source = "".join(cells[0]["source"])
        for parameter in ("workspace", "period", "segment", "language", "mode"):
            assert re.search(rf"^{parameter}: str = ", source, re.M), (name, parameter)
        assert "validate" in "".join(cells[1]["source"]) or "start(" in "".join(cells[1]["source"])
        assert all(
            not c.get("outputs") and c.get("execution_count") is None
            for c in cells
            if c["cell_type"] == "code"
        ), f"{name} is committed with outputs"


@pytest.mark.parametrize("mode", ["report", "interactive"])
@pytest.mark.parametrize("name", notebook_names())
def test_notebook_runs(demo_workspace: Path, name: str, mode: str) -> None:
    parameters = {
        "workspace": str(demo_workspace),
        "period": "",
        "segment": "",
        "language": "",
        "mode": mode,
    }
    notebook = execute(name, parameters, cwd=demo_workspace)
    produced = outputs(notebook)
    assert not [o for o in produced if o["output_type"] == "error"]
    assert not [o for o in produced if o.get("name") == "stderr"], [o.get("text") for o in produced]
    widgets = [o for o in produced if WIDGET_VIEW in o.get("data", {})]
    if mode == "report" or name == "02_current_state":
        assert not widgets, "widgets in a report would need a CDN loader and have dead callbacks"
    else:
        assert widgets, "the interactive overview offers period and segment filters"
    assert "Nordlys Home" in html_text(notebook)


def test_overview_report_shows_the_nps_of_the_data(demo_workspace: Path) -> None:
    parameters = {
        "workspace": str(demo_workspace),
        "period": "2025-Q4",
        "segment": "region=Hamburg",
        "language": "en",
        "mode": "report",
    }
    text = html_text(execute("00_overview", parameters, cwd=demo_workspace))
    # independent computation straight from the CSV
    raw = pd.read_csv(demo_workspace / "data" / "survey_responses.csv")
    when = pd.to_datetime(raw["Submitted"])
    picked = raw[(raw["Region"] == "Hamburg") & (when >= "2025-10-01") & (when < "2026-01-01")]
    scores = picked["Likelihood to recommend (0-10)"].dropna()
    value = 100 * ((scores >= 9).mean() - (scores <= 6).mean())
    assert f"n = {len(scores):,} answers" in text
    assert f"{value:+.1f}" in text
    assert "2025-Q4" in text and "region=Hamburg" in text


def test_bad_parameter_stops_the_notebook_with_its_message(demo_workspace: Path) -> None:
    from cxlib.errors import CxError

    parameters = {
        "workspace": str(demo_workspace),
        "period": "2026-13",
        "segment": "",
        "language": "",
        "mode": "report",
    }
    with pytest.raises(CxError, match="period '2026-13' has month 13"):
        execute("01_goals", parameters, cwd=demo_workspace)
