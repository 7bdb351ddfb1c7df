"""Seeded generator of the *Nordlys Home* demo workspace.

Nordlys Home is a fictional home-furnishing retailer selling in Denmark and Germany. The demo
contains survey responses, support tickets, orders and an employee pulse, all drawn from one
seeded random generator, so the same seed and arguments always give byte-identical files.

The data hides three stories an analysis should find:

1. Seasonality: most volume in November and December, a small NPS dip in December and slightly
   better summers.
2. A delivery problem: a new carrier in :data:`STORY_REGION` during :data:`STORY_MONTHS` makes NPS
   fall by about 40 points against :data:`STORY_BASELINE_MONTHS`; detractors there complain
   about late or damaged deliveries, while the other regions stay stable.
3. Faster support: tickets created on or after :data:`ROUTING_CHANGE` get a first reply after
   about 6 hours instead of about 21 hours.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cxlib.demo_texts import LANGUAGES, THEMES, compose_comments
from cxlib.resources import templates_dir

__all__ = [
    "DEMO_SEED",
    "ROUTING_CHANGE",
    "STORY_BASELINE_MONTHS",
    "STORY_MONTHS",
    "STORY_REGION",
    "WORKSPACE_TEMPLATE",
    "DemoSummary",
    "generate_demo",
]

DEMO_SEED: int = 2026
STORY_REGION = "Hamburg"
STORY_MONTHS = ("2025-10", "2025-11", "2025-12")
STORY_BASELINE_MONTHS = ("2025-07", "2025-08", "2025-09")
ROUTING_CHANGE = "2025-09-01"

#: The demo's configuration, written next to the data verbatim; also a starting point for users.
WORKSPACE_TEMPLATE = templates_dir() / "demo" / "workspace.yaml"

_FILES = {
    "responses": "data/survey_responses.csv",
    "tickets": "data/support_tickets.csv",
    "orders": "data/orders.csv",
    "employees": "data/employee_pulse.csv",
}
_DANISH_REGIONS = ["Hovedstaden", "Midtjylland", "Syddanmark"]
_GERMAN_REGIONS = ["Hamburg", "Berlin", "Nordrhein-Westfalen", "Bayern"]
_REGIONS = np.array(_DANISH_REGIONS + _GERMAN_REGIONS)
_COUNTRIES = np.array(["Denmark"] * len(_DANISH_REGIONS) + ["Germany"] * len(_GERMAN_REGIONS))
_REGION_P = np.array([0.22, 0.13, 0.10, 0.13, 0.14, 0.16, 0.12])
_REGION_MOOD = np.array([0.06, 0.0, -0.03, 0.0, -0.04, -0.05, 0.05])
_HAMBURG = int(np.flatnonzero(_REGIONS == STORY_REGION)[0])
# Relative volume per calendar month (mean 1) and each calendar month's shift of satisfaction.
_SEASON = np.array([0.85, 0.8, 1.05, 1.1, 1.05, 0.9, 0.8, 0.85, 0.95, 1.0, 1.3, 1.35])
_MONTH_MOOD = np.array([0, 0, 0, 0, 0, 0.03, 0.05, 0.04, 0, 0, 0, -0.06])

_CHANNELS = np.array(["Web shop", "Store", "App", "Phone", "E-mail", "Social"])
_CHANNEL_P = np.array([0.38, 0.25, 0.14, 0.08, 0.10, 0.05])
_CHANNEL_MOOD = np.array([0.0, 0.1, 0.05, -0.15, -0.1, -0.2])
_SEGMENTS, _SEGMENT_MOOD = np.array(["New", "Returning", "Member"]), np.array([-0.05, 0.0, 0.12])
# Where pain points come from, per channel (rows: _CHANNELS, columns: THEMES).
_THEME_P = np.array(
    [
        [0.30, 0.10, 0.00, 0.15, 0.15, 0.15, 0.08, 0.07],
        [0.08, 0.05, 0.30, 0.20, 0.17, 0.00, 0.10, 0.10],
        [0.25, 0.08, 0.00, 0.12, 0.13, 0.30, 0.06, 0.06],
        [0.25, 0.40, 0.00, 0.08, 0.10, 0.02, 0.10, 0.05],
        [0.25, 0.35, 0.00, 0.08, 0.10, 0.02, 0.12, 0.08],
        [0.20, 0.30, 0.05, 0.15, 0.10, 0.10, 0.05, 0.05],
    ]
)
_DELIVERY = THEMES.index("delivery")
_RATINGS = (
    "Website",
    "Product range",
    "Checkout",
    "Delivery",
    "Store staff",
    "Customer service",
    "Returns",
    "Assembly instructions",
)
# The rating each theme's pain point hurts (price: none) and how often ratings apply per channel.
_THEME_RATING = np.array([3, 5, 4, -1, 1, 0, 6, 7])
_APPLIES = np.array(
    [
        [0.95, 0.95, 0.90, 0.90, 0.05, 0.25, 0.15, 0.40],
        [0.15, 0.95, 0.90, 0.35, 0.95, 0.15, 0.15, 0.35],
        [0.95, 0.90, 0.90, 0.90, 0.05, 0.20, 0.15, 0.40],
        [0.30, 0.70, 0.40, 0.70, 0.05, 0.95, 0.30, 0.30],
        [0.35, 0.70, 0.40, 0.70, 0.05, 0.95, 0.35, 0.30],
        [0.50, 0.80, 0.40, 0.60, 0.10, 0.80, 0.20, 0.30],
    ]
)

_ORDER_CHANNELS, _ORDER_CHANNEL_P = np.array(["Web shop", "Store", "App"]), [0.55, 0.30, 0.15]
_TICKET_CHANNELS = np.array(["Phone", "E-mail", "Chat", "Social"])
_TICKET_CHANNEL_P = [0.30, 0.35, 0.25, 0.10]
_CATEGORIES = np.array(
    ["Delivery", "Product defect", "Returns", "Billing", "Assembly", "Order change", "Other"]
)
_CATEGORY_P = np.array([0.25, 0.15, 0.18, 0.10, 0.10, 0.14, 0.08])
_CATEGORY_HOURS = np.array([1.5, 1.4, 1.2, 0.6, 0.8, 0.5, 0.7])
_PRIORITIES, _PRIORITY_SPEED = np.array(["low", "normal", "high"]), np.array([1.3, 1.0, 0.3])
_DEPARTMENTS = np.array(
    ["Marketing", "Sales", "Customer Service", "Logistics", "Product", "HR", "Stores"]
)
_DEPARTMENT_P = np.array([0.12, 0.15, 0.22, 0.18, 0.12, 0.035, 0.175])
_DEPARTMENT_ENPS = np.array([8.2, 7.9, 7.6, 7.8, 8.4, 8.1, 7.7])
_LOGISTICS = int(np.flatnonzero(_DEPARTMENTS == "Logistics")[0])


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`generate_demo` wrote.

    Attributes
    ----------
    directory
        The workspace directory (contains ``workspace.yaml`` and ``data/``).
    files
        Path of each data file, keyed ``responses``, ``tickets``, ``orders``, ``employees``.
    rows
        Number of data rows of each file, with the same keys.
    """

    directory: Path
    files: dict[str, Path]
    rows: dict[str, int]


