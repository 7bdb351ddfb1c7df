"""Charts of the workshop steps: specs (through ``to_dict``), escaping, and drawing in Chromium."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import CHARTS_DRAWN_JS, PageWatch

from cxlib import charts, views
from cxlib.i18n import Translator
from cxlib.workshop_charts import Marker, emotion_chart, journey_map_chart, kpi_tracking_chart

XSS = "<img src=x onerror=alert(1)>"
TR = Translator("en")


def measured_rows(name: str = "Checkout") -> pd.DataFrame:
    """Four touchpoints as :func:`cxlib.workshop_evidence.measure_touchpoints` returns them."""
    return pd.DataFrame(
        {
            "order": [0, 1, 2, 3],
            "phase": ["before", "before", "during", "after"],
            "stage_id": ["s1", "s1", "s2", "s3"],
            "stage": ["Discover", "Discover", XSS, "Help"],
            "touchpoint_id": ["a", "b", "c", "d"],
            "touchpoint": ["Website", "Store", name, "Service"],
            "channel": ["web", "store", "web", "service"],
            "owner": ["Product", "Stores", XSS, "Customer Service"],
            "emotion": [1, 2, 0, -1],
            "pain_points": [(), ("No staff",), (XSS, "Slow"), ("Long wait",)],
            "moment_of_truth": [False, True, False, True],
            "evidence": ["assumption"] * 4,
            "measure": ["rating_website", "rating_store", "", "rating_service"],
            "n": [400.0, 12.0, np.nan, 800.0],
            "value": [3.7, 4.5, np.nan, 3.6],
            "ci_low": [3.6, 4.1, np.nan, 3.55],
            "ci_high": [3.8, 4.9, np.nan, 3.65],
            "unit": ["score", "score", "", "score"],
            "mapped": [0.7, 1.5, np.nan, 0.6],
            "mapped_low": [0.6, 1.1, np.nan, 0.55],
            "mapped_high": [0.8, 1.9, np.nan, 0.65],
            "gap": [0.3, np.nan, np.nan, -1.6],
            "state": ["measured", "small_n", "unmeasured", "measured"],
        }
    )


def layer_data(spec: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The inline rows of every dataset of a chart spec."""
    return list(spec.get("datasets", {}).values())


def test_journey_map_has_one_column_per_touchpoint_and_header_spans() -> None:
    spec = journey_map_chart(measured_rows(), TR).to_dict()
    datasets = layer_data(spec)
    touchpoints = [d for d in datasets if d and "touchpoint" in d[0]]
    assert touchpoints and all(len(d) == 4 for d in touchpoints), "aggregated: one row each"
    spans = next(d for d in datasets if d and "x0" in d[0])
    phases = [s for s in spans if s["lane"] == "Phase"]
    assert [(s["x0"], s["x1"]) for s in phases] == [(-0.5, 1.5), (1.5, 2.5), (2.5, 3.5)]
    assert [s["label"].replace("\n", " ") for s in phases] == [
        TR("workshop.phase.before"),
        TR("workshop.phase.during"),
        TR("workshop.phase.after"),
    ]
    stages = [s["label"].replace("\n", " ") for s in spans if s["lane"] == "Stage"]
    assert stages[0] == "Discover" and stages[2] == "Help"
    assert stages[1].startswith("<img src=x"), "stage names travel as data (wrapped, cut)"
    first = touchpoints[0]
    assert [row["shape"] for row in first] == ["circle", "diamond", "circle", "diamond"]
    assert [row["pain"] for row in first] == ["–", "⚠ 1", "⚠ 2", "⚠ 1"]
    assert first[2]["pain_text"] == f"{XSS}; Slow"
    assert spec["width"] == 4 * 118


def test_emotion_chart_sets_belief_beside_the_mapped_measurement() -> None:
    spec = emotion_chart(measured_rows(), TR).to_dict()
    datasets = layer_data(spec)
    long = next(d for d in datasets if d and "series" in d[0])
    believed = [r["value"] for r in long if r["series"] == TR("steps.believed")]
    measured = {r["label"]: r for r in long if r["series"] == TR("steps.measured")}
    assert believed == [1.0, 2.0, 0.0, -1.0]
    assert len(measured) == 3, "the unmeasured touchpoint has no measured point"
    service = measured["4. Service"]
    assert (service["value"], service["low"], service["high"], service["n"]) == (
        0.6,
        0.55,
        0.65,
        800.0,
    )
    assert measured["2. Store"]["small"] is True, "too few answers: drawn hollow"
    missing = next(d for d in datasets if d and "state" in d[0] and "series" not in d[0])
    assert [r["state"] for r in missing] == [TR("steps.state.unmeasured")]


