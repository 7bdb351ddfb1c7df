"""The overview's filters: offered options, the language switch and refused browser values."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cxlib import sections, widgets
from cxlib.page import Page
from cxlib.params import Segment, validate_parameters
from cxlib.periods import Period, parse_period


@pytest.fixture(scope="module")
def page(demo_workspace: Path) -> Page:
    params = validate_parameters(workspace=str(demo_workspace), mode="interactive")
    shown = Page(params)
    shown.title = "page.overview.title"
    return shown


def test_options_from_the_cube_equal_those_from_the_rows(page: Page) -> None:
    cube = sections.overview_cube(page)
    assert widgets.period_options(page, cube=cube) == widgets.period_options(page)
    assert widgets.segment_options(page, cube=cube) == widgets.segment_options(page)
    periods = [value for _, value in widgets.period_options(page)]
    assert periods[:4] == ["", "2026", "2025", "2024"] and "2025-Q4" in periods
    assert ("Region: Hamburg", "region=Hamburg") in widgets.segment_options(page)


def test_languages_are_named_in_their_own_language() -> None:
    assert widgets.language_options() == [("English", "en"), ("Deutsch", "de"), ("Dansk", "da")]


def _filters(page: Page) -> tuple[Any, list[tuple[Period, Segment | None, str]]]:
    calls: list[tuple[Period, Segment | None, str]] = []

    def render(shown: Page, period: Period, segment: Segment | None) -> str:
        calls.append((period, segment, shown.params.language))
        return "<p>drawn</p>"

    box = widgets.overview_filters(
        page, render, cube=sections.overview_cube(page), header=lambda p: p.tr(p.title)
    )
    return box, calls


def _parts(box: Any) -> tuple[Any, Any, Any, Any, Any]:
    top, row, messages, _output = box.children
    language, period, segment = row.children
    return top, language, period, segment, messages


def test_a_filter_change_redraws_once_with_the_choice(page: Page) -> None:
    box, calls = _filters(page)
    _top, _language, period, segment, _messages = _parts(box)
    assert len(calls) == 1 and calls[0][0].is_all and calls[0][1] is None
    period.set_state({"index": [v for _, v in period.options].index("2025-Q4")})
    segment.value = "region=Hamburg"
    assert len(calls) == 3
    chosen_period, chosen_segment, language = calls[-1]
    assert chosen_period.label == "2025-Q4" and chosen_segment == Segment("region", "Hamburg")
    assert language == "en"


def test_the_language_switch_relabels_and_keeps_the_choices(page: Page) -> None:
    box, calls = _filters(page)
    top, language, period, segment, _messages = _parts(box)
    period.value = "2025"
    segment.value = "channel=Store"
    language.set_state({"index": 1})  # Deutsch
    assert calls[-1][2] == "de" and len(calls) == 4, "one redraw for the language"
    assert period.value == "2025" and segment.value == "channel=Store"
    assert period.description == "Zeitraum" and language.description == "Sprache"
    assert period.options[0] == ("Alle Daten", "")
    assert ("Kanal: Store", "channel=Store") in segment.options
    assert top.value == "Überblick"
    assert page.params.language == "en", "the page itself is not changed"


@pytest.mark.parametrize(
    "state",
    [
        {"index": 999},
        {"index": -1},
        {"index": "1"},
        {"index": None},
        {"index": True},
        {"value": "1999-Q9"},
        {"value": "region=<script>alert(1)</script>"},
        {"_options_labels": ["<script>alert(1)</script>"]},
        {"index": 1, "value": "2025"},
    ],
)
def test_values_the_page_does_not_offer_are_refused(page: Page, state: dict[str, Any]) -> None:
    box, calls = _filters(page)
    _top, _language, period, segment, messages = _parts(box)
    before = (period.value, period.index, period.options, segment.value)
    period.set_state(state)
    assert (period.value, period.index, period.options, segment.value) == before
    assert len(calls) == 1, "nothing was redrawn"
    assert "refused" in messages.value and "Period" in messages.value
    assert "<script>" not in messages.value, "the refused value is shown as text"
    segment.set_state({"index": 2})
    assert len(calls) == 2 and messages.value == "", "a valid change clears the refusal"


def test_the_overview_cube_renders_the_same_page_as_the_rows(page: Page) -> None:
    cube = sections.overview_cube(page)
    chart_ids = re.compile(r"cx-chart-[0-9a-f]{32}")
    for period, segment in (("2025-Q4", Segment("region", "Hamburg")), ("", None)):
        parsed = parse_period(period)
        from_rows = sections.overview_html(page, parsed, segment)
        from_cube = sections.overview_html(page, parsed, segment, cube=cube)
        assert "n = " in from_cube
        assert chart_ids.sub("", from_cube) == chart_ids.sub("", from_rows)