@dataclass(frozen=True)
class _Calendar:
    """The covered months: ``YYYY-MM`` labels, first instants, lengths, months of the year."""

    labels: np.ndarray
    starts: np.ndarray
    days: np.ndarray
    month_of_year: np.ndarray
    end: np.datetime64
    dst_days: np.ndarray

    @property
    def size(self) -> int:
        return len(self.labels)

    def index_of(self, months: tuple[str, ...]) -> np.ndarray:
        """Positions of those of the given months that lie in the range."""
        return np.flatnonzero(np.isin(self.labels, months))

    def month(self, pos: np.ndarray) -> np.ndarray:
        """Month index of fractional month positions."""
        return np.minimum(pos.astype(np.int64), self.size - 1)


def _calendar(end_month: str, months: int) -> _Calendar:
    if months < 1:
        raise ValueError(f"months must be at least 1, got {months}")
    try:
        periods = pd.period_range(end=pd.Period(end_month, freq="M"), periods=months, freq="M")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"end_month must look like '2026-10', got {end_month!r}") from exc
    # Clocks change at 02:00 local time on the last Sundays of March and October.
    last = [
        pd.Timestamp(y, m, 31)
        for y in range(periods[0].year, periods[-1].year + 1)
        for m in (3, 10)
    ]
    sundays = [d - pd.Timedelta(days=(d.day_of_week + 1) % 7) for d in last]
    return _Calendar(
        labels=np.asarray(periods.strftime("%Y-%m"), dtype=object),
        starts=periods.start_time.to_numpy().astype("datetime64[s]"),
        days=np.asarray(periods.days_in_month, dtype=np.int64),
        month_of_year=np.asarray(periods.month, dtype=np.int64),
        end=(periods[-1] + 1).start_time.to_datetime64().astype("datetime64[s]"),
        dst_days=np.array([d.to_datetime64() for d in sundays], dtype="datetime64[D]"),
    )


