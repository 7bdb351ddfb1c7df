"""Report building: sets for --by, the index page, title page and contents, PDF with Chromium."""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest

from cxlib.errors import ParameterError
from cxlib.params import validate_parameters
from cxlib.report import Report, output_dir
from cxlib.report_index import IndexEntry, IndexGroup, index_html
from cxlib.report_page import TitlePage, anchor_headings, anchor_notebook
from cxlib.report_pdf import CHROMIUM_ENV, PdfError, find_chromium, print_pdf
from cxlib.report_progress import BatchProgress, progress_line
from cxlib.report_run import Job, Outcome, export_html, run_jobs, worker_count
from cxlib.report_sets import ReportSet, UsageError, check_by, plan_sets

XSS = "<img src=x onerror=alert(1)>"
BUILT = dt.datetime(2026, 3, 9, 14, 5)


def params(workspace: Path, **values: str) -> Any:
    return validate_parameters(workspace=str(workspace), mode="report", **values)


# --- which sets --by gives ---------------------------------------------------------------------


def test_by_a_dimension_gives_one_set_per_value_in_the_responses(demo_workspace: Path) -> None:
    sets = plan_sets(params(demo_workspace), ["country"])
    assert sets == [
        ReportSet("", "country=Denmark", "country=Denmark"),
        ReportSet("", "country=Germany", "country=Germany"),
    ]


def test_by_month_gives_the_months_of_the_period_with_responses(demo_workspace: Path) -> None:
    sets = plan_sets(params(demo_workspace, period="2025-Q4"), ["month"], period="2025-Q4")
    assert sets == [
        ReportSet("2025-10", "", "2025-10"),
        ReportSet("2025-11", "", "2025-11"),
        ReportSet("2025-12", "", "2025-12"),
    ]
    segment = plan_sets(
        params(demo_workspace, period="2025-Q4", segment="country=Germany"),
        ["month", "month"],
        period="2025-Q4",
    )
    assert [(s.period, s.segment) for s in segment] == [
        ("2025-10", "country=Germany"),
        ("2025-11", "country=Germany"),
        ("2025-12", "country=Germany"),
    ]


def test_by_a_dimension_and_month_gives_each_pair(demo_workspace: Path) -> None:
    sets = plan_sets(params(demo_workspace, period="2025-Q4"), ["country", "month"])
    assert len(sets) == 6
    assert sets[0] == ReportSet("2025-10", "country=Denmark", "country=Denmark · 2025-10")
    assert sets[-1] == ReportSet("2025-12", "country=Germany", "country=Germany · 2025-12")


def test_without_by_there_is_one_set(demo_workspace: Path) -> None:
    assert plan_sets(params(demo_workspace, period="2025"), period="2025") == [
        ReportSet("2025", "")
    ]