def series_frame(months: int = 6, *, complete: int = 5) -> pd.DataFrame:
    starts = [dt.date(2026, m, 1) for m in range(1, months + 1)]
    ends = [dt.date(2026, m + 1, 1) for m in range(1, months + 1)]
    return pd.DataFrame(
        {
            "period": [f"2026-{m:02d}" for m in range(1, months + 1)],
            "start": starts,
            "end": ends,
            "n": [100, 120, 20, 90, 110, 15][:months],
            "value": [30.0, 31.5, 29.0, 32.25, 33.0, 34.0][:months],
            "ci_low": [25.0, 26.0, 15.0, 27.0, 28.0, 10.0][:months],
            "ci_high": [35.0, 37.0, 43.0, 37.5, 38.0, 58.0][:months],
            "flags": ["", "", "small_n", "", "", "small_n"][:months],
            "complete": [i < complete for i in range(months)],
        }
    )


def test_kpi_tracking_chart_has_target_deadline_projection_and_actions() -> None:
    markers = [
        Marker(dt.date(2026, 3, 15), XSS, "Customer Service", "done", True),
        Marker(dt.date(2026, 9, 30), "Callback", "Customer Service", "planned", False),
    ]
    chart = kpi_tracking_chart(
        series_frame(),
        kpi_label="NPS",
        unit="nps",
        target=40.0,
        deadline=dt.date(2027, 6, 30),
        projection=(38.0, 31.0, 45.0),
        markers=markers,
        tr=TR,
    )
    spec = chart.to_dict()
    datasets = layer_data(spec)
    points = next(d for d in datasets if d and "period" in d[0])
    assert len(points) == 6, "one row per period"
    assert [p["hollow"] for p in points] == [False, False, True, False, False, True]
    assert points[0]["date"] == "2026-01-16"  # mid-month
    goal = next(d for d in datasets if d and "label" in d[0] and "value" in d[0])
    assert goal == [{"value": 40.0, "date": "2027-06-30", "label": "Target"}]
    ahead = next(d for d in datasets if len(d) == 2 and "high" in d[0])
    assert ahead[0]["date"] == "2026-05-16" and ahead[1] == {
        "date": "2027-06-30",
        "value": 38.0,
        "low": 31.0,
        "high": 45.0,
    }
    actions = next(d for d in datasets if d and "kind" in d[0])
    assert [(a["date"], a["kind"]) for a in actions] == [
        ("2026-03-15", "done"),
        ("2026-09-30", "open (at its due date)"),
    ]
    assert actions[0]["title"] == XSS
    html = charts.chart_html(chart)
    assert "<img" not in html and "\\u003cimg" in html


def test_kpi_tracking_chart_without_projection_or_actions() -> None:
    spec = kpi_tracking_chart(
        series_frame(3, complete=0),
        kpi_label="Hours",
        unit="hours",
        target=4.0,
        deadline=dt.date(2027, 1, 31),
        projection=None,
        markers=[],
        tr=TR,
    ).to_dict()
    assert not any(d and "kind" in d[0] for d in layer_data(spec))
    assert len(spec["layer"]) == 6  # band, line, points, target, deadline, target label


@pytest.mark.browser
def test_workshop_charts_draw_offline_and_tooltips_show_markup_as_text(
    tmp_path: Path, offline_page: tuple[Any, PageWatch]
) -> None:
    page, watch = offline_page
    built = [
        journey_map_chart(measured_rows(XSS), TR),
        emotion_chart(measured_rows(XSS), TR),
        kpi_tracking_chart(
            series_frame(),
            kpi_label="NPS",
            unit="nps",
            target=40.0,
            deadline=dt.date(2027, 6, 30),
            projection=(38.0, 31.0, 45.0),
            markers=[Marker(dt.date(2026, 3, 15), XSS, XSS, "done", True)],
            tr=TR,
        ),
    ]
    body = "".join(charts.chart_html(c) for c in built)
    html = tmp_path / "charts.html"
    html.write_text(
        "<html><head><meta charset='utf-8'>" + views.style_html() + charts.bundle_html()
        + "</head><body>" + views.block(body) + "</body></html>",
        encoding="utf-8",
    )  # fmt: skip
    page.goto(html.as_uri())
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.cx-chart')).every("
        "e => e.querySelector('svg') || e.textContent.length > 0)",
        timeout=20_000,
    )
    assert page.evaluate(CHARTS_DRAWN_JS) == [True, True, True]
    texts = page.eval_on_selector_all(".cx-chart svg text", "els => els.map(e => e.textContent)")
    assert any("<img src=x" in t for t in texts), "workshop text drawn as SVG text"
    # hover the third touchpoint (named with markup) on the map: its tooltip shows the text
    symbols = page.locator(".cx-chart").first.locator("g.mark-symbol.role-mark path")
    assert symbols.count() == 4
    symbols.nth(2).hover()
    tooltip = page.locator("#vg-tooltip-element.visible")
    tooltip.wait_for(timeout=5_000)
    assert XSS in tooltip.inner_text(), "the tooltip shows the markup as text"
    assert tooltip.locator("img").count() == 0
    assert page.locator("img").count() == 0
    assert watch.errors == [] and watch.dialogs == [] and watch.outside_requests == []