def _seasonal(unit: np.ndarray, cal: _Calendar) -> np.ndarray:
    """Map uniform numbers in ``[0, 1)`` to fractional month positions, following the season."""
    weights = _SEASON[cal.month_of_year - 1]
    cdf = np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    return np.interp(unit, cdf, np.arange(cal.size + 1, dtype=float))


def _timestamps(
    rng: np.random.Generator, pos: np.ndarray, cal: _Calendar, hour: float, spread: float
) -> np.ndarray:
    """Local timestamps for fractional month positions; hour of day ~ N(hour, spread), 6-24."""
    month = cal.month(pos)
    day = np.floor((pos - month) * cal.days[month]).astype(np.int64)
    hours = 6.0 + np.abs(rng.normal(hour - 6.0, spread, len(pos))) % 18.0
    seconds = day * 86_400 + (hours * 3600).astype(np.int64)
    return cal.starts[month] + seconds.astype("timedelta64[s]")


def _later(ts: np.ndarray, hours: np.ndarray, cal: _Calendar) -> np.ndarray:
    """``ts`` plus ``hours`` (at least a minute), skipping the hour clocks jump over or repeat."""
    later = ts + np.maximum(hours * 3600, 60).astype("timedelta64[s]")
    day = later.astype("datetime64[D]")
    hour = (later - day.astype("datetime64[s]")).astype(np.int64) // 3600
    return np.where(np.isin(day, cal.dst_days) & (hour == 2), later + np.timedelta64(1, "h"), later)


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    numbers = pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)
    return (prefix + numbers).to_numpy(dtype=object)


def _draw_theme(rng: np.random.Generator, channel: np.ndarray) -> np.ndarray:
    """A theme per row, drawn from the channel's row of ``_THEME_P``."""
    cumulative = np.cumsum(_THEME_P[channel], axis=1)
    return (rng.random(len(channel))[:, None] * cumulative[:, -1:] < cumulative).argmax(axis=1)


def _sorted(frame: pd.DataFrame, by: str, id_column: str, prefix: str, width: int) -> pd.DataFrame:
    """Sort rows by time and number them in that order."""
    frame = frame.sort_values(by, kind="stable").reset_index(drop=True)
    frame.insert(0, id_column, _ids(prefix, len(frame), width))
    return frame


def _customers(rng: np.random.Generator, cal: _Calendar) -> pd.DataFrame:
    """The customer pool: region, membership, number of orders and preferred order channel."""
    n = 500 * cal.size
    repeat = rng.random(n) < 0.4
    extra = 1 + rng.negative_binomial(1.5, 1.5 / (1.5 + 6.9), n)
    return pd.DataFrame(
        {
            "id": _ids("C", n, max(5, len(str(n)))),
            "region": rng.choice(len(_REGIONS), size=n, p=_REGION_P),
            "member": rng.random(n) < np.where(repeat, 0.45, 0.15),
            "orders": 1 + np.where(repeat, extra, 0),
            "channel": rng.choice(3, size=n, p=_ORDER_CHANNEL_P),
        }
    )


