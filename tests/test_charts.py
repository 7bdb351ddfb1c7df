"""Chart builders and offline rendering."""

from __future__ import annotations

import json
import re

import pandas as pd

from cxlib import charts
from cxlib.i18n import Translator
from cxlib.metrics import nps

SCRIPT_BREAKER = "</script><script>alert(1)</script>"


def monthly() -> pd.DataFrame:
    stamps = pd.date_range("2025-01-01", periods=120, freq="3D", tz="UTC")
    data = pd.DataFrame(
        {"nps": pd.array([i % 11 for i in range(120)], dtype="Int64"), "submitted_at": stamps}
    )
    return nps(data, grain="month")


def test_trend_chart_holds_only_the_aggregated_rows() -> None:
    results = monthly()
    spec = charts.nps_trend_chart(results, Translator("en")).to_dict()
    datasets = list(spec["datasets"].values())
    assert len(datasets) == 1 and len(datasets[0]) == len(results) <= 13
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["area", "line", "point"]
    assert spec["title"] == "NPS by month, with 95% interval (hollow points: too few answers)"
    # months are calendar months of the workspace, not of the reader's browser
    assert {layer["encoding"]["x"]["timeUnit"] for layer in spec["layer"]} == {"utcyearmonth"}


def test_chart_text_from_data_cannot_close_the_script() -> None:
    results = pd.DataFrame(
        {
            "region": [SCRIPT_BREAKER, "B"],
            "n": [40, 50],
            "value": [10.0, 20.0],
            "ci_low": [0.0, 5.0],
            "ci_high": [20.0, 30.0],
        }
    )
    html = charts.chart_html(charts.nps_by_chart(results, "region", Translator("en")))
    script = html.split("<script>", 1)[1]
    assert "</script>" not in script[: -len("</script>")]
    assert "<" not in re.sub(r"</script>$", "", script)
    spec = json.loads(re.search(r"spec=(\{.*\}),tries", html).group(1))  # type: ignore[union-attr]
    assert SCRIPT_BREAKER in json.dumps(spec["datasets"], ensure_ascii=False)


def test_each_chart_gets_its_own_container() -> None:
    chart = charts.nps_trend_chart(monthly(), Translator("en"))
    first, second = charts.chart_html(chart), charts.chart_html(chart)
    ids = [re.search(r'id="(cx-chart-\w+)"', h).group(1) for h in (first, second)]  # type: ignore[union-attr]
    assert ids[0] != ids[1]


def test_bundle_is_self_contained() -> None:
    bundle = charts.bundle_html()
    assert bundle.startswith("<script>") and bundle.endswith("</script>")
    assert "window.vegaEmbed" in bundle
    assert bundle.count("</script") == 1
    assert not re.search(r"""<script[^>]+src=|import\s*\(\s*["']https?:""", bundle)


def test_static_svg_for_print() -> None:
    svg = charts.chart_svg(charts.nps_trend_chart(monthly(), Translator("de")))
    assert svg.lstrip().startswith("<svg") and "NPS pro Monat" in svg


def test_charts_read_the_page_language_in_numbers_months_and_messages() -> None:
    german = charts.nps_trend_chart(monthly(), Translator("de"))
    svg = charts.chart_svg(german)
    labels = re.findall(r">([^<>]+)</text>", svg)
    assert "Mär 2025" in labels and "Mar 2025" not in labels
    spec = german.to_dict()
    assert spec["config"]["locale"]["number"]["decimal"] == ","
    assert spec["usermeta"]["cx"]["failed"] == Translator("de")("chart.failed")
    danish = charts.vega_locale("da")
    assert danish["time"]["months"][4] == "maj" and danish["time"]["days"][0] == "søndag"
    assert charts.vega_locale("en")["number"]["decimal"] == "."
    html = charts.chart_html(german)
    assert "Chart failed" not in html and "Chart library missing" not in html
