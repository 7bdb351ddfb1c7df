"""The current-state page's changes, service, loyalty and summary parts: statistics against
independent computations, the demo's story, notices for missing data, escaping."""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ruamel.yaml import YAML
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportions_ztest

from cxlib import current_common, current_state, loyalty, service
from cxlib.current_common import Unavailable, changes_result, marked_table
from cxlib.current_stats import (
    latest_complete_quarter,
    lifetime_value_range,
    previous_period,
    quantile_interval,
    rfm_segments,
    survey_changes,
    time_intervals,
)
from cxlib.drivers import key_drivers
from cxlib.metrics import Metric
from cxlib.page import Page
from cxlib.params import validate_parameters
from cxlib.periods import Period, parse_period

XSS = "<img src=x onerror=alert(1)>"
SECTIONS = ("summary_section", "changes_section", "service_section", "loyalty_section")


def page_for(workspace: Path, **params: str) -> tuple[Page, list[str]]:
    """A report-mode page whose shown HTML parts are collected instead of displayed."""
    page = Page(validate_parameters(workspace=str(workspace), mode="report", **params))
    shown: list[str] = []
    page.show = lambda *parts: shown.append("".join(parts))  # type: ignore[method-assign]
    return page, shown


def text_of(html: str) -> str:
    """Visible text: scripts (chart specs) and tags removed."""
    html = re.sub(r"(?is)<script\b.*?</script>", " ", html)
    return re.sub(r"<[^>]+>", " ", html)


# -- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "before"),
    [("2025-Q4", "2025-Q3"), ("2025-Q1", "2024-Q4"), ("2025-01", "2024-12"), ("2025", "2024")],
)
def test_previous_period(label: str, before: str) -> None:
    assert previous_period(parse_period(label)) == parse_period(before)


def test_year_to_date_compares_with_the_same_days_a_year_earlier() -> None:
    ytd = parse_period("year-to-date", today=dt.date(2026, 3, 10))
    earlier = previous_period(ytd)
    assert (earlier.start, earlier.end) == (dt.date(2025, 1, 1), dt.date(2025, 3, 11))
    with pytest.raises(ValueError, match="all data has no previous period"):
        previous_period(Period(""))


@pytest.mark.parametrize(
    ("newest", "quarter"),
    [
        (dt.date(2026, 10, 31), "2026-Q3"),
        (dt.date(2026, 9, 30), "2026-Q3"),  # the data reach the quarter's last day
        (dt.date(2026, 9, 29), "2026-Q2"),
        (dt.date(2026, 1, 5), "2025-Q4"),
    ],
)
def test_latest_complete_quarter(newest: dt.date, quarter: str) -> None:
    assert latest_complete_quarter(newest) == parse_period(quarter)


# -- changes ---------------------------------------------------------------------------------


def _answers(rng: np.random.Generator, n: int, shift: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "nps": np.clip(rng.integers(0, 11, n) + shift, 0, 10),
            "csat": np.clip(rng.integers(1, 6, n) + shift, 1, 5),
            "region": rng.choice(["North", "South"], n),
        }
    )


