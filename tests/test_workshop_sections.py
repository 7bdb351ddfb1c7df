"""The workshop steps' sections: journey map, goals, KPI tracking, overview — and their numbers.

Statistics are checked against independent computations (scipy, statsmodels, hand formulas on
the raw CSV files); the demo's story (ticket routing → faster first replies) must be found.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlib import workshop_sections as ws
from cxlib.actions import Action
from cxlib.goals import Goal
from cxlib.kpis import Kpi, Settings, catalogue, kpi_series, workspace_settings
from cxlib.page import Page
from cxlib.params import validate_parameters
from cxlib.sources import Table
from cxlib.workshop_evidence import (
    Content,
    emotion_scale,
    largest_gaps,
    map_rows,
    measure_touchpoints,
    rank_pain_points,
    read_content,
)
from cxlib.workshop_tracking import (
    action_effect,
    choose_grain,
    median_interval,
    track_goal,
)

TODAY = dt.date(2026, 11, 22)
TZ = "Europe/Copenhagen"
XSS = "<img src=x onerror=alert(1)>"


def page_for(workspace: Path, language: str = "en", **params: str) -> Page:
    return Page(
        validate_parameters(workspace=str(workspace), language=language, mode="report", **params)
    )


def shown(page: Page, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parts: list[str] = []
    monkeypatch.setattr(page, "show", lambda *html: parts.append("".join(html)))
    return parts


# --- independent computations on the raw demo files ----------------------------------------------


def aware(naive: pd.Series) -> pd.Series:
    """The demo's naive local times in the workspace's zone (DESIGN: naive = local)."""
    return pd.to_datetime(naive).dt.tz_localize(TZ, ambiguous=False, nonexistent="shift_forward")


def raw_survey(workspace: Path) -> pd.DataFrame:
    frame = pd.read_csv(workspace / "data" / "survey_responses.csv")
    return frame.assign(local=pd.to_datetime(frame["Submitted"]))


def raw_ticket_hours(workspace: Path) -> pd.DataFrame:
    frame = pd.read_csv(workspace / "data" / "support_tickets.csv")
    hours = (aware(frame["First reply"]) - aware(frame["Created"])).dt.total_seconds() / 3600
    out = pd.DataFrame({"hours": hours, "local": pd.to_datetime(frame["Created"])})
    return out[out["hours"].notna() & (out["hours"] >= 0)]


def between(frame: pd.DataFrame, start: str, end: str) -> pd.DataFrame:
    return frame[(frame["local"] >= pd.Timestamp(start)) & (frame["local"] < pd.Timestamp(end))]


@pytest.fixture(scope="module")
def demo(demo_workspace: Path) -> dict[str, object]:
    page = page_for(demo_workspace)
    tables = {name: page.table(name).frame for name in page.workspace.sources}
    ratings = [c for c in tables["responses"].columns if c.startswith("rating_")]
    return {
        "page": page,
        "tables": tables,
        "catalogue": catalogue(ratings),
        "settings": workspace_settings(page.workspace),
        "content": read_content(page.workspace, today=TODAY),
    }


# --- 03 journey map: the numbers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kpi", "value", "expected"),
    [
        (Kpi("rating_x", "kpi_name.rating", "score", True, "responses", "rating_x"), 1.0, -2.0),
        (Kpi("rating_x", "kpi_name.rating", "score", True, "responses", "rating_x"), 3.0, 0.0),
        (Kpi("rating_x", "kpi_name.rating", "score", True, "responses", "rating_x"), 4.2, 1.2),
        (Kpi("csat", "kpi_name.csat", "percent", True, "responses", "csat"), 75.0, 1.0),
        (Kpi("nps", "kpi_name.nps", "nps", True, "responses", "nps"), -50.0, -1.0),
        (Kpi("churn_rate", "kpi_name.churn_rate", "percent", False, "customers", "c"), 25.0, 1.0),
        (Kpi("first_response_hours", "x", "hours", False, "tickets", "f"), 5.0, None),
    ],
)
def test_emotion_scale_maps_the_answer_range_linearly(
    kpi: Kpi, value: float, expected: float | None
) -> None:
    mapped = emotion_scale(value, kpi, rating_scale=(1, 5), settings=Settings())
    assert mapped == (None if expected is None else pytest.approx(expected))


def test_ces_mean_uses_its_own_scale() -> None:
    kpi = Kpi("ces_mean", "kpi_name.ces_mean", "score", True, "responses", "ces")
    # 1–7: 4 is the middle, 7 the top
    assert emotion_scale(4.0, kpi, rating_scale=(1, 5), settings=Settings()) == 0.0
    assert emotion_scale(7.0, kpi, rating_scale=(1, 5), settings=Settings()) == 2.0


def test_measured_touchpoints_match_a_hand_computation(demo: dict, demo_workspace: Path) -> None:
    content = demo["content"]
    rows = map_rows(content, content.journeys[0].id)
    measured = measure_touchpoints(
        rows, demo["tables"], demo["catalogue"], settings=demo["settings"], rating_scale=(1, 5)
    )
    raw = raw_survey(demo_workspace)
    delivery = measured.set_index("touchpoint_id").loc["delivery-at-home"]
    answers = pd.to_numeric(raw["Rating: Delivery"], errors="coerce")
    answers = answers[answers.between(1, 5)]  # 0 means "not applicable" in the demo
    mean, sd, n = answers.mean(), answers.std(ddof=1), len(answers)
    half = 1.959963984540054 * sd / math.sqrt(n)
    assert delivery["n"] == n
    assert delivery["value"] == pytest.approx(mean, abs=1e-12)
    assert delivery["ci_low"] == pytest.approx(mean - half, abs=1e-9)
    assert delivery["mapped"] == pytest.approx(mean - 3, abs=1e-12)
    assert delivery["mapped_high"] == pytest.approx(mean + half - 3, abs=1e-9)
    assert delivery["gap"] == pytest.approx(1 - (mean - 3), abs=1e-12)
    notice = measured.set_index("touchpoint_id").loc["delivery-notice"]
    assert notice["state"] == "unmeasured" and math.isnan(notice["mapped"])
    assert list(measured["order"]) == list(range(9))
    assert list(measured["phase"]) == ["before"] * 3 + ["during"] * 4 + ["after"] * 2


def test_largest_gaps_need_enough_answers_and_the_belief_outside_the_interval() -> None:
    rows = pd.DataFrame(
        {
            "order": [0, 1, 2, 3, 4],
            "touchpoint": ["a", "b", "c", "d", "e"],
            "emotion": [2, -1, 2, 1, 0],
            "mapped": [0.5, 0.6, 0.4, 0.8, 0.2],
            "mapped_low": [0.4, 0.5, -1.0, 0.7, 0.1],
            "mapped_high": [0.6, 0.7, 2.5, 0.9, 0.3],
            "state": ["measured", "measured", "measured", "measured", "small_n"],
        }
    )
    rows["gap"] = rows["emotion"] - rows["mapped"]
    gaps = largest_gaps(rows)
    # a: +1.5, b: −1.6 (largest), c: inside its wide interval, d: 0.2 < half a step,
    # e: too few answers — never a gap
    assert list(gaps["touchpoint"]) == ["b", "a"]


def test_pain_points_rank_moments_of_truth_first_then_measured_value() -> None:
    rows = pd.DataFrame(
        {
            "order": [0, 1, 2, 3],
            "touchpoint": ["web", "store", "service", "returns"],
            "pain_points": [
                ("slow site",),
                ("no staff",),
                ("long wait", "asked twice"),
                ("label",),
            ],
            "moment_of_truth": [False, True, True, False],
            "mapped": [-1.5, 0.9, 0.3, np.nan],
            "emotion": [0, 2, -1, -2],
            "state": ["measured", "measured", "small_n", "unmeasured"],
        }
    )
    ranked = rank_pain_points(rows)
    # moments of truth first: the measured store before service (too few answers: unmeasured);
    # then the rest: measured web (−1.5) before unmeasured returns
    assert list(ranked["pain_point"]) == [
        "no staff",
        "long wait",
        "asked twice",
        "slow site",
        "label",
    ]
    assert list(ranked["rank"]) == [1, 2, 3, 4, 5]


def test_journey_map_section_on_the_demo(demo_workspace: Path, monkeypatch) -> None:
    page = page_for(demo_workspace)
    parts = shown(page, monkeypatch)
    ws.journey_map_section(page, today=TODAY)
    html = "".join(parts)
    assert html.count('class="cx-chart"') == 2
    assert "Furnishing a living room" in html
    assert "Largest gaps between belief and evidence" in html
    # the three clearest gaps: service and returns (customers feel better), staff (worse)
    assert "Customer service: the workshop believes -1" in html
    assert "Advice from store staff: the workshop believes +2" in html
    assert "customers feel worse than believed. Owner: Stores." in html
    # pain points ranked, moments of truth first
    table = html[html.index("Pain points, most urgent first") :]
    first = table.index("Long waiting times")
    assert first < table.index("Packaging left behind") < table.index("Has to print a label")
    assert "Department view" in html and "Route tickets by topic to specialist teams" in html
    assert not page.tr.missing


@pytest.mark.parametrize("language", ["de", "da"])
def test_journey_map_section_is_translated(demo_workspace: Path, monkeypatch, language) -> None:
    page = page_for(demo_workspace, language)
    parts = shown(page, monkeypatch)
    ws.journey_map_section(page, today=TODAY)
    assert not page.tr.missing
    assert "Largest gaps" not in "".join(parts)


def test_small_samples_are_flagged_never_called_out(workspace_copy: Path, monkeypatch) -> None:
    # one day of answers: every touchpoint rests on fewer than 30 answers
    page = page_for(workspace_copy, period="2026-10")
    frame = page.table("responses").frame
    local = frame["submitted_at"].dt.tz_convert(TZ)
    loaded = page.table("responses")
    page._tables["responses"] = Table(loaded.name, frame[local.dt.day == 1], loaded.reports)
    parts = shown(page, monkeypatch)
    ws.journey_map_section(page, today=TODAY)
    html = "".join(parts)
    assert "Too few answers (fewer than 30) to compare belief and evidence" in html
    assert "customers feel worse than believed" not in html
    assert "customers feel better than believed" not in html


# --- statistics of the tracking ------------------------------------------------------------------


def test_median_interval_is_the_order_statistic_interval() -> None:
    from scipy.stats import binom

    values = np.arange(1.0, 11.0)  # n = 10: the textbook interval is [x(2), x(9)]
    assert median_interval(values) == (2.0, 9.0)
    for n in (6, 11, 30, 57, 200):
        data = np.sort(np.random.default_rng(n).exponential(size=n))
        low, high = median_interval(data)
        j = int(np.searchsorted(data, low)) + 1
        assert data[n - j] == high, "symmetric order statistics"
        coverage = 1 - 2 * binom.cdf(j - 1, n, 0.5)
        narrower = 1 - 2 * binom.cdf(j, n, 0.5)
        assert coverage >= 0.95 > narrower, (n, j)
    assert all(math.isnan(v) for v in median_interval([1.0, 2.0, 3.0, 4.0, 5.0]))


def test_grain_follows_the_data_volume() -> None:
    many = pd.DataFrame({"n": [40] * 8})
    few = pd.DataFrame({"n": [40, 10, 12, 9, 50, 11]})
    short = pd.DataFrame({"n": [500] * 4})
    assert choose_grain(many) == "month"
    assert choose_grain(few) == "quarter"
    assert choose_grain(short) == "quarter"


def test_ticket_routing_shows_a_significant_drop_in_first_response_time(
    demo: dict, demo_workspace: Path
) -> None:
    from scipy.stats import mannwhitneyu

    content: Content = demo["content"]
    routing = next(a for a in content.actions if a.id == "ticket-routing")
    kpi = demo["catalogue"]["first_response_hours"]
    effect = action_effect(
        routing, kpi, demo["tables"], settings=demo["settings"], data_until=dt.date(2026, 11, 1)
    )
    raw = raw_ticket_hours(demo_workspace)
    before = between(raw, "2025-06-01", "2025-09-01")["hours"].to_numpy()
    after = between(raw, "2025-09-01", "2025-12-01")["hours"].to_numpy()
    expected = mannwhitneyu(after, before, alternative="two-sided")
    assert effect.test == "mann_whitney" and effect.missing is None
    assert effect.before is not None and effect.after is not None
    assert (effect.before.n, effect.after.n) == (len(before), len(after))
    assert effect.before.value == pytest.approx(np.median(before))
    assert effect.after.value == pytest.approx(np.median(after))
    assert effect.statistic == pytest.approx(expected.statistic)
    assert effect.p_value == pytest.approx(expected.pvalue, rel=1e-6)
    assert effect.after.value < effect.before.value / 2 and effect.p_value < 1e-10
    assert effect.after.ci_high < effect.before.ci_low


def test_nps_effect_is_the_design_z_test(demo: dict, demo_workspace: Path) -> None:
    action = Action(
        "Test", "Customer Service", dt.date(2025, 10, 1), "done", "recommend",
        done_on=dt.date(2025, 10, 1), id="x",
    )  # fmt: skip
    effect = action_effect(
        action, demo["catalogue"]["nps"], demo["tables"], settings=demo["settings"],
        data_until=dt.date(2026, 11, 1),
    )  # fmt: skip
    raw = raw_survey(demo_workspace)
    score = "Likelihood to recommend (0-10)"
    parts = []
    for start, end in (("2025-07-01", "2025-10-01"), ("2025-10-01", "2026-01-01")):
        answers = between(raw, start, end)[score].dropna()
        n = len(answers)
        p, d = (answers >= 9).mean(), (answers <= 6).mean()
        parts.append((n, p - d, (p + d - (p - d) ** 2) / n))
    (n0, nps0, v0), (_n1, nps1, v1) = parts
    z = (nps1 - nps0) / math.sqrt(v0 + v1)
    assert effect.test == "nps_z"
    assert effect.before is not None and effect.before.n == n0
    assert effect.change == pytest.approx(100 * (nps1 - nps0))
    assert effect.statistic == pytest.approx(z)
    assert effect.p_value == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))


def test_share_effect_is_the_two_proportion_z_test(demo: dict, demo_workspace: Path) -> None:
    from statsmodels.stats.proportion import proportions_ztest

    action = Action(
        "Test", "Customer Service", dt.date(2026, 1, 1), "done", "x",
        done_on=dt.date(2026, 1, 1), id="y",
    )  # fmt: skip
    effect = action_effect(
        action, demo["catalogue"]["csat"], demo["tables"], settings=demo["settings"],
        data_until=dt.date(2026, 11, 1),
    )  # fmt: skip
    raw = raw_survey(demo_workspace)
    column = "Overall satisfaction (1-5)"
    counts, sizes = [], []
    for start, end in (("2026-01-01", "2026-04-01"), ("2025-10-01", "2026-01-01")):
        answers = between(raw, start, end)[column].dropna()
        counts.append(int((answers >= 4).sum()))
        sizes.append(len(answers))
    z, p = proportions_ztest(counts, sizes)
    assert effect.test == "proportions_z"
    assert effect.statistic == pytest.approx(z)
    assert effect.p_value == pytest.approx(p)


def test_projection_and_progress_of_a_goal(demo: dict) -> None:
    import statsmodels.api as sm

    from cxlib.workbook import rules_for

    content: Content = demo["content"]
    goal = next(g for g in content.goals if g.id == "delivery-rating")
    rules = rules_for(demo["page"].workspace, today=TODAY)
    tracking = track_goal(
        goal, demo["tables"], catalogue=demo["catalogue"], settings=demo["settings"],
        rules=rules, complete_until=dt.date(2026, 11, 1),
    )  # fmt: skip
    series = kpi_series(demo["tables"], "rating_delivery", grain="month", settings=demo["settings"])
    assert tracking.grain == "month"
    assert tracking.current is not None and tracking.current["period"] == "2026-10"
    last = series.iloc[-1]
    assert tracking.current["value"] == pytest.approx(last["value"])
    assert tracking.current["n"] == last["n"]
    assert tracking.progress == pytest.approx((last["value"] - 3.67) / (4.0 - 3.67))
    # the projection: OLS on the last 12 months (mid-month dates), 90 % prediction interval
    recent = series.tail(12)
    starts = pd.to_datetime(recent["period"] + "-01")
    ends = starts + pd.offsets.MonthBegin(1)
    mids = starts + (ends - starts) / 2
    x = (mids - mids.min()).dt.days.to_numpy(float)
    fit = sm.OLS(recent["value"].to_numpy(), sm.add_constant(x)).fit()
    x0 = (pd.Timestamp("2027-06-30") - mids.min()).days
    frame = fit.get_prediction(np.array([[1.0, x0]])).summary_frame(alpha=0.1)
    assert tracking.projection is not None
    assert tracking.projection.value == pytest.approx(frame["mean"].iloc[0])
    assert tracking.projection.low == pytest.approx(frame["obs_ci_lower"].iloc[0])
    assert tracking.projection.high == pytest.approx(frame["obs_ci_upper"].iloc[0])
    expected = "off_track" if frame["obs_ci_upper"].iloc[0] < 4.0 else "at_risk"
    assert tracking.status == expected
    assert [item.ok for item in tracking.smart] == [True] * 6


# --- the sections on the demo ------------------------------------------------------------------


def test_goals_section_shows_every_goal_with_smart_current_and_progress(
    demo_workspace: Path, monkeypatch
) -> None:
    page = page_for(demo_workspace)
    parts = shown(page, monkeypatch)
    ws.goals_section(page, today=TODAY)
    html = "".join(parts)
    for title in ("More customers recommend Nordlys", "Deliveries rated 4 or better"):
        assert title in html
    assert "Net Promoter Score" in html and "Rating: Delivery" in html
    assert "+30.9 (n = 3,245)" in html, "baseline with its n"
    assert html.count("SMART check: 6 of 6 criteria met") == 2
    # the first-answer target (−1.8 h) lies within the quarterly variation (the routing step)
    assert "SMART check: 5 of 6 criteria met" in html
    assert "is within the KPI&#x27;s usual variation of 3.82 per period" in html
    assert "In 2026-10" in html and "n = 1,235 answers" in html
    assert "Data as of 31 Oct 2026" in html
    assert not page.tr.missing


def test_kpi_tracking_section_shows_charts_status_and_the_routing_effect(
    demo_workspace: Path, monkeypatch
) -> None:
    page = page_for(demo_workspace)
    parts = shown(page, monkeypatch)
    ws.kpi_tracking_section(page, today=TODAY)
    html = "".join(parts)
    assert html.count('class="cx-chart"') == 3
    assert "Mann–Whitney U test (medians shown)" in html
    row = html[html.index("Route tickets by topic to specialist teams</td>") :]
    row = row[: row.index("</tr>")]
    assert "21.1 h" in row and "6.1 h" in row and "-15.0 h" in row
    assert "&lt; 0.001" in row and "<td>yes</td>" in row
    assert "Off track." in html
    assert "Callback option in the phone queue" in html  # open action listed
    assert not page.tr.missing


def test_reporting_period_cuts_the_trend(demo_workspace: Path, monkeypatch) -> None:
    page = page_for(demo_workspace, period="2025-Q3")
    parts = shown(page, monkeypatch)
    ws.kpi_tracking_section(page, today=TODAY)
    html = "".join(parts)
    assert "in 2025-09 (n = 1,181)" in html, "the latest complete month of the period"
    assert "2025-10" not in html.split("Goals tracked")[1].split("cx-chart")[0]
    # the routing action is done on 2025-09-01: a month of data after it, flagged
    assert "the data do not yet cover the whole period after" in html


def test_overview_workshop_html(demo_workspace: Path) -> None:
    page = page_for(demo_workspace)
    html = ws.overview_workshop_html(page, today=TODAY)
    assert "Goal status" in html
    assert "+27.8 (2026-10, n = 1,235)" in html and "Off track" in html
    assert "Data as of 31 Oct 2026" in html
    top = html[html.index("Top pain points") : html.index("Overdue actions")]
    assert top.count("<tr>") == 4, "header and three pain points"
    assert "Long waiting times" in top and "Customer Service" in top
    overdue = html[html.index("Overdue actions") :]
    assert "Callback option in the phone queue" in overdue and "31 Oct 2026" in overdue
    assert "Second carrier for Hamburg" not in overdue
    assert "No action is overdue." in ws.overview_workshop_html(page, today=dt.date(2026, 1, 1))


# --- bad input: tiny workspaces -------------------------------------------------------------------


def survey_workspace(folder: Path, *, rows: int = 400) -> Path:
    """A workspace with only survey responses (no tickets, no orders) and the retail journey."""
    from cxlib.exchange import init_workspace

    init_workspace(folder, template="retail", name="Tiny", who="test")
    rng = np.random.default_rng(7)
    days = pd.date_range("2025-01-01", "2025-12-31", freq="D")
    frame = pd.DataFrame(
        {
            "ResponseId": [f"R{i}" for i in range(rows)],
            "RecordedDate": rng.choice(days, rows).astype("datetime64[s]").astype(str),
            "NPS": rng.integers(0, 11, rows),
        }
    )
    frame.to_csv(folder / "data" / "responses.csv", index=False)
    return folder


def add_goal(folder: Path, goal: Goal) -> None:
    from cxlib.workbook import Workbook
    from cxlib.workspace import load_workspace

    with Workbook.open(load_workspace(folder), today=TODAY) as workbook:
        workbook.add(goal, who="test")


def nps_goal(**changes: object) -> Goal:
    values: dict[str, object] = {
        "title": "More promoters",
        "kpi": "nps",
        "target": 30.0,
        "direction": "increase",
        "deadline": dt.date(2027, 12, 31),
        "owner": "Customer Service",
        "baseline": 0.0,
        "baseline_n": 100,
    }
    return Goal(**{**values, **changes})  # type: ignore[arg-type]


def test_a_goal_whose_kpi_needs_a_missing_table(tmp_path: Path, monkeypatch) -> None:
    folder = survey_workspace(tmp_path / "ws")
    add_goal(folder, nps_goal())
    add_goal(
        folder,
        nps_goal(title="Faster answers", kpi="first_response_hours", target=4.0,
                 direction="decrease", baseline=8.0),
    )  # fmt: skip
    page = page_for(folder)
    for section in (ws.goals_section, ws.kpi_tracking_section):
        parts = shown(page, monkeypatch)
        section(page, today=TODAY)
        html = "".join(parts)
        assert "This KPI needs the tickets table" in html
        assert "More promoters" in html and "Faster answers" in html
    assert "This KPI needs the tickets table" in ws.overview_workshop_html(page, today=TODAY)
    parts = shown(page, monkeypatch)
    ws.kpi_tracking_section(page, today=TODAY)
    assert "".join(parts).count('class="cx-chart"') == 1, "the NPS goal still has its chart"


def test_no_goals_and_no_journey_yet(tmp_path: Path, monkeypatch) -> None:
    from cxlib.exchange import init_workspace

    folder = tmp_path / "empty"
    init_workspace(folder, template="retail", who="test")
    (folder / "data" / "responses.csv").write_text(
        "ResponseId,RecordedDate,NPS\nR1,2026-01-02,9\n", encoding="utf-8"
    )
    from cxlib.workbook import Workbook
    from cxlib.workspace import load_workspace

    with Workbook.open(load_workspace(folder)) as workbook:  # remove the template's journey
        for kind in ("touchpoint", "stage", "journey"):
            for entry in workbook.entries(kind):
                workbook.delete(kind, entry.item.id, version=entry.version, who="test")
    page = page_for(folder)
    parts = shown(page, monkeypatch)
    ws.journey_map_section(page, today=TODAY)
    ws.goals_section(page, today=TODAY)
    ws.kpi_tracking_section(page, today=TODAY)
    html = "".join(parts)
    assert "No journey has been mapped yet" in html
    assert html.count("No goals have been entered yet") == 2
    overview = ws.overview_workshop_html(page, today=TODAY)
    assert "No pain points entered yet." in overview and "No action is overdue." in overview


def test_a_period_without_data(tmp_path: Path, monkeypatch) -> None:
    folder = survey_workspace(tmp_path / "ws")
    add_goal(folder, nps_goal())
    page = page_for(folder, period="2019")
    parts = shown(page, monkeypatch)
    ws.journey_map_section(page, today=TODAY)
    ws.kpi_tracking_section(page, today=TODAY)
    html = "".join(parts)
    assert "No complete period with data up to the selected period" in html
    assert "Buying a sofa" in html and 'class="cx-chart"' in html, "the map still renders"
    assert "no data" in html  # the template's csat-linked touchpoint: nothing measured


def test_a_segment_value_that_does_not_exist(demo_workspace: Path, monkeypatch) -> None:
    page = page_for(demo_workspace, segment="region=Atlantis")
    parts = shown(page, monkeypatch)
    ws.journey_map_section(page, today=TODAY)
    ws.goals_section(page, today=TODAY)
    html = "".join(parts)
    assert "could not be loaded" in html and "Atlantis" in html
    assert html.count('class="cx-chart"') == 2, "the map is still drawn"
    assert "More customers recommend Nordlys" in html


def test_a_segment_that_the_tickets_lack_is_said(demo_workspace: Path, monkeypatch) -> None:
    page = page_for(demo_workspace, segment="segment=Member")
    parts = shown(page, monkeypatch)
    ws.kpi_tracking_section(page, today=TODAY)
    html = "".join(parts)
    assert "The segment filter segment=Member does not apply" in html
    assert html.count('class="cx-chart"') == 3


def test_workshop_text_is_escaped_everywhere(tmp_path: Path, monkeypatch) -> None:
    """Markup typed into an older store (the forms refuse it) still shows as text."""
    from cxlib.store import Store
    from cxlib.workbook import check_structure

    folder = survey_workspace(tmp_path / "ws")
    with Store.for_workspace(folder, validate=check_structure) as store:
        journey = store.add("journey", {"name": XSS, "persona": XSS}, who="x")
        stage = store.add(
            "stage", {"journey_id": journey.id, "name": XSS, "phase": "during"}, who="x"
        )
        store.add(
            "touchpoint",
            {
                "stage_id": stage.id,
                "name": XSS,
                "channel": "web",
                "owner": XSS,
                "pain_points": [XSS],
                "moment_of_truth": True,
            },
            who="x",
        )
        store.add(
            "action",
            {"title": XSS, "owner": XSS, "due": "2026-01-01", "status": "planned"},
            who="x",
        )
    page = page_for(folder)
    parts = shown(page, monkeypatch)
    ws.journey_map_section(page, today=TODAY)
    html = "".join(parts) + ws.overview_workshop_html(page, today=TODAY)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in html, "chart data carries it escaped"
    content = read_content(page.workspace, today=TODAY)
    assert XSS in [t.name for t in content.touchpoints]
