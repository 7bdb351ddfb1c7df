"""Overview tiles and the KPI series table, rendered for the demo workspace."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxlib import sections
from cxlib.metrics import ces, csat
from cxlib.page import Page
from cxlib.params import validate_parameters
from cxlib.periods import parse_period


def page_for(workspace: Path, language: str = "en") -> Page:
    params = validate_parameters(workspace=str(workspace), language=language, mode="report")
    return Page(params)


@pytest.mark.parametrize(
    ("language", "label"), [("en", "CSAT (satisfied"), ("de", "CSAT (zufrieden")]
)
def test_overview_has_csat_and_ces_tiles_with_n_and_interval(
    demo_workspace: Path, language: str, label: str
) -> None:
    page = page_for(demo_workspace, language)
    html = sections.overview_html(page, parse_period("2025"), None)
    assert html.count('class="cx-tile"') == 3 and label in html
    frame = page.select("responses", period=parse_period("2025"), segment=None).frame
    row = csat(frame).iloc[0]
    n = page.tr.number(row["n"])
    assert page.tr("tile.n", n=n) in html
    assert page.tr("tile.percent", value=page.tr.number(row["value"], digits=1)) in html
    agree = ces(frame).iloc[0]
    assert page.tr.number(agree["ci_low"], digits=1) in html


def test_kpi_series_table_is_shown_after_the_nps_series(
    demo_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[str] = []
    page = page_for(demo_workspace)
    monkeypatch.setattr(page, "show", lambda *parts: shown.append("".join(parts)))
    sections.nps_by_month(page)
    html = "".join(shown)
    assert "Survey KPIs per month" in html
    for name in ("kpi_name.csat", "kpi_name.ces", "kpi_name.ces_mean"):
        assert page.tr(name) in html
    assert not page.tr.missing


def test_small_months_are_flagged(demo_workspace: Path) -> None:
    page = page_for(demo_workspace)
    rows = page.select("responses").frame.head(20)
    kpis = sections._survey_shares(page, rows, grain="month", with_mean=True)
    assert all((result["flags"] == "small_n").all() for result in kpis.values())