def test_survey_changes_match_hand_formulas_scipy_and_statsmodels() -> None:
    rng = np.random.default_rng(7)
    now, before = _answers(rng, 400, -1), _answers(rng, 300, 0)
    metrics = {"nps": Metric("nps", "nps"), "csat": Metric("share", "csat", at_least=4)}
    table = survey_changes(now, before, metrics, dimensions=["region"])
    assert len(table) == 6  # 2 metrics × (overall + 2 regions)
    expected_p = []
    for _, row in table.iterrows():
        a = now if not row["dimension"] else now[now["region"] == row["group"]]
        b = before if not row["dimension"] else before[before["region"] == row["group"]]
        if row["kpi"] == "nps":
            p1, d1 = (a["nps"] >= 9).mean(), (a["nps"] <= 6).mean()
            p2, d2 = (b["nps"] >= 9).mean(), (b["nps"] <= 6).mean()
            se = math.sqrt(
                (p1 + d1 - (p1 - d1) ** 2) / len(a) + (p2 + d2 - (p2 - d2) ** 2) / len(b)
            )
            change = (p1 - d1) - (p2 - d2)
            z = change / se
        else:
            h1, h2 = int((a["csat"] >= 4).sum()), int((b["csat"] >= 4).sum())
            z, _ = proportions_ztest([h1, h2], [len(a), len(b)])  # pooled two-proportion test
            s1, s2 = h1 / len(a), h2 / len(b)
            change = s1 - s2
            se = math.sqrt(s1 * (1 - s1) / len(a) + s2 * (1 - s2) / len(b))
        p = 2 * stats.norm.sf(abs(z))
        expected_p.append(p)
        assert row["change"] == pytest.approx(100 * change)
        assert row["z"] == pytest.approx(z)
        assert row["p_value"] == pytest.approx(p)
        assert row["ci_low"] == pytest.approx(100 * (change - 1.959963984540054 * se))
        assert row["ci_high"] == pytest.approx(100 * (change + 1.959963984540054 * se))
    holm = multipletests(expected_p, method="holm")[1]
    np.testing.assert_allclose(table["p_adjusted"], holm)
    assert (table["significant"] == (holm < 0.05)).all()


def test_a_group_without_baseline_answers_gets_no_test_and_stays_out_of_the_family() -> None:
    now = pd.DataFrame({"nps": [10, 9, 0, 5] * 20, "region": ["A", "A", "A", "New"] * 20})
    before = pd.DataFrame({"nps": [10, 0, 0, 7] * 20, "region": ["A"] * 80})
    table = survey_changes(now, before, {"nps": Metric("nps", "nps")}, dimensions=["region"])
    new = table[table["group"] == "New"].iloc[0]
    assert math.isnan(new["p_value"]) and not new["significant"] and new["flags"] == "small_n"
    tested = table[table["p_value"].notna()]
    holm = multipletests(tested["p_value"], method="holm")[1]
    np.testing.assert_allclose(tested["p_adjusted"], holm)


def test_the_demo_hamburg_drop_is_marked_significant_in_2025_q4(demo_workspace: Path) -> None:
    page, shown = page_for(demo_workspace, period="2025-Q4")
    result = changes_result(page)
    assert not isinstance(result, Unavailable)
    assert (result.period.label, result.baseline.label) == ("2025-Q4", "2025-Q3")
    regions = result.table[(result.table["kpi"] == "nps") & (result.table["dimension"] == "region")]
    hamburg = regions[regions["group"] == "Hamburg"].iloc[0]
    assert hamburg["significant"] and hamburg["change"] < -30 and hamburg["p_adjusted"] < 1e-6
    assert not regions[regions["group"] != "Hamburg"]["significant"].any()
    # the family is every comparison shown: Holm over all KPIs, groups and dimensions
    tested = result.table[result.table["p_value"].notna()]
    np.testing.assert_allclose(
        tested["p_adjusted"], multipletests(tested["p_value"], method="holm")[1]
    )
    current_state.changes_section(page)
    html = "".join(shown)
    rows = re.findall(r"<tr[^>]*>.*?</tr>", html)
    hamburg_rows = [r for r in rows if "Region: Hamburg" in r]
    assert len(hamburg_rows) == 3  # NPS, CSAT, CES
    assert all('class="cx-marked"' in r and "Significant decrease" in r for r in hamburg_rows)
    berlin = next(r for r in rows if "Region: Berlin" in r)
    assert "cx-marked" not in berlin and "<strong>" not in berlin
    assert "No significant change" in berlin


