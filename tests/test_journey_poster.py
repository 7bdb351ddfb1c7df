"""The journey map as an A3 poster: the page size, the content, the language, the escaping."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cxlib.cli import main
from cxlib.errors import CxError, ParameterError
from cxlib.journey_poster import build_poster, export_poster
from cxlib.page import Page
from cxlib.params import validate_parameters
from cxlib.store import Store
from cxlib.workbook import check_structure

XSS = "<img src=x onerror=alert(1)>"
pdf_tools = pytest.mark.skipif(
    shutil.which("pdfinfo") is None and not os.environ.get("CI"),
    reason="poppler-utils (pdfinfo, pdftotext) not installed; `make test` installs them",
)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout


@pdf_tools
def test_the_pdf_is_one_a3_landscape_page_with_the_map_and_the_evidence(
    workspace_copy: Path, tmp_path: Path
) -> None:
    path = export_poster(workspace_copy, out=tmp_path / "poster.pdf")
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
    assert "Pages:           1" in info
    assert "1190.55 x 841.89 pts (A3)" in info
    text = pdf_text(path)
    for expected in (
        "Furnishing a living room",  # the journey
        "Before the purchase",  # its phases, stages, touchpoints, owners
        "Choose in the",
        "Delivery at home",
        "Customer Service",
        "Believed emotion",  # belief beside evidence
        "Measured over: All data.",
        "Nordlys Home",
    ):
        assert expected in text, expected


@pdf_tools
def test_the_poster_speaks_the_language_asked_for(workspace_copy: Path, tmp_path: Path) -> None:
    german = pdf_text(export_poster(workspace_copy, language="de", out=tmp_path / "de.pdf"))
    assert "Vor dem Kauf" in german and "Gedruckt am" in german
    danish = pdf_text(export_poster(workspace_copy, language="da", out=tmp_path / "da.pdf"))
    assert "Før købet" in danish and "Udskrevet" in danish


def test_the_svg_prints_at_a3_and_default_path_is_the_report_folder(workspace_copy: Path) -> None:
    path = export_poster(workspace_copy, fmt="svg", period="2026-Q3", segment="region=Hamburg")
    assert path == workspace_copy / "reports/2026-Q3/region=Hamburg/en/poster-furniture.svg"
    root = ET.fromstring(path.read_text(encoding="utf-8"))
    assert (root.get("width"), root.get("height")) == ("420mm", "297mm")
    assert root.get("viewBox") == "0 0 1190.55 841.89"
    charts = root.find("{http://www.w3.org/2000/svg}svg")
    assert charts is not None and float(charts.get("width", 0)) <= 1190.55


def test_workshop_text_stays_text_on_the_poster(workspace_copy: Path, tmp_path: Path) -> None:
    with Store.for_workspace(workspace_copy, validate=check_structure) as store:
        journey = store.add("journey", {"name": XSS, "persona": XSS, "scenario": XSS}, who="x")
        stage = store.add(
            "stage", {"journey_id": journey.id, "name": XSS, "phase": "during"}, who="x"
        )
        store.add(
            "touchpoint",
            {"stage_id": stage.id, "name": XSS, "channel": "web", "owner": XSS},
            who="x",
        )
    path = export_poster(workspace_copy, journey=journey.id, fmt="svg", out=tmp_path / "x.svg")
    text = path.read_text(encoding="utf-8")
    root = ET.fromstring(text)  # well-formed: nothing broke out of its text node
    assert not [e for e in root.iter() if e.tag.endswith(("img", "script", "foreignObject"))]
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


def test_choosing_the_journey(workspace_copy: Path) -> None:
    with Store.for_workspace(workspace_copy, validate=check_structure) as store:
        store.add("journey", {"name": "Second"}, who="x")
    page = Page(validate_parameters(workspace=str(workspace_copy), mode="report"))
    with pytest.raises(ParameterError, match="2 journeys; choose one with --journey"):
        build_poster(page)
    with pytest.raises(ParameterError, match=r"journey 'furnture' does not exist\. Did you mean"):
        build_poster(page, "furnture")
    with pytest.raises(CxError, match="has no touchpoints yet"):
        build_poster(page, _journey_id(workspace_copy, "Second"))


def _journey_id(workspace: Path, name: str) -> str:
    with Store.for_workspace(workspace, validate=check_structure) as store:
        return next(e.id for e in store.list("journey") if e.data["name"] == name)


def test_cli_writes_the_poster_and_names_problems_in_one_line(
    workspace_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "wall.svg"
    assert main(["poster", str(workspace_copy), "--format", "svg", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<?xml")
    assert capsys.readouterr().out.strip() == str(out.resolve())
    assert main(["poster", str(workspace_copy), "--period", "2019"]) == 1
    assert "period '2019' has no responses" in capsys.readouterr().err
    assert main(["poster", str(workspace_copy), "--journey", "x"]) == 1
    assert "journey 'x' does not exist" in capsys.readouterr().err


def test_the_app_offers_the_poster_as_a_download(workspace_copy: Path) -> None:
    from cxlib.widgets import poster_download

    page = Page(validate_parameters(workspace=str(workspace_copy), mode="interactive"))
    box = poster_download(page, "furniture", "Furnishing a living room")
    button, link = box.children
    assert link.value == ""  # made on request only
    button.click()
    assert 'download="poster-furniture.pdf"' in link.value
    data = link.value.split("base64,", 1)[1].split('"', 1)[0]
    assert base64.b64decode(data).startswith(b"%PDF")
    assert not button.disabled


@pdf_tools
def test_characters_xml_cannot_hold_are_left_out(workspace_copy: Path, tmp_path: Path) -> None:
    config = workspace_copy / "workspace.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("name: Nordlys Home", 'name: "Nordlys\\vHome\\x01"'), "utf-8")
    path = export_poster(workspace_copy, out=tmp_path / "odd.pdf")
    assert "NordlysHome" in pdf_text(path)


def test_a_drawing_failure_is_one_clear_line(
    workspace_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vl_convert

    def broken(spec: object) -> str:
        raise RuntimeError("a non-XML character")

    monkeypatch.setattr(vl_convert, "vegalite_to_svg", broken)
    page = Page(validate_parameters(workspace=str(workspace_copy), mode="report"))
    with pytest.raises(CxError, match="the poster could not be drawn: RuntimeError: a non-XML"):
        build_poster(page)
