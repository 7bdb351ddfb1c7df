"""Built reports open in headless Chromium with no network: every chart draws, nothing leaks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import CHARTS_DRAWN_JS, PageWatch

from cxlib.report import build_reports
from cxlib.resources import notebook_names

pytestmark = [pytest.mark.slow, pytest.mark.browser]
MAX_REPORT_BYTES = 3 * 1024 * 1024
XSS = '<img src=x onerror=alert("xss")>'


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory, demo_workspace: Path) -> list[Path]:
    """All five reports of a demo workspace with hostile text in its name, values and data.

    The name, a company value and one region carry a script payload; every detractor comment
    about delivery gets a phone number, so the comments the report quotes must show it redacted.
    """
    import shutil

    import pandas as pd

    workspace = tmp_path_factory.mktemp("xss") / "ws"
    shutil.copytree(demo_workspace, workspace, ignore=shutil.ignore_patterns("reports"))
    config = workspace / "workspace.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("name: Nordlys Home", f"name: '{XSS}'").replace(
            "values: [Warmth,", f"values: ['{XSS}', Warmth,"
        ),
        encoding="utf-8",
    )
    survey = workspace / "data" / "survey_responses.csv"
    frame = pd.read_csv(survey, dtype=str, keep_default_na=False)
    frame.loc[frame["Region"] == "Syddanmark", "Region"] = XSS
    delivery = frame["Comment"].str.contains("(?i)deliver|liefer|lever", regex=True)
    detractor = pd.to_numeric(frame["Likelihood to recommend (0-10)"]) <= 6
    frame.loc[delivery & detractor, "Comment"] += " Ring mir an: +49 40 12345678."
    frame.to_csv(survey, index=False)
    return [r.html for r in build_reports(workspace)]


def open_report(page: Any, watch: PageWatch, path: Path) -> list[bool]:
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.cx-chart')).every("
        "e => e.querySelector('svg, canvas') || e.textContent.length > 0)",
        timeout=20_000,
    )
    drawn: list[bool] = page.evaluate(CHARTS_DRAWN_JS)
    return drawn


@pytest.mark.parametrize("index", range(5))
def test_report_opens_offline_and_every_chart_draws(
    reports: list[Path], offline_page: tuple[Any, PageWatch], index: int
) -> None:
    page, watch = offline_page
    path = reports[index]
    assert path.stat().st_size < MAX_REPORT_BYTES
    drawn = open_report(page, watch, path)
    assert watch.outside_requests == []
    assert watch.errors == []
    assert watch.dialogs == []
    assert all(drawn), drawn
    expected_charts = {
        "00_overview": 1,
        "01_goals": 0,
        "02_current_state": 10,  # NPS by 4 dimensions, changes, drivers, 2 themes, service, RFM
        "03_journey_map": 2,
        "04_kpi_tracking": 4,
    }[path.stem]
    assert len(drawn) == expected_charts
    body = page.inner_text("body")
    assert XSS in body, "the workspace name shows as text"
    assert page.locator("img[src=x]").count() == 0
    assert "Traceback" not in body and "In [" not in body
    assert page.locator(".jp-InputArea, .jp-CodeCell .jp-InputPrompt").count() == 0


def test_report_html_has_no_remote_references(reports: list[Path]) -> None:
    for path in reports:
        text = path.read_text(encoding="utf-8")
        assert "cdn.jsdelivr" not in text and "unpkg.com" not in text
        assert "cdnjs.cloudflare" not in text and "require.min.js" not in text
        assert text.count("window.vegaEmbed=") == 1, "the Vega bundle is inlined once per page"


@pytest.mark.parametrize("timezone", ["America/Los_Angeles", "Pacific/Auckland"])
def test_months_are_the_workspace_months_in_any_browser_zone(
    reports: list[Path], browser: Any, timezone: str
) -> None:
    context = browser.new_context(timezone_id=timezone)
    try:
        page = context.new_page()
        page.goto(reports[4].as_uri())
        page.wait_for_selector(".cx-chart svg")
        labels = page.eval_on_selector_all(
            ".cx-chart svg .role-axis-label text", "els => els.map(e => e.textContent)"
        )
        assert labels[0] == "Nov 2024", labels
        assert page.inner_text("table.cx-table tbody tr:first-child td:first-child") == "2024-11"
    finally:
        context.close()


def test_no_planted_personal_data_in_any_report(reports: list[Path], demo_workspace: Path) -> None:
    assert "[phone]" in reports[2].read_text(encoding="utf-8"), "quoted comments are redacted"
    import re

    import pandas as pd

    comments = pd.read_csv(demo_workspace / "data" / "survey_responses.csv")["Comment"].dropna()
    planted = comments[comments.str.contains(r"@example\.|\+4[59]|\d{2} \d{2} \d{2} \d{2}")]
    assert len(planted) > 50, "the demo plants e-mail addresses and phone numbers in comments"
    e_mail = re.compile(r"[\w.+-]+@example\.(?:com|org|net)")
    phone = re.compile(r"\+4[59][\d ]{8,}|\b\d{2} \d{2} \d{2} \d{2}\b|\b01[5-7]\d[ -]?\d{6,8}\b")
    for path in reports:
        text = path.read_text(encoding="utf-8")
        assert not e_mail.search(text), path.name
        assert not phone.search(text), (path.name, phone.search(text))


def test_title_page_and_contents_link_every_section(
    reports: list[Path], offline_page: tuple[Any, PageWatch]
) -> None:
    page, watch = offline_page
    open_report(page, watch, reports[2])
    title = page.locator("header.cx-title-page")
    assert title.locator("h1").inner_text() == "Current state"
    facts = title.text_content() or ""  # the words as written (labels are shown upper-case)
    assert XSS in facts, "the workspace name shows as text on the title page"
    for word in ("Workspace", "Period", "All data", "Segment", "Language", "English", "Built"):
        assert word in facts, word
    fold = "s => s.replace(/\\s+/g, ' ').trim()"
    links = page.eval_on_selector_all(
        "nav.cx-toc a", f"els => els.map(a => [a.getAttribute('href'), ({fold})(a.textContent)])"
    )
    headings = page.eval_on_selector_all(
        ".jp-OutputArea h2, .jp-OutputArea h3",
        f"els => els.map(h => ['#' + h.id, ({fold})(h.textContent)])",
    )
    assert len(links) >= 8 and links == headings
    assert page.locator("nav.cx-toc").inner_text().startswith("Contents")
    page.click(f"nav.cx-toc a[href='{links[-1][0]}']")
    assert page.evaluate("() => window.scrollY") > 0, "a contents link jumps to its section"
    page.emulate_media(media="print")
    breaks = page.eval_on_selector_all(
        "[data-cx-break]", "els => els.map(e => getComputedStyle(e).breakBefore)"
    )
    assert len(breaks) >= 3 and set(breaks) == {"page"}
    toc_break = page.eval_on_selector("nav.cx-toc", "e => getComputedStyle(e).breakAfter")
    assert toc_break == "page"
    assert watch.outside_requests == [] and watch.errors == [] and watch.dialogs == []


def test_report_pages_are_in_the_report_language(
    reports: list[Path], offline_page: tuple[Any, PageWatch], tmp_path: Path
) -> None:
    from cxlib.report import build_reports

    workspace = reports[0].parents[4]
    (german,) = build_reports(workspace, notebooks=["04"], language="de", out=tmp_path)
    page, watch = offline_page
    open_report(page, watch, german.html)
    assert page.get_attribute("html", "lang") == "de"
    facts = page.text_content("header.cx-title-page") or ""
    for word in ("Customer-Experience-Bericht", "Arbeitsbereich", "Zeitraum", "Alle Daten"):
        assert word in facts, word
    assert page.locator("nav.cx-toc").inner_text().startswith("Inhalt")
    assert watch.outside_requests == [] and watch.errors == []


def test_every_report_of_the_airline_example_opens_offline(
    shared_data: Path, offline_page: tuple[Any, PageWatch], tmp_path: Path
) -> None:
    # real data without dates, tickets, orders or a workshop yet: each page says what is
    # missing and shows the rest (here: what drives satisfaction with the flight)
    example = Path(__file__).resolve().parents[1] / "examples" / "airline"
    reports = build_reports(example, out=tmp_path)
    assert [r.notebook for r in reports] == notebook_names()
    page, watch = offline_page
    charts: dict[str, list[bool]] = {}
    for report in reports:
        charts[report.notebook] = open_report(page, watch, report.html)
        body = page.inner_text("body")
        assert "Traceback" not in body and "There was an error" not in body, report.notebook
        if report.notebook == "02_current_state":
            assert "Online boarding" in body  # a touchpoint of the driver analysis
    assert all(all(drawn) for drawn in charts.values()), charts
    assert len(charts["02_current_state"]) >= 1
    assert not (example / "workbook.db").exists(), "reading a workspace never writes into it"
    assert watch.outside_requests == [] and watch.errors == [] and watch.dialogs == []