def _orders(rng: np.random.Generator, cal: _Calendar, cust: pd.DataFrame) -> pd.DataFrame:
    """Orders; a repeat customer's orders fall into a personal window of activity."""
    counts = cust["orders"].to_numpy()
    owner = np.repeat(np.arange(len(cust)), counts)
    n = len(owner)
    width = np.where(counts > 1, rng.exponential(0.35, len(cust)) + 0.03, 0.0)
    start = rng.uniform(-width, 1.0)
    low, high = np.maximum(start, 0.0), np.minimum(start + width, 1.0)
    raw = low[owner] + rng.random(n) * (high - low)[owner]
    # Ranks keep each customer's sequence of orders and make the overall spread exactly uniform.
    unit = (np.argsort(np.argsort(raw, kind="stable"), kind="stable") + rng.random(n)) / n
    channel = np.where(
        rng.random(n) < 0.75,
        cust["channel"].to_numpy()[owner],
        rng.choice(3, size=n, p=_ORDER_CHANNEL_P),
    )
    furniture = rng.random(n) < np.where(channel == 1, 0.18, 0.10)
    revenue = np.where(
        furniture,
        np.clip(rng.lognormal(np.log(1000), 0.45, n), 450, 3000),
        np.clip(rng.lognormal(np.log(90), 0.8, n), 4.95, 480),
    )
    region = cust["region"].to_numpy()[owner]
    frame = pd.DataFrame(
        {
            "Customer ID": cust["id"].to_numpy()[owner],
            "Order date": _timestamps(rng, _seasonal(unit, cal), cal, 15.0, 3.5),
            "Revenue EUR": np.round(revenue, 2),
            "Channel": _ORDER_CHANNELS[channel],
            "Country": _COUNTRIES[region],
            "Region": _REGIONS[region],
        }
    )
    return _sorted(frame, "Order date", "Order number", "O-", 7)