def test_the_summary_names_the_hamburg_drop_first_with_its_n(demo_workspace: Path) -> None:
    page, shown = page_for(demo_workspace, period="2025-Q4")
    current_state.summary_section(page)
    sentences = re.findall(r"<p>(.*?)</p>", "".join(shown))
    assert sentences[0].startswith("NPS for Region: Hamburg fell from +30.4 in 2025-Q3")
    assert "n = 431 and 626 answers" in sentences[0]
    assert any(s.startswith("Fix first") and "Delivery" in s for s in sentences)
    assert any("Delivery (" in s and "comments" in s for s in sentences if "themes" in s)
    assert not page.tr.missing


def test_the_summary_and_the_changes_share_one_computation(
    demo_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def counted(*args: object, **kwargs: object) -> pd.DataFrame:
        calls.append(1)
        return survey_changes(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(current_common, "survey_changes", counted)
    page, _ = page_for(demo_workspace, period="2025-Q4")
    current_state.summary_section(page)
    current_state.changes_section(page)
    assert calls == [1]


def test_the_summary_drivers_have_the_pages_quadrants_without_a_bootstrap(
    demo_workspace: Path,
) -> None:
    page, _ = page_for(demo_workspace)
    quick = current_state.fix_first(page)
    assert not isinstance(quick, Unavailable)
    frame = page.select("responses").frame
    full = key_drivers(
        frame,
        outcome=quick.outcome,
        drivers=list(quick.rows["driver"]),
        missing=quick.missing,
        resamples=100,
        seed=0,
    )
    assert list(quick.rows["quadrant"]) == list(full.rows["quadrant"])
    assert current_state.fix_first(page) is quick  # once per page


# -- service ---------------------------------------------------------------------------------


def test_quantile_interval_is_the_order_statistic_interval() -> None:
    # n = 10: the 95 % interval of the median is x₍₂₎ … x₍₉₎ (coverage 1 − 2·P(B ≤ 1) = 97.9 %)
    assert quantile_interval(np.arange(1.0, 11.0), 0.5) == (2.0, 9.0)
    assert all(math.isnan(v) for v in quantile_interval([1.0, 2.0, 3.0], 0.5))
    rng = np.random.default_rng(3)
    for n in (6, 25, 31, 200, 1001):
        for q in (0.5, 0.9):
            values = rng.exponential(5, n)
            expected = stats.quantile_test(values, p=q).confidence_interval(0.95)
            low, high = quantile_interval(values, q)
            np.testing.assert_equal([low, high], [expected.low, expected.high])


def test_time_intervals_bracket_the_service_medians(demo_workspace: Path) -> None:
    page, _ = page_for(demo_workspace, period="2025-Q4")
    tickets = page.select("tickets").frame
    times = service.ticket_times(tickets, by=["priority"], timezone="Europe/Copenhagen")
    bounds = time_intervals(tickets, by=["priority"], timezone="Europe/Copenhagen")
    merged = times.merge(bounds, on=["priority", "measure"], suffixes=("", "_b"))
    assert len(merged) == 6 and (merged["n"] == merged["n_b"]).all()
    assert (merged["median_low"] <= merged["median"]).all()
    assert (merged["median"] <= merged["median_high"]).all()
    assert (merged["p90_low"] <= merged["p90"]).all() and (
        merged["p90"] <= merged["p90_high"]
    ).all()
    high = tickets[tickets["priority"] == "high"]
    hours = (high["first_response_at"] - high["created_at"]).dt.total_seconds() / 3600
    hours = hours[hours >= 0].to_numpy()
    row = merged[(merged["priority"] == "high") & (merged["measure"] == "first_response_hours")]
    expected = stats.quantile_test(hours, p=0.5).confidence_interval()
    assert (row["median_low"].iloc[0], row["median_high"].iloc[0]) == (expected.low, expected.high)


def test_service_section_shows_times_sla_fcr_by_month_and_priority(demo_workspace: Path) -> None:
    page, shown = page_for(demo_workspace, period="2025-Q4")
    current_state.service_section(page)
    html = "".join(shown)
    text = text_of(html)
    labels = ("First response time (hours)", "First response within target", "By Priority")
    for label in (*labels, "First-contact resolution", "By Channel"):
        assert label in text, label
    assert html.count('class="cx-chart"') == 1
    assert "Reopened tickets" in text  # named as not measured: the demo maps no reopened column
    tickets = page.select("tickets").frame
    sla = service.sla_attainment(
        tickets,
        {"first_response_hours": {"default": 24, "priority=high": 4}},
        timezone="Europe/Copenhagen",
    ).iloc[0]
    assert page.tr("tile.percent", value=page.tr.number(sla["value"], digits=1)) in text
    assert f"n = {page.tr.number(sla['n'])} tickets" in text


# -- loyalty ---------------------------------------------------------------------------------


def test_lifetime_value_range_against_the_formula() -> None:
    orders = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "ordered_at": pd.to_datetime(
                ["2025-01-01", "2025-12-31", "2025-06-01", "2025-03-01"], utc=True
            ),
            "revenue": [100.0, 300.0, 200.0, 400.0],
        }
    )
    churn = pd.Series({"value": 40.0, "ci_low": 30.0, "ci_high": 50.0})
    result = lifetime_value_range(orders, margin=0.3, discount=0.1, churn=churn)
    yearly = 1000 / 3 / (365 / 365.25)  # revenue / customers / years (365 days: 1 Jan – 31 Dec)

    def clv(retention: float) -> float:
        return 0.3 * retention / (1 + 0.1 - retention) * yearly

    assert result.value.formula == pytest.approx(clv(0.6))
    assert (result.low, result.high) == (pytest.approx(clv(0.5)), pytest.approx(clv(0.7)))


