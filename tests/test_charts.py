"""Chart builders and offline rendering."""

from __future__ import annotations

import json
import re

import altair as alt
import pandas as pd
import pytest

from cxlib import charts
from cxlib.charts import CHECK_ENV, chart_spec
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


def test_specs_are_checked_against_the_schema_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    chart = alt.Chart(pd.DataFrame({"a": [1]})).mark_point().encode(x="a:Q")
    chart.mark = alt.MarkDef(type="point")
    chart.mark.size = "big"  # not a number: invalid Vega-Lite
    monkeypatch.setenv(CHECK_ENV, "1")
    with pytest.raises(alt.utils.schemapi.SchemaValidationError, match="size"):
        chart_spec(chart)
    monkeypatch.delenv(CHECK_ENV)
    assert '"size":"big"' in chart_spec(chart)  # pages skip the check


def _altair_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    from altair.utils.core import sanitize_pandas_dataframe

    return sanitize_pandas_dataframe(frame).to_dict(orient="records")


def test_records_are_altairs_own_for_every_kind_of_column() -> None:
    import numpy as np

    stamps = pd.to_datetime(["2026-01-31 10:00", None, "2026-03-01 00:00"]).tz_localize("UTC")
    frame = pd.DataFrame(
        {
            "float": [1.5, np.nan, np.inf],
            "int": np.array([1, 2, 3], dtype="int64"),
            "nullable": pd.array([1, None, 3], dtype="Int64"),
            "flag": [True, False, True],
            "maybe": pd.array([True, None, False], dtype="boolean"),
            "text": pd.array(["a", None, "<b>"], dtype="str"),
            "category": pd.Categorical(["x", None, "y"]),
            "when": stamps,
            "naive": stamps.tz_localize(None),
            "decimal": pd.Categorical([1, 2, None]),
            "single": np.array([1.5, 2.5, -np.inf], dtype="float32"),
        },
        index=[5, 7, 9],
    )
    assert charts.records(frame) == _altair_records(frame)
    assert charts.records(frame.iloc[:0]) == _altair_records(frame.iloc[:0]) == []


def test_frames_altair_treats_specially_are_left_to_altair() -> None:
    import numpy as np

    assert charts.records(pd.DataFrame({"wait": pd.to_timedelta([1], unit="h")})) is None
    assert charts.records(pd.DataFrame({0: [1]})) is None
    assert charts.records(pd.DataFrame([[1, 2]], columns=["a", "a"])) is None
    objects = pd.DataFrame({"o": pd.Series([np.int64(3), [None], pd.NaT], dtype=object)})
    assert charts.records(objects) is None  # Python objects: Altair's own conversion


def test_the_fast_records_are_what_charts_use(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = charts.records
    monkeypatch.setattr(charts, "records", lambda frame: calls.append(frame) or real(frame))
    chart = alt.Chart(pd.DataFrame({"a": [1, 2], "b": ["x", None]})).mark_bar()
    assert ':[{"a":1,"b":"x"},{"a":2,"b":null}]' in chart_spec(chart)  # its dataset
    assert len(calls) == 1
    too_many = alt.Chart(pd.DataFrame({"a": range(5001)})).mark_bar()
    with pytest.raises(alt.MaxRowsError):
        chart_spec(too_many)
    with pytest.raises(ValueError, match="timedelta"):
        chart_spec(alt.Chart(pd.DataFrame({"wait": pd.to_timedelta([1], unit="h")})).mark_bar())


def test_page_charts_are_the_same_with_altairs_own_data_transformer() -> None:
    from cxlib.workshop_charts import kpi_tracking_chart

    series = pd.DataFrame(
        {
            "start": pd.to_datetime(["2026-01-01", "2026-02-01"]).date,
            "end": pd.to_datetime(["2026-02-01", "2026-03-01"]).date,
            "period": ["2026-01", "2026-02"],
            "value": [10.0, float("nan")],
            "ci_low": [5.0, float("nan")],
            "ci_high": [15.0, float("nan")],
            "n": [40, 0],
            "complete": [True, False],
            "flags": ["", "small_n"],
        }
    )
    import datetime as dt

    tr = Translator("de")
    built = [
        kpi_tracking_chart(
            series,
            kpi_label="NPS",
            unit="nps",
            target=20.0,
            deadline=dt.date(2026, 12, 31),
            projection=(18.0, 9.0, 27.0),
            markers=[],
            tr=tr,
        ),
        charts.nps_trend_chart(
            pd.DataFrame({"period": ["2026-01", "2026-02"], "value": [1.0, 2.5], "n": [40, 50],
                          "ci_low": [-5.0, -4.0], "ci_high": [7.0, 9.0], "flags": ["", ""]}),
            tr,
        ),
    ]  # fmt: skip
    ours = [chart_spec(chart) for chart in built]
    with alt.data_transformers.enable("default"):
        theirs = [chart_spec(chart) for chart in built]
    assert ours == theirs
