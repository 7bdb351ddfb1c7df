"""The demo report set in German and Danish: every word a reader sees is in that language."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from cxlib.i18n import catalogue, same_as_english
from cxlib.report import build_reports
from cxlib.resources import notebook_names, templates_dir


def _visible_text(page: str) -> str:
    """The page's text as a reader sees it: no scripts, styles, tags or chart specs."""
    page = re.sub(r"(?is)<(script|style)\b.*?</\1>", " ", page)
    return html.unescape(re.sub(r"(?s)<[^>]+>", " ", page))


def _english_only_phrases(language: str) -> list[str]:
    """English catalogue texts that the language translates differently (whole sentences or
    labels of several words, fields removed), which must therefore not appear on its pages.

    Names the language uses too ("Net Promoter Score" inside a German text) and what the demo
    workshop typed (its touchpoints are named in English) are not words of the workbook's own.
    """
    english, own, marked = catalogue("en"), catalogue(language), same_as_english(language)
    theirs = " ".join(own.values())
    typed = " ".join(
        path.read_text(encoding="utf-8")
        for path in (templates_dir() / "demo" / "workbook").glob("*.yaml")
    )
    phrases = []
    for msgid, text in english.items():
        if own.get(msgid) == text or msgid in marked:
            continue
        for part in re.split(r"\{\w+\}", text):
            part = part.strip(" .,:;()–-")
            if len(part) >= 14 and " " in part and part not in theirs and part not in typed:
                phrases.append(part)
    return sorted(set(phrases))


@pytest.mark.slow
@pytest.mark.parametrize("language", ["de", "da"])
def test_the_demo_report_set_builds_in_each_language(
    demo_workspace: Path, tmp_path: Path, language: str
) -> None:
    reports = build_reports(demo_workspace, language=language, out=tmp_path)
    assert [r.notebook for r in reports] == notebook_names()
    phrases = _english_only_phrases(language)
    assert len(phrases) > 100
    for report in reports:
        page = report.html.read_text(encoding="utf-8")
        assert f'<html lang="{language}"' in page, report.notebook
        text = _visible_text(page)
        leaked = [phrase for phrase in phrases if phrase in text]
        assert not leaked, (report.notebook, leaked[:10])