def test_rfm_segments_count_every_segment() -> None:
    customers = pd.DataFrame(
        {
            "customer_id": list("abcde"),
            "recency_days": [1.0, 3.0, 100.0, 200.0, 5.0],
            "frequency": [5, 4, 1, 1, 2],
            "monetary": [500.0, 300.0, 10.0, 20.0, 50.0],
            "segment": ["champions", "champions", "lost", "lost", "new"],
        }
    )
    out = rfm_segments(customers, loyalty.SEGMENTS)
    assert list(out["segment"]) == list(loyalty.SEGMENTS)
    assert list(out["customers"]) == [2, 0, 0, 2, 1, 0]
    assert out["share"].sum() == pytest.approx(100.0)
    assert out.loc[0, "monetary"] == pytest.approx(400.0)


def test_loyalty_section_shows_churn_repurchase_clv_and_rfm(demo_workspace: Path) -> None:
    page, shown = page_for(demo_workspace, period="2025-Q4")
    current_state.loyalty_section(page)
    html = "".join(shown)
    text = text_of(html)
    orders = page.select("orders").frame
    repurchase = loyalty.repurchase_rate(orders).iloc[0]
    assert page.tr("tile.percent", value=page.tr.number(repurchase["value"], digits=1)) in text
    every_order = page.table("orders").frame
    quarter, tz = parse_period("2025-Q4"), "Europe/Copenhagen"
    churn = loyalty.churn_rate(None, orders=every_order, period=quarter, timezone=tz).iloc[0]
    assert f"n = {page.tr.number(churn['n'])} customers" in text
    assert "margin 35.0 % and discount rate 8.0 %" in text
    assert "Customer lifetime value" in text and "Champions" in text
    assert html.count('class="cx-chart"') == 1


# -- bad input -------------------------------------------------------------------------------


def _surveys_only(demo: Path, folder: Path) -> Path:
    yaml = YAML()
    config = yaml.load((demo / "workspace.yaml").read_text(encoding="utf-8"))
    for name in ("tickets", "orders", "employees"):
        del config["sources"][name]
    config["sources"]["responses"]["path"] = str(demo / "data" / "survey_responses.csv")
    folder.mkdir()
    with (folder / "workspace.yaml").open("w", encoding="utf-8") as handle:
        yaml.dump(config, handle)
    return folder