@pytest.mark.parametrize(
    ("by", "segment", "message"),
    [
        (["region", "channel"], "", "--by region --by channel: a report filters on one dimension"),
        (["region"], "region=Hamburg", "the segment already fixes region"),
        (["region"], "channel=Web", "--by region with --segment channel=Web: a report filters"),
    ],
)
def test_by_options_that_contradict_each_other(by: list[str], segment: str, message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        check_by(by, segment)


def test_by_month_alone_or_with_a_segment_is_fine() -> None:
    assert check_by(["month"], "region=Hamburg") == (None, True)
    assert check_by([" region ", "month"], "") == ("region", True)


def test_by_a_dimension_the_workspace_lacks_names_the_dimensions(demo_workspace: Path) -> None:
    with pytest.raises(
        ParameterError,  # not a UsageError: it depends on the workspace
        match=re.escape(
            "--by 'regoin' is not a dimension of this workspace. Did you mean 'region'? "
            "--by takes one of: country, region, channel, segment, month."
        ),
    ) as caught:
        plan_sets(params(demo_workspace), ["regoin"])
    assert not isinstance(caught.value, UsageError)


def test_a_segment_value_no_response_has_fails_before_any_kernel(demo_workspace: Path) -> None:
    with pytest.raises(
        ParameterError,
        match=re.escape("segment 'region=Atlantis': no responses have region 'Atlantis'"),
    ):
        plan_sets(params(demo_workspace, segment="region=Atlantis"))


def test_a_period_without_responses_says_where_the_data_is(demo_workspace: Path) -> None:
    with pytest.raises(
        ParameterError,
        match=r"period '2019' has no responses; they run from \d{4}-\d\d-\d\d to \d{4}-\d\d-",
    ):
        plan_sets(params(demo_workspace, period="2019"), period="2019")


def test_output_folder_of_a_set_under_a_root(demo_workspace: Path, tmp_path: Path) -> None:
    chosen = params(demo_workspace, period="2025-11", segment="region=Nord/Süd", language="de")
    assert output_dir(chosen, tmp_path) == tmp_path / "2025-11" / "region=Nord_Süd" / "de"


# --- title page and table of contents ----------------------------------------------------------


def test_headings_get_ids_outside_scripts_and_sections_after_the_first_break() -> None:
    state = anchor_notebook.__globals__["_Scan"]()
    html = (
        "<h1>Title</h1><h2>One &amp; more</h2><script>var t='<h2>${x}</h2>';</script>"
        '<h3 id="own">Sub <b>bold</b></h3><h2>Two</h2><style>h2{}</style>'
    )
    out = anchor_headings(html, state)
    assert state.title == "Title"
    assert [(h.anchor, h.text) for h in state.headings] == [
        ("cx-s1", "One & more"),
        ("cx-s2", "Two"),
    ]
    assert [(h.anchor, h.text) for h in state.headings[0].children] == [("own", "Sub bold")]
    assert "<script>var t='<h2>${x}</h2>';</script>" in out
    assert '<h2 id="cx-s1">One &amp; more</h2>' in out
    assert '<h2 id="cx-s2" data-cx-break>Two</h2>' in out


def executed_notebook(*html: str) -> Any:
    """A notebook as papermill returns it: code cells with HTML outputs (no kernel needed)."""
    notebook = nbformat.v4.new_notebook()
    for part in html:
        cell = nbformat.v4.new_code_cell("page.show()")
        cell.outputs = [
            nbformat.v4.new_output("display_data", data={"text/html": part, "text/plain": ""})
        ]
        notebook.cells.append(cell)
    return notebook


PAGE = (
    '<div class="cx"><h1>Ist-Zustand</h1></div>',
    f'<div class="cx"><h2>NPS nach Segment</h2><h3>{XSS.replace("<", "&lt;")}</h3></div>',
    '<div class="cx"><h2>Datenquellen</h2><table class="cx-table"><tr><td>1</td></tr></table>'
    "</div>",
)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Customer-experience report", "Workspace", "Period", "Built", "English"]),
        (
            "de",
            ["Customer-Experience-Bericht", "Arbeitsbereich", "Zeitraum", "Erstellt", "Deutsch"],
        ),
        ("da", ["Kundeoplevelsesrapport", "Arbejdsområde", "Periode", "Oprettet", "Dansk"]),
    ],
)
def test_title_page_and_contents_in_the_report_language(language: str, words: list[str]) -> None:
    page = TitlePage(XSS, "2025-Q4", "region=Hamburg", language, BUILT)
    notebook = executed_notebook(*PAGE)
    text, title = export_html(notebook, title="t", page=page)
    assert title == "Ist-Zustand"
    assert f'<html lang="{language}">' in text
    header = text[text.index('class="cx cx-title-page"') : text.index("</nav>")]
    for word in words:
        assert word in header, (language, word)
    assert "2025-Q4" in header and "region=Hamburg" in header
    assert {"en": "9 Mar 2026 14:05", "de": "09.03.2026 14:05", "da": "9. mar. 2026 14:05"}[
        language
    ] in header
    assert '<h1 class="cx-report-title">Ist-Zustand</h1>' in header
    assert XSS not in text, "the workspace name and headings are escaped"
    assert header.count("&lt;img src=x") == 3  # the name twice on the title page, the h3 in the TOC
    links = re.findall(r'<a href="#(cx-s\d+)">([^<]*)</a>', header)
    assert [name for _, name in links] == [
        "NPS nach Segment",
        "&lt;img src=x onerror=alert(1)&gt;",
        "Datenquellen",
    ]
    for anchor, _ in links:
        assert f'id="{anchor}"' in text[text.index("</nav>") :]
    assert notebook.cells[1].outputs[0]["data"]["text/html"] == PAGE[1], "caller's copy untouched"


