"""Tests of the demo workspace generator, :mod:`cxlib.demo`.

The demo is generated once per module; the files are read with pandas directly and every
statistic of the stories is recomputed here with plain numpy, independently of the library.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxlib.demo import (
    DEMO_SEED,
    ROUTING_CHANGE,
    STORY_BASELINE_MONTHS,
    STORY_MONTHS,
    STORY_REGION,
    WORKSPACE_TEMPLATE,
    DemoSummary,
    generate_demo,
)

FILES = (
    "workspace.yaml",
    "data/survey_responses.csv",
    "data/support_tickets.csv",
    "data/orders.csv",
    "data/employee_pulse.csv",
)
RATINGS = [
    "Rating: Website",
    "Rating: Product range",
    "Rating: Checkout",
    "Rating: Delivery",
    "Rating: Store staff",
    "Rating: Customer service",
    "Rating: Returns",
    "Rating: Assembly instructions",
]
RESPONSE_COLUMNS = [
    "Response ID",
    "Submitted",
    "Customer ID",
    "Country",
    "Region",
    "Channel",
    "Customer type",
    "Language",
    "Likelihood to recommend (0-10)",
    "Overall satisfaction (1-5)",
    "Easy to get what I needed (1-7)",
    *RATINGS,
    "Comment",
]
TICKET_COLUMNS = [
    "Ticket",
    "Created",
    "First reply",
    "Solved",
    "Channel",
    "Category",
    "Priority",
    "Contacts",
    "Region",
    "Customer ID",
]
ORDER_COLUMNS = [
    "Order number",
    "Customer ID",
    "Order date",
    "Revenue EUR",
    "Channel",
    "Country",
    "Region",
]
EMPLOYEE_COLUMNS = ["Submitted", "Department", "eNPS (0-10)"]
NPS = "Likelihood to recommend (0-10)"
REGIONS = {
    "Hovedstaden": "Denmark",
    "Midtjylland": "Denmark",
    "Syddanmark": "Denmark",
    "Hamburg": "Germany",
    "Berlin": "Germany",
    "Nordrhein-Westfalen": "Germany",
    "Bayern": "Germany",
}
FIRST_MONTH, END = pd.Timestamp("2024-11-01"), pd.Timestamp("2026-11-01")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

# Theme keywords in English, German and Danish (regular expressions, matched in lower case).
THEME_WORDS = {
    "delivery": r"deliver|\blate\b|carrier|tracking|parcel|liefer|verspät|zusteller|paket|"
    r"sendungsverfolgung|\blever|forsink|fragtmand|pakke|sporing",
    "service": r"customer service|\bwait|\bhold\b|kundenservice|warte|hotline|kundeservice|\bvent",
    "staff": r"staff|employee|mitarbeiter|personal|verkäufer|ekspedient|medarbejder",
    "price": r"price|expensive|preis|teuer|günstig|\bpris|\bdyr",
    "quality": r"quality|material|sturdy|qualität|stabil|kvalitet|solid",
    "website": r"website|\bapp\b|webseite|online-shop|hjemmeside|\bappen\b",
    "returns": r"return|refund|retoure|rückgabe|erstattung|returner|refusion",
    "assembly": r"assembl|instruction|montage|anleitung|aufbau|saml|vejledning",
}
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
EMAIL_DOMAIN = re.compile(r"[\w.+-]+@([\w-]+(?:\.[\w-]+)+)")
PHONE = re.compile(r"\+\d{2}(?: \d{2,4})+|\b\d{2} \d{2} \d{2} \d{2}\b|\b0\d{2,4} \d{6,8}\b")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("demo"))


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8")


@pytest.fixture(scope="module")
def responses(demo: DemoSummary) -> pd.DataFrame:
    frame = _read(demo.files["responses"])
    frame["Comment"] = frame["Comment"].fillna("").astype(str)
    frame["month"] = frame["Submitted"].str[:7]
    return frame


@pytest.fixture(scope="module")
def tickets(demo: DemoSummary) -> pd.DataFrame:
    frame = _read(demo.files["tickets"])
    for column in ("Created", "First reply", "Solved"):
        frame[column] = pd.to_datetime(frame[column], format=TIME_FORMAT)
    return frame


@pytest.fixture(scope="module")
def orders(demo: DemoSummary) -> pd.DataFrame:
    return _read(demo.files["orders"])


@pytest.fixture(scope="module")
def employees(demo: DemoSummary) -> pd.DataFrame:
    return _read(demo.files["employees"])


def _nps_parts(scores: np.ndarray) -> tuple[float, float]:
    """NPS (as a fraction) and the variance of that estimate."""
    n = len(scores)
    promoters, detractors = np.mean(scores >= 9), np.mean(scores <= 6)
    nps = promoters - detractors
    return float(nps), float((promoters + detractors - nps**2) / n)


def _holm(p_values: list[float]) -> list[float]:
    order = np.argsort(p_values)
    adjusted, running = [0.0] * len(p_values), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def _region_changes(responses: pd.DataFrame) -> pd.DataFrame:
    """NPS change story months vs baseline months per region, with z and Holm-adjusted p."""
    rows = []
    for region in REGIONS:
        here = responses[responses["Region"] == region]
        base = here.loc[here["month"].isin(STORY_BASELINE_MONTHS), NPS].to_numpy()
        story = here.loc[here["month"].isin(STORY_MONTHS), NPS].to_numpy()
        nps0, var0 = _nps_parts(base)
        nps1, var1 = _nps_parts(story)
        z = (nps1 - nps0) / math.sqrt(var0 + var1)
        p = math.erfc(abs(z) / math.sqrt(2))
        rows.append((region, len(base), len(story), 100 * nps0, 100 * nps1, z, p))
    frame = pd.DataFrame(rows, columns=["region", "n0", "n1", "nps0", "nps1", "z", "p"])
    frame["delta"] = frame["nps1"] - frame["nps0"]
    frame["p_holm"] = _holm(frame["p"].tolist())
    return frame.set_index("region")


# ----------------------------------------------------------------------------- files and shape


def test_summary_lists_the_written_files(demo: DemoSummary) -> None:
    assert set(demo.files) == {"responses", "tickets", "orders", "employees"}
    assert set(demo.rows) == set(demo.files)
    for key, path in demo.files.items():
        assert path.is_file()
        assert path.parent == demo.directory / "data"
        assert demo.rows[key] == len(_read(path))
    assert (demo.directory / "workspace.yaml").read_bytes() == WORKSPACE_TEMPLATE.read_bytes()


def test_workspace_yaml_names_the_columns_it_maps(demo: DemoSummary) -> None:
    text = (demo.directory / "workspace.yaml").read_text(encoding="utf-8")
    assert text.startswith("# Demo workspace of a fictional home-furnishing retailer")
    assert "name: Nordlys Home\n" in text and "timezone: Europe/Copenhagen\n" in text
    for column in RESPONSE_COLUMNS + TICKET_COLUMNS + ORDER_COLUMNS + EMPLOYEE_COLUMNS:
        assert column in text, column


def test_csv_files_use_unix_line_endings_and_utf8(demo: DemoSummary) -> None:
    for path in demo.files.values():
        data = path.read_bytes()
        assert b"\r" not in data
        assert data.endswith(b"\n")
        data.decode("utf-8")


def test_same_seed_gives_identical_files_and_another_seed_differs(
    demo: DemoSummary, tmp_path: Path
) -> None:
    again = generate_demo(tmp_path / "again", seed=DEMO_SEED)
    for name in FILES:
        assert (demo.directory / name).read_bytes() == (again.directory / name).read_bytes(), name
    other = generate_demo(tmp_path / "other", seed=DEMO_SEED + 1)
    survey = "data/survey_responses.csv"
    assert (demo.directory / survey).read_bytes() != (other.directory / survey).read_bytes()


def test_existing_directory_is_reused_and_files_are_overwritten(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    first = generate_demo(tmp_path, months=2, end_month="2025-06").files["responses"].read_bytes()
    second = generate_demo(tmp_path, seed=7, months=2, end_month="2025-06")
    assert second.files["responses"].read_bytes() != first
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_columns_are_exactly_as_documented(
    responses: pd.DataFrame, tickets: pd.DataFrame, orders: pd.DataFrame, employees: pd.DataFrame
) -> None:
    assert list(responses.columns[:-1]) == RESPONSE_COLUMNS  # last one is the added "month"
    assert list(tickets.columns) == TICKET_COLUMNS
    assert list(orders.columns) == ORDER_COLUMNS
    assert list(employees.columns) == EMPLOYEE_COLUMNS


def test_row_counts_are_in_the_documented_ranges(
    responses: pd.DataFrame, tickets: pd.DataFrame, orders: pd.DataFrame, employees: pd.DataFrame
) -> None:
    assert 27_000 <= len(responses) <= 33_000
    assert 0.9 * 24 * 600 <= len(tickets) <= 1.2 * 24 * 600
    assert 44_000 <= len(orders) <= 56_000
    assert 10_000 <= orders["Customer ID"].nunique() <= 13_000
    assert 0.85 * 24 * 120 <= len(employees) <= 1.15 * 24 * 120
    per_month = responses.groupby("month").size()
    assert len(per_month) == 24
    assert per_month.min() >= 800 and per_month.max() <= 2_000


def test_ids_are_unique_and_well_formed(
    responses: pd.DataFrame, tickets: pd.DataFrame, orders: pd.DataFrame
) -> None:
    for frame, column, pattern in (
        (responses, "Response ID", r"R_\d{6}"),
        (tickets, "Ticket", r"T-\d{6}"),
        (orders, "Order number", r"O-\d{7}"),
    ):
        assert frame[column].is_unique
        assert frame[column].str.fullmatch(pattern).all(), column
    for frame in (responses, tickets, orders):
        assert frame["Customer ID"].str.fullmatch(r"C\d{5}").all()


def test_customers_come_from_one_pool_and_keep_their_region(
    responses: pd.DataFrame, tickets: pd.DataFrame, orders: pd.DataFrame
) -> None:
    region_of = orders.groupby("Customer ID")["Region"].agg(["nunique", "first"])
    assert (region_of["nunique"] == 1).all()
    for frame in (responses, tickets):
        assert frame["Customer ID"].isin(region_of.index).all()
        assert (frame["Region"].to_numpy() == region_of.loc[frame["Customer ID"], "first"]).all()
    repeat_share = (orders.groupby("Customer ID").size() > 1).mean()
    assert 0.35 <= repeat_share <= 0.45


def test_scores_are_integers_within_their_scales(
    responses: pd.DataFrame, employees: pd.DataFrame
) -> None:
    for column, low, high in (
        (NPS, 0, 10),
        ("Overall satisfaction (1-5)", 1, 5),
        ("Easy to get what I needed (1-7)", 1, 7),
    ):
        values = responses[column]
        assert values.dtype.kind == "i", column
        assert values.between(low, high).all(), column
        assert values.nunique() == high - low + 1, column
    for column in RATINGS:
        values = responses[column]
        present = values.dropna()
        assert (present == np.round(present)).all(), column
        assert present.between(0, 5).all(), column
        assert 0.02 < values.isna().mean() < 0.15, column  # some skipped
        assert (present == 0).any() and (present >= 1).any(), column
    assert employees["eNPS (0-10)"].dtype.kind == "i"
    assert employees["eNPS (0-10)"].between(0, 10).all()


def test_scores_are_consistent_with_each_other(responses: pd.DataFrame) -> None:
    nps = responses[NPS]
    assert 20 <= 100 * (np.mean(nps >= 9) - np.mean(nps <= 6)) <= 40
    for column in ("Overall satisfaction (1-5)", "Easy to get what I needed (1-7)"):
        assert np.corrcoef(nps, responses[column])[0, 1] > 0.5, column
    delivery = responses["Rating: Delivery"]
    rated = delivery > 0
    assert np.corrcoef(nps[rated], delivery[rated])[0, 1] > 0.3
    by_channel = responses.assign(na=delivery == 0, staff=responses["Rating: Store staff"] > 0)
    shares = by_channel.groupby("Channel")[["na", "staff"]].mean()
    assert shares.loc["Store", "na"] > 0.4 > shares.loc["Web shop", "na"]  # store pickups
    assert shares.loc["Store", "staff"] > 0.8 > 0.2 > shares.loc["Web shop", "staff"]


def test_categories_and_languages(responses: pd.DataFrame, orders: pd.DataFrame) -> None:
    for frame in (responses, orders):
        pairs = set(zip(frame["Region"], frame["Country"], strict=True))
        assert pairs == set(REGIONS.items())
    assert 0.40 <= (responses["Country"] == "Denmark").mean() <= 0.50
    assert set(responses["Channel"]) == {"Web shop", "Store", "App", "Phone", "E-mail", "Social"}
    assert set(responses["Customer type"]) == {"New", "Returning", "Member"}
    assert set(orders["Channel"]) == {"Web shop", "Store", "App"}
    shares = pd.crosstab(responses["Country"], responses["Language"], normalize="index")
    assert set(shares.columns) == {"en", "de", "da"}
    assert 0.75 <= shares.loc["Denmark", "da"] <= 0.85 and shares.loc["Denmark", "de"] == 0
    assert 0.80 <= shares.loc["Germany", "de"] <= 0.90 and shares.loc["Germany", "da"] == 0


def test_timestamps_parse_and_lie_in_the_covered_months(
    responses: pd.DataFrame, tickets: pd.DataFrame, orders: pd.DataFrame, employees: pd.DataFrame
) -> None:
    for frame, column in (
        (responses, "Submitted"),
        (tickets, "Created"),
        (orders, "Order date"),
        (employees, "Submitted"),
    ):
        when = pd.to_datetime(frame[column], format=TIME_FORMAT)
        assert when.notna().all(), column
        assert when.min() >= FIRST_MONTH and when.max() < END, column
        assert when.is_monotonic_increasing, column


def test_local_times_exist_in_copenhagen(tickets: pd.DataFrame) -> None:
    for column in ("Created", "First reply", "Solved"):
        tickets[column].dt.tz_localize("Europe/Copenhagen", ambiguous="raise", nonexistent="raise")


def test_tickets_are_ordered_in_time(tickets: pd.DataFrame) -> None:
    assert (tickets["First reply"] > tickets["Created"]).all()
    solved = tickets.dropna(subset=["Solved"])
    assert (solved["Solved"] >= solved["First reply"]).all()
    still_open = tickets["Solved"].isna()
    assert 0.01 <= still_open.mean() <= 0.06
    last_month = tickets["Created"] >= END - pd.offsets.MonthBegin(1)
    assert still_open[last_month].mean() > 2 * still_open[~last_month].mean()
    hours = (solved["Solved"] - solved["Created"]).dt.total_seconds() / 3600
    assert 30 <= hours.median() <= 50
    assert hours.mean() > hours.median()  # skewed
    assert (tickets["Contacts"] >= 1).all() and (tickets["Contacts"] == 1).mean() > 0.6
    assert set(tickets["Priority"]) == {"low", "normal", "high"}
    assert set(tickets["Channel"]) == {"Phone", "E-mail", "Chat", "Social"}


def test_revenue_is_non_negative_and_skewed(demo: DemoSummary, orders: pd.DataFrame) -> None:
    revenue = orders["Revenue EUR"]
    assert (revenue >= 0).all()
    assert 20 <= revenue.median() <= 400
    assert 0.05 <= (revenue >= 500).mean() <= 0.2 and revenue.max() <= 3_000
    text = pd.read_csv(demo.files["orders"], dtype=str)["Revenue EUR"]
    assert text.str.fullmatch(r"\d+\.\d{2}").all()


# ----------------------------------------------------------------------------------- the stories


def test_seasonal_volume_peaks_in_november_and_december(responses: pd.DataFrame) -> None:
    per_month = responses.groupby("month").size()
    mean_2025 = per_month[per_month.index.str.startswith("2025")].mean()
    for month in ("2024-11", "2024-12", "2025-11", "2025-12"):
        assert per_month[month] > 1.15 * mean_2025, month
    summer = per_month[["2025-07", "2025-08"]].mean()
    assert summer < mean_2025


def test_delivery_problem_in_story_region_is_significant_and_local(
    responses: pd.DataFrame,
) -> None:
    changes = _region_changes(responses)
    story = changes.loc[STORY_REGION]
    assert story["n0"] >= 300 and story["n1"] >= 300
    assert story["z"] < 0 and story["p_holm"] < 0.05
    assert -50 <= story["delta"] <= -30
    others = changes.drop(index=STORY_REGION)
    assert not ((others["p_holm"] < 0.05) & (others["delta"] < -10)).any(), others
    assert others["delta"].abs().max() < 15


def test_story_region_delivery_ratings_and_satisfaction_drop(responses: pd.DataFrame) -> None:
    here = responses[responses["Region"] == STORY_REGION]
    base = here[here["month"].isin(STORY_BASELINE_MONTHS)]
    story = here[here["month"].isin(STORY_MONTHS)]

    def mean_rating(frame: pd.DataFrame) -> float:
        rated = frame["Rating: Delivery"]
        return float(rated[rated > 0].mean())

    assert mean_rating(story) < mean_rating(base) - 0.7
    csat = "Overall satisfaction (1-5)"
    assert story[csat].mean() < base[csat].mean() - 0.25
    elsewhere = responses[responses["Region"] != STORY_REGION]
    change = mean_rating(elsewhere[elsewhere["month"].isin(STORY_MONTHS)]) - mean_rating(
        elsewhere[elsewhere["month"].isin(STORY_BASELINE_MONTHS)]
    )
    assert abs(change) < 0.2


def test_delivery_dominates_story_detractor_comments(responses: pd.DataFrame) -> None:
    mask = (
        (responses["Region"] == STORY_REGION)
        & responses["month"].isin(STORY_MONTHS)
        & (responses[NPS] <= 6)
        & (responses["Comment"] != "")
    )
    comments = responses.loc[mask, "Comment"].str.lower()
    assert len(comments) >= 100
    counts = {theme: comments.str.contains(words).sum() for theme, words in THEME_WORDS.items()}
    assert max(counts, key=counts.__getitem__) == "delivery", counts
    assert counts["delivery"] >= 0.6 * len(comments)
    # Elsewhere and before, delivery is one complaint among several.
    before = (responses["month"].isin(STORY_BASELINE_MONTHS)) & (responses[NPS] <= 6)
    old = responses.loc[before & (responses["Comment"] != ""), "Comment"].str.lower()
    assert old.str.contains(THEME_WORDS["delivery"]).mean() < 0.45


def test_comments_are_in_the_response_language(responses: pd.DataFrame) -> None:
    written = responses[responses["Comment"] != ""]
    assert 0.50 <= (responses["Comment"] == "").mean() <= 0.60
    markers = {"en": r"\b(?:the|and|was|is|to|i|my)\b", "de": r"\b(?:der|die|das|und|ist|zu|ich)\b"}
    markers["da"] = r"\b(?:og|er|var|at|det|til|jeg|ikke)\b"
    for language, pattern in markers.items():
        texts = written.loc[written["Language"] == language, "Comment"].str.lower()
        assert texts.str.contains(pattern).mean() > 0.85, language
    assert written["Comment"].nunique() > 2_000


def test_first_response_halves_after_routing_change(tickets: pd.DataFrame) -> None:
    hours = (tickets["First reply"] - tickets["Created"]).dt.total_seconds() / 3600
    after = tickets["Created"] >= pd.Timestamp(ROUTING_CHANGE)
    before_median, after_median = hours[~after].median(), hours[after].median()
    assert after_median < before_median / 2
    assert 18 <= before_median <= 24 and 5 <= after_median <= 7
    assert hours.mean() > hours.median()  # skewed


def test_delivery_tickets_spike_in_story_region(tickets: pd.DataFrame) -> None:
    month = tickets["Created"].dt.strftime("%Y-%m")
    local = (tickets["Region"] == STORY_REGION) & (tickets["Category"] == "Delivery")
    assert (
        local[month.isin(STORY_MONTHS)].sum() > 3 * local[month.isin(STORY_BASELINE_MONTHS)].sum()
    )


def test_employee_pulse_has_small_groups_and_a_logistics_dip(employees: pd.DataFrame) -> None:
    month = employees["Submitted"].str[:7]
    sizes = employees.groupby([month, "Department"]).size().unstack(fill_value=0)
    departments = ["Marketing", "Sales", "Customer Service", "Logistics", "Product", "HR", "Stores"]
    assert sorted(sizes.columns) == sorted(departments)
    assert (sizes["HR"] < 5).any() and (sizes.drop(columns="HR").min() >= 5).all()
    logistics = employees[employees["Department"] == "Logistics"]
    in_story = logistics["Submitted"].str[:7].isin(STORY_MONTHS)
    score = logistics["eNPS (0-10)"].to_numpy()
    enps_story, _ = _nps_parts(score[in_story.to_numpy()])
    enps_rest, _ = _nps_parts(score[~in_story.to_numpy()])
    assert enps_story < enps_rest - 0.2


def test_some_comments_contain_fake_personal_data(responses: pd.DataFrame) -> None:
    comments = responses.loc[responses["Comment"] != "", "Comment"]
    emails = comments.str.findall(EMAIL_DOMAIN).explode().dropna()
    phones = comments[comments.str.contains(PHONE)]
    assert len(emails) >= 20 and len(phones) >= 20
    assert set(emails.str.lower()) <= {"example.com", "example.org", "example.net"}
    with_data = comments.str.contains(EMAIL) | comments.str.contains(PHONE)
    assert 0.01 <= with_data.mean() <= 0.05
    # All three phone styles appear: international, Danish local and German local.
    assert phones.str.contains(r"\+4[59] ").any()
    assert phones.str.contains(r"(?<![+\d])\b\d{2} \d{2} \d{2} \d{2}\b").any()
    assert phones.str.contains(r"\b0\d{2,4} \d{6,8}\b").any()


# ------------------------------------------------------------------------------- other arguments


def test_range_without_the_stories(tmp_path: Path) -> None:
    summary = generate_demo(tmp_path, months=3, end_month="2024-03")
    frames = {key: _read(path) for key, path in summary.files.items()}
    assert all(len(frame) > 100 for frame in frames.values())
    columns = {"responses": "Submitted", "tickets": "Created", "orders": "Order date"}
    for key, column in {**columns, "employees": "Submitted"}.items():
        when = pd.to_datetime(frames[key][column], format=TIME_FORMAT)
        assert when.min() >= pd.Timestamp("2024-01-01") and when.max() < pd.Timestamp("2024-04-01")
    tickets = frames["tickets"]
    first = pd.to_datetime(tickets["First reply"]) - pd.to_datetime(tickets["Created"])
    assert first.median() > pd.Timedelta(hours=12)  # before the routing change


@pytest.mark.parametrize(
    ("end_month", "months"), [("2026-10", 0), ("October", 24), ("2026-13", 24)]
)
def test_invalid_arguments_are_rejected(tmp_path: Path, end_month: str, months: int) -> None:
    with pytest.raises(ValueError):
        generate_demo(tmp_path, end_month=end_month, months=months)


# ------------------------------------------------------------------ the demo workshop's workbook


def test_demo_goal_baselines_are_the_data_of_2026_q3(
    responses: pd.DataFrame, tickets: pd.DataFrame
) -> None:
    from ruamel.yaml import YAML

    from cxlib.resources import templates_dir

    goals_file = templates_dir() / "demo" / "workbook" / "goals.yaml"
    goals = {g["id"]: g for g in YAML(typ="safe").load(goals_file.read_text("utf-8"))["goals"]}
    quarter = responses[responses["month"].isin(["2026-07", "2026-08", "2026-09"])]
    scores = quarter[NPS].dropna().to_numpy()
    nps = 100 * (np.mean(scores >= 9) - np.mean(scores <= 6))
    assert (goals["recommend"]["baseline"], goals["recommend"]["baseline_n"]) == (
        round(nps, 2),
        len(scores),
    )
    delivery = quarter["Rating: Delivery"]
    answered = delivery[delivery > 0]  # 0 = not applicable
    assert goals["delivery-rating"]["baseline"] == round(answered.mean(), 2)
    assert goals["delivery-rating"]["baseline_n"] == len(answered)
    created = tickets["Created"]
    in_quarter = tickets[(created >= "2026-07-01") & (created < "2026-10-01")].dropna(
        subset=["First reply"]
    )
    hours = (in_quarter["First reply"] - in_quarter["Created"]).dt.total_seconds() / 3600
    assert goals["first-answer"]["baseline"] == round(float(np.median(hours)), 2)
    assert goals["first-answer"]["baseline_n"] == len(hours)


def test_the_demo_workspace_has_its_workshop(demo_workspace: Path) -> None:
    from cxlib.actions import overdue
    from cxlib.workbook import Workbook
    from cxlib.workspace import load_workspace

    with Workbook.open(load_workspace(demo_workspace)) as workbook:
        assert [g.item.id for g in workbook.goals()] == [
            "recommend",
            "delivery-rating",
            "first-answer",
        ]
        measured = [t.item.measure for t in workbook.touchpoints() if t.item.measure]
        assert len(measured) == 8 and all(m in workbook.rules.kpis for m in measured)
        late = overdue([a.item for a in workbook.actions()], dt.date(2026, 11, 22))
        assert [a.id for a in late] == ["callback"]