def test_a_workspace_with_only_surveys_shows_notices_and_the_rest(
    demo_workspace: Path, tmp_path: Path
) -> None:
    page, shown = page_for(_surveys_only(demo_workspace, tmp_path / "ws"), period="2025-Q4")
    for name in SECTIONS:
        getattr(current_state, name)(page)
    text = text_of("".join(shown))
    assert page.tr("service.no_tickets") in text
    assert page.tr("loyalty.no_data") in text
    assert "Region: Hamburg" in text and "What the data says" in text


def test_a_period_without_data_shows_notices(demo_workspace: Path) -> None:
    page, shown = page_for(demo_workspace, period="2023")
    for name in SECTIONS:
        getattr(current_state, name)(page)
    text = text_of("".join(shown))
    assert page.tr("changes.no_data", period="2023", baseline="2022") in text
    assert page.tr("service.no_tickets_in_period") in text
    assert page.tr("rfm.no_customers") in text
    assert page.tr("loyalty.no_orders_in_window") in text


def test_a_segment_value_a_table_lacks_is_a_notice(demo_workspace: Path) -> None:
    # channel "Store" is in the responses and orders, but no ticket comes from a store
    page, shown = page_for(demo_workspace, segment="channel=Store")
    for name in SECTIONS:
        getattr(current_state, name)(page)
    text = text_of("".join(shown))
    expected = page.tr(
        "current_state.segment_absent", table="Support tickets", segment="channel=Store"
    )
    assert expected in text
    assert "Repurchase rate" in text and "Channel: Store" in text


def test_a_workspace_without_responses_says_so(demo_workspace: Path, tmp_path: Path) -> None:
    yaml = YAML()
    config = yaml.load((demo_workspace / "workspace.yaml").read_text(encoding="utf-8"))
    for name in ("responses", "employees"):
        del config["sources"][name]
    for name in ("tickets", "orders"):
        config["sources"][name]["path"] = str(demo_workspace / config["sources"][name]["path"])
    (tmp_path / "ws").mkdir()
    with (tmp_path / "ws" / "workspace.yaml").open("w", encoding="utf-8") as handle:
        yaml.dump(config, handle)
    page, shown = page_for(tmp_path / "ws")
    for name in SECTIONS:
        getattr(current_state, name)(page)
    text = text_of("".join(shown))
    assert text.count(page.tr("changes.no_responses")) == 2  # summary (once) and changes
    assert "First response time (hours)" in text and "Repurchase rate" in text


# -- escaping and languages ------------------------------------------------------------------


def test_data_text_is_escaped(workspace_copy: Path) -> None:
    survey = workspace_copy / "data" / "survey_responses.csv"
    frame = pd.read_csv(survey, dtype=str, keep_default_na=False)
    frame.loc[frame["Region"] == "Hamburg", "Region"] = XSS
    frame.to_csv(survey, index=False)
    page, shown = page_for(workspace_copy, period="2025-Q4")
    current_state.summary_section(page)
    current_state.changes_section(page)
    html = "".join(shown)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # in the summary and the tables
    assert "\\u003cimg" in html  # in the chart spec
    table = marked_table(["<b>"], [["<i>x</i>"]], marked={0})
    assert "<i>" not in table and "<strong>&lt;i&gt;x&lt;/i&gt;</strong>" in table


@pytest.mark.parametrize("language", ["de", "da"])
def test_every_text_is_in_the_pages_language(demo_workspace: Path, language: str) -> None:
    page, shown = page_for(demo_workspace, period="2025-Q4", language=language)
    for name in SECTIONS:
        getattr(current_state, name)(page)
    assert not page.tr.missing
    text = text_of("".join(shown))
    for english in ("Significant", "tickets", "What the data says", "Customer lifetime value"):
        assert english not in text, english