def test_contents_left_out_of_a_page_without_sections() -> None:
    page = TitlePage("Acme", "", "", "en", BUILT)
    text, _ = export_html(
        executed_notebook('<div class="cx"><h1>Goals</h1></div>'), title="t", page=page
    )
    before_main = text.rsplit("</head>", 1)[1].split("<main")[0]
    assert "cx-title-page" in text and "cx-toc" not in before_main
    assert "All customers" in text and "All data" in text


def test_report_stylesheet_prints_a4_with_sections_on_new_pages() -> None:
    text, _ = export_html(
        executed_notebook(*PAGE), title="t", page=TitlePage("A", "", "", "en", BUILT)
    )
    assert "@page { size: A4;" in text
    assert "[data-cx-break] { break-before: page; }" in text
    assert re.search(r"\.cx-chart[^{]*\{\s*break-inside: avoid", text)
    assert "cdn.jsdelivr" not in text and "require.min.js" not in text and "<script src" not in text


# --- the index of a batch ---------------------------------------------------------------------


def test_index_groups_reports_by_value_links_them_and_escapes_everything(tmp_path: Path) -> None:
    folder = tmp_path / "2025-10" / f"region={XSS}" / "de"
    group = IndexGroup(
        f"region={XSS}",
        TitlePage("Acme", "2025-10", f"region={XSS}", "de", BUILT),
        [
            IndexEntry("00_overview", "Überblick", folder / "00_overview.html", folder / "00.pdf"),
            IndexEntry("02_current_state", "", folder / "02.html", error=f"boom {XSS}"),
        ],
    )
    other = IndexGroup(
        "region=Hamburg",
        TitlePage("Acme", "2025-10", "region=Hamburg", "de", BUILT),
        [IndexEntry("00_overview", "Überblick", tmp_path / "h" / "00_overview.html")],
    )
    run = TitlePage(f"Acme {XSS}", "2025-10", "", "de", BUILT)
    text = index_html(tmp_path, [group, other], run=run, split_by=["region"])
    assert XSS not in text and text.count("&lt;img src=x") >= 4
    assert '<html lang="de">' in text and "<title>Acme &lt;img" in text
    for word in ("Berichte", "Aufgeteilt nach", "Zeitraum", "Erstellt", "09.03.2026 14:05"):
        assert word in text, word
    sections = re.findall(r'<section class="cx-set"><h2>([^<]*)</h2>', text)
    assert sections == ["region=&lt;img src=x onerror=alert(1)&gt;", "region=Hamburg"]
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', text)
    assert links[0] == (
        "2025-10/region%3D%3Cimg%20src%3Dx%20onerror%3Dalert%281%29%3E/de/00_overview.html",
        "Überblick",
    )
    assert links[1][1] == "PDF" and links[1][0].endswith("/de/00.pdf")
    assert links[2] == ("h/00_overview.html", "Überblick")
    assert "Fehlgeschlagen: boom &lt;img" in text and "<b>02_current_state</b>" in text
    assert "<script" not in text and not re.search(r"(src|href)=\"?(https?:|//)", text)


# --- progress -------------------------------------------------------------------------------


def outcome(tmp_path: Path, **values: Any) -> Outcome:
    job = Job(
        "02_current_state",
        {},
        tmp_path,
        tmp_path / "a.html",
        TitlePage("A", "", "", "en", BUILT),
        label="region=Hamburg",
    )
    return Outcome(job, **values)


def test_progress_lines_when_not_a_terminal(tmp_path: Path) -> None:
    stream = io.StringIO()
    progress = BatchProgress(stream)
    progress(outcome(tmp_path, seconds=9.14), 7, 20)
    progress(outcome(tmp_path, error="x", seconds=1), 8, 20)
    progress.close()
    assert stream.getvalue() == (
        "[7/20] 02_current_state region=Hamburg … ok (9.1 s)\n"
        "[8/20] 02_current_state region=Hamburg … failed (1.0 s)\n"
    )


def test_progress_is_one_updating_line_on_a_terminal(tmp_path: Path) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = BatchProgress(stream)
    progress(outcome(tmp_path), 1, 2)
    progress(outcome(tmp_path), 2, 2)
    progress.close()
    assert stream.getvalue().count("\n") == 1 and stream.getvalue().count("\r\x1b[K[") == 2
    assert progress_line(outcome(tmp_path), 1, 2).startswith("[1/2] 02_current_state region=")


def test_workers_never_exceed_the_jobs_or_the_limit() -> None:
    assert worker_count(1) == 1
    assert worker_count(20, 1) == 1
    assert 1 <= worker_count(20) <= 20