def _responses(rng: np.random.Generator, cal: _Calendar, cust: pd.DataFrame) -> pd.DataFrame:
    """Survey responses; one latent satisfaction per response drives all scores."""
    n = int(rng.poisson(1250 * _SEASON[cal.month_of_year - 1].sum()))
    pos = _seasonal(rng.random(n), cal)
    month = cal.month(pos)
    weight = np.sqrt(cust["orders"].to_numpy())
    who = rng.choice(len(cust), size=n, p=weight / weight.sum())
    region, orders = cust["region"].to_numpy()[who], cust["orders"].to_numpy()[who]
    segment = np.where(cust["member"].to_numpy()[who], 2, np.where(orders == 1, 0, 1))
    channel = rng.choice(len(_CHANNELS), size=n, p=_CHANNEL_P)
    danish = _COUNTRIES[region] == "Denmark"
    local = np.where(danish, LANGUAGES.index("da"), LANGUAGES.index("de"))
    lang = np.where(rng.random(n) < np.where(danish, 0.8, 0.85), local, LANGUAGES.index("en"))
    mood = (
        _REGION_MOOD[region]
        + _CHANNEL_MOOD[channel]
        + _SEGMENT_MOOD[segment]
        + _MONTH_MOOD[cal.month_of_year[month] - 1]
        + rng.normal(0.0, 0.9, n)
    )
    # A pain point pulls satisfaction down and hurts the matching rating; the new carrier in
    # the story region causes many delivery pain points.
    theme, issue = _draw_theme(rng, channel), rng.random(n) < 0.25
    story = (region == _HAMBURG) & np.isin(month, cal.index_of(STORY_MONTHS))
    carrier = story & (rng.random(n) < np.where(channel == 1, 0.2, 0.47))
    issue, theme = issue | carrier, np.where(carrier, _DELIVERY, theme)
    mood -= issue * rng.normal(1.1, 0.3, n) + carrier * 0.6
    tail = 1.5 * np.minimum(mood + 0.9, 0.0)  # the unhappy stretch down to 0
    nps = _scale(8.85 + 1.7 * mood + tail + rng.normal(0, 0.6, n), 0, 10)
    frame = pd.DataFrame(
        {
            "Submitted": _timestamps(rng, pos, cal, 14.0, 4.0),
            "Customer ID": cust["id"].to_numpy()[who],
            "Country": _COUNTRIES[region],
            "Region": _REGIONS[region],
            "Channel": _CHANNELS[channel],
            "Customer type": _SEGMENTS[segment],
            "Language": np.array(LANGUAGES)[lang],
            "Likelihood to recommend (0-10)": nps,
            "Overall satisfaction (1-5)": _scale(4.0 + 0.8 * mood + rng.normal(0, 0.5, n), 1, 5),
            "Easy to get what I needed (1-7)": _scale(5.7 + mood + rng.normal(0, 0.8, n), 1, 7),
        }
    )
    hurt = np.where(issue, _THEME_RATING[theme], -1)
    for k, name in enumerate(_RATINGS):
        value = 4.0 + 0.65 * mood + rng.normal(0, 0.7, n) - (hurt == k) * rng.normal(1.8, 0.5, n)
        if name == "Delivery":
            value -= carrier * 0.8
        applies = (hurt == k) | (rng.random(n) < _APPLIES[channel, k])
        rating = pd.Series(np.where(applies, _scale(value, 1, 5), 0), dtype="Int64")
        rating[rng.random(n) < 0.06] = pd.NA
        frame[f"Rating: {name}"] = rating
    group = np.where(nps >= 9, 2, np.where(nps >= 7, 1, 0))
    frame["Comment"] = compose_comments(
        rng, lang, group, np.where(issue, theme, -1), _draw_theme(rng, channel), danish
    )
    return _sorted(frame, "Submitted", "Response ID", "R_", 6)


def _scale(value: np.ndarray, low: int, high: int) -> np.ndarray:
    """Round to an integer score within ``[low, high]``."""
    return np.clip(np.rint(value), low, high).astype(np.int64)


def _tickets(rng: np.random.Generator, cal: _Calendar, cust: pd.DataFrame) -> pd.DataFrame:
    """Support tickets; extra delivery tickets in the story region, faster replies after routing."""
    n = int(rng.poisson(600 * _SEASON[cal.month_of_year - 1].sum()))
    story = cal.index_of(STORY_MONTHS)
    extra = rng.poisson(90, len(story))
    pos = np.concatenate(
        [_seasonal(rng.random(n), cal), np.repeat(story, extra) + rng.random(int(extra.sum()))]
    )
    total = len(pos)
    created = _timestamps(rng, pos, cal, 12.5, 3.0)
    weight = cust["orders"].to_numpy().astype(float)
    local = np.flatnonzero(cust["region"].to_numpy() == _HAMBURG)
    who = np.concatenate(
        [
            rng.choice(len(cust), size=n, p=weight / weight.sum()),
            rng.choice(local, size=total - n, p=weight[local] / weight[local].sum()),
        ]
    )
    category = np.concatenate(
        [rng.choice(len(_CATEGORIES), size=n, p=_CATEGORY_P), np.zeros(total - n, dtype=np.int64)]
    )
    priority = rng.choice(3, size=total, p=[0.25, 0.6, 0.15])
    priority = np.where((category <= 1) & (rng.random(total) < 0.15), 2, priority)
    routed = created >= np.datetime64(ROUTING_CHANGE, "s")
    median = np.where(routed, 7.0, 24.0) * _PRIORITY_SPEED[priority]
    first_hours = rng.lognormal(np.log(median), 0.85)
    solve_hours = rng.lognormal(np.log(22.0), 1.0, total) * _CATEGORY_HOURS[category]
    first = _later(created, first_hours, cal)
    solved = _later(first, solve_hours, cal)
    still_open = (rng.random(total) < 0.025) | (solved >= cal.end)
    frame = pd.DataFrame(
        {
            "Created": created,
            "First reply": first,
            "Solved": np.where(still_open, np.datetime64("NaT", "s"), solved),
            "Channel": _TICKET_CHANNELS[rng.choice(4, size=total, p=_TICKET_CHANNEL_P)],
            "Category": _CATEGORIES[category],
            "Priority": _PRIORITIES[priority],
            "Contacts": 1 + rng.poisson(0.15 + 0.3 * (first_hours > 24) + 0.2 * (solve_hours > 72)),
            "Region": _REGIONS[cust["region"].to_numpy()[who]],
            "Customer ID": cust["id"].to_numpy()[who],
        }
    )
    return _sorted(frame, "Created", "Ticket", "T-", 6)


