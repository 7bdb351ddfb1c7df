"""No word a person reads is written into a notebook or a template: they all come from the
catalogues (cxlib/locale), so every page reads in English, German or Danish."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from cxlib.i18n import catalogue

ROOT = Path(__file__).resolve().parents[1]
WORD = re.compile(r"[A-Za-zÄÖÜäöüßÆØÅæøå]{2,}")
#: Attributes a reader sees or hears (screen readers); ``content`` of <meta> is for machines.
SHOWN_ATTRIBUTES = re.compile(r'\b(?:title|alt|aria-label|placeholder|value)="([^"]*)"')


def _template_text(source: str) -> tuple[str, list[str]]:
    """The literal text of a Jinja/HTML template and its shown attribute values."""
    for pattern in (r"\{#.*?#\}", r"\{%.*?%\}", r"\{\{.*?\}\}", r"<!--.*?-->"):
        source = re.sub(f"(?s){pattern}", " ", source)
    source = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", source)
    attributes = SHOWN_ATTRIBUTES.findall(source)
    return re.sub(r"(?s)<[^>]*>", " ", source), attributes


TEMPLATES = sorted(
    path.relative_to(ROOT)
    for path in (ROOT / "templates").rglob("*")
    if path.suffix in {".j2", ".html"}
)
NOTEBOOKS = sorted(path.relative_to(ROOT) for path in (ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("template", TEMPLATES, ids=str)
def test_templates_hold_no_words_of_their_own(template: Path) -> None:
    text, attributes = _template_text((ROOT / template).read_text(encoding="utf-8"))
    assert WORD.findall(text) == []
    assert [a for a in attributes if WORD.search(a)] == []


def test_the_scan_finds_words_where_there_are_some() -> None:
    text, attributes = _template_text(
        '{# a comment #}<p>{{ cx.title | e }} Report</p><img alt="Logo" src="x">'
    )
    assert WORD.findall(text) == ["Report"] and attributes == ["Logo"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=str)
def test_notebooks_show_only_catalogue_text(notebook: Path) -> None:
    cells = json.loads((ROOT / notebook).read_text(encoding="utf-8"))["cells"]
    assert [c for c in cells if c["cell_type"] == "markdown"] == [], "prose belongs in catalogues"
    messages = catalogue("en")
    for cell in cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            continue  # names and comments for the analyst who runs the notebook
        tree = ast.parse("".join(cell["source"]))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert node.value in messages, (notebook.name, node.value)