@pytest.mark.slow
def test_one_failing_job_does_not_stop_the_others(demo_workspace: Path, tmp_path: Path) -> None:
    page = TitlePage("Nordlys Home", "", "", "en", BUILT)
    parameters = {"workspace": str(demo_workspace), "period": "2025-Q4", "segment": "",
                  "language": "en", "mode": "report"}  # fmt: skip
    jobs = [
        Job("99_missing", parameters, demo_workspace, tmp_path / "a" / "x.html", page, "a"),
        Job("00_overview", parameters, demo_workspace, tmp_path / "b" / "y.html", page, "b"),
    ]
    ended: list[tuple[str, int]] = []
    outcomes = run_jobs(jobs, workers=2, finished=lambda o, done: ended.append((o.job.label, done)))
    assert [o.job.label for o in outcomes] == ["a", "b"]
    assert not outcomes[0].ok and "99_missing" in outcomes[0].error
    assert outcomes[1].ok and outcomes[1].title == "Overview", outcomes[1].error
    assert sorted(done for _, done in ended) == [1, 2]
    text = (tmp_path / "b" / "y.html").read_text(encoding="utf-8")
    assert "cx-title-page" in text and "2025-Q4" in text


# --- PDF ------------------------------------------------------------------------------------


def test_chromium_named_by_the_environment_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CHROMIUM_ENV, "no-such-browser")
    with pytest.raises(PdfError, match="CX_CHROMIUM names 'no-such-browser', which is not an"):
        find_chromium()


def test_missing_chromium_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(CHROMIUM_ENV, raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PdfError, match=re.escape("sudo apt-get install chromium) or set CX_CH")):
        find_chromium()


def poppler(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        pytest.fail(f"{tool} is missing: install poppler-utils (make system-packages does)")
    return found


@pytest.mark.browser
def test_pdf_has_a4_pages_and_the_drawn_chart(tmp_path: Path) -> None:
    import altair as alt
    import pandas as pd

    from cxlib import charts

    data = pd.DataFrame({"month": ["2025-10", "2025-11", "2025-12"], "nps": [21.0, 34.0, 28.0]})
    chart = (
        alt.Chart(data)
        .mark_bar()
        .encode(x=alt.X("month", title="Zebra months"), y=alt.Y("nps", title="Quokka score"))
    )
    page_parts = (
        charts.bundle_html() + '<div class="cx"><h1>Overview</h1></div>',
        '<div class="cx"><h2>NPS by month</h2>' + charts.chart_html(chart) + "</div>",
        '<div class="cx"><h2>What comes next</h2><p>Walrus paragraph.</p></div>',
    )
    text, _ = export_html(
        executed_notebook(*page_parts), title="t", page=TitlePage("Acme", "", "", "en", BUILT)
    )
    html = tmp_path / "report.html"
    html.write_text(text, encoding="utf-8")
    pdf = print_pdf(html, tmp_path / "out" / "report.pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    info = subprocess.run(
        [poppler("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True
    )
    pages = int(re.search(r"Pages:\s+(\d+)", info.stdout).group(1))  # type: ignore[union-attr]
    assert pages == 3, info.stdout  # title page with contents; each section on a new page
    assert "(A4)" in info.stdout
    words = subprocess.run(
        [poppler("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages_text = words.split("\f")
    assert "CUSTOMER-EXPERIENCE REPORT" in pages_text[0] and "Contents" in pages_text[0]
    # the axis titles exist only in the SVG that Vega draws: the chart drew before printing
    assert "Zebra months" in pages_text[1] and "Quokka score" in pages_text[1]
    assert "2025-11" in pages_text[1]
    assert "Walrus paragraph." in pages_text[2]
    subprocess.run(
        [
            poppler("pdftoppm"),
            "-f",
            "2",
            "-l",
            "2",
            "-r",
            "30",
            "-gray",
            str(pdf),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    image = next(tmp_path.glob("p*.pgm")).read_bytes()
    header = re.match(rb"P5\s+\d+\s+\d+\s+255\s", image)
    assert header is not None
    pixels = image[header.end() :]
    assert sum(1 for b in pixels if b < 128) > 200, "the chart's bars are on the page"


def test_report_dataclass_keeps_its_two_positional_fields(tmp_path: Path) -> None:
    report = Report("00_overview", tmp_path / "a.html")
    assert report.pdf is None and report.label == "" and report.title == ""