def _employees(rng: np.random.Generator, cal: _Calendar) -> pd.DataFrame:
    """Monthly employee pulse; Logistics is unhappy during the delivery problem."""
    n = int(rng.poisson(120 * cal.size))
    pos = rng.uniform(0, cal.size, n)
    department = rng.choice(len(_DEPARTMENTS), size=n, p=_DEPARTMENT_P)
    dip = (department == _LOGISTICS) & np.isin(cal.month(pos), cal.index_of(STORY_MONTHS))
    score = _DEPARTMENT_ENPS[department] - 1.3 * dip + rng.normal(0, 1.8, n)
    frame = pd.DataFrame(
        {
            "Submitted": _timestamps(rng, pos, cal, 11.0, 2.5),
            "Department": _DEPARTMENTS[department],
            "eNPS (0-10)": _scale(score, 0, 10),
        }
    )
    return frame.sort_values("Submitted", kind="stable").reset_index(drop=True)


def generate_demo(
    directory: str | os.PathLike[str],
    *,
    seed: int = DEMO_SEED,
    end_month: str = "2026-10",
    months: int = 24,
) -> DemoSummary:
    """Write the Nordlys Home demo workspace.

    Parameters
    ----------
    directory
        Workspace directory; it and its ``data/`` folder are created when missing. The files
        the generator writes are overwritten, other files are left alone.
    seed
        Seed of the random generator; the same seed and arguments give byte-identical files.
    end_month
        Last covered month, ``YYYY-MM``.
    months
        Number of covered months, ending with ``end_month``.

    Returns
    -------
    DemoSummary
        The directory, the data files and their row counts.

    Raises
    ------
    ValueError
        If ``end_month`` is not a month or ``months`` is below 1.
    """
    cal = _calendar(end_month, months)
    root = Path(directory)
    (root / "data").mkdir(parents=True, exist_ok=True)
    # One independent stream per table, so each table only depends on the seed and the range.
    streams = np.random.SeedSequence(seed).spawn(len(_FILES) + 1)
    rng = {
        key: np.random.default_rng(s)
        for key, s in zip([*_FILES, "customers"], streams, strict=True)
    }
    customers = _customers(rng["customers"], cal)
    frames = {
        "responses": _responses(rng["responses"], cal, customers),
        "tickets": _tickets(rng["tickets"], cal, customers),
        "orders": _orders(rng["orders"], cal, customers),
        "employees": _employees(rng["employees"], cal),
    }
    (root / "workspace.yaml").write_bytes(WORKSPACE_TEMPLATE.read_bytes())
    files = {key: root / _FILES[key] for key in frames}
    for key, frame in frames.items():
        frame.to_csv(
            files[key],
            index=False,
            lineterminator="\n",
            encoding="utf-8",
            float_format="%.2f",
            date_format="%Y-%m-%d %H:%M:%S",
        )
    rows = {key: len(frame) for key, frame in frames.items()}
    return DemoSummary(directory=root, files=files, rows=rows)
