"""Repurchase, churn, lifetime value and RFM against hand computations and real data."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from cxlib.errors import ParameterError
from cxlib.loyalty import churn_rate, lifetime_value, repurchase_rate, rfm
from cxlib.periods import parse_period


def at(*texts: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(texts), format="ISO8601", utc=True))


def orders() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "order_id": [f"o{i}" for i in range(7)],
            "customer_id": ["a", "a", "b", "c", "c", "c", "d"],
            "ordered_at": at(
                "2024-03-01",
                "2025-02-01",
                "2024-06-01",
                "2024-01-10",
                "2024-05-01",
                "2025-06-30",
                "2023-01-01",
            ),
            "revenue": [100.0, 50.0, 80.0, 20.0, 30.0, 40.0, 500.0],
            "channel": ["web", "store", "web", "web", "web", "store", "store"],
        }
    )


def test_repurchase_rate(engine: Callable[..., Any]) -> None:
    row = repurchase_rate(engine(orders())).iloc[0]
    assert (row["n"], row["hits"]) == (4, 2)
    low, high = proportion_confint(2, 4, method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * low, 100 * high))
    by = repurchase_rate(engine(orders()), by=["channel"]).set_index("channel")
    assert by.loc["web", "hits"] == 1 and by.loc["web", "n"] == 3  # c twice on the web
    in_2024 = repurchase_rate(orders(), period=parse_period("2024")).iloc[0]
    assert (in_2024["n"], in_2024["hits"]) == (3, 1)


def test_churn_from_inactivity(engine: Callable[..., Any]) -> None:
    # 2025 with a 365-day window: active at its start: a (2024-03), b (2024-06), c (2024-05);
    # d ordered last in 2023. Lost by the end: b (no order after 2024-06 → inactive in 2025)
    # and a (last 2025-02-01 < 2025-12-31 − 365 days? no: 2025-02-01 ≥ 2025-01-01)
    row = churn_rate(None, orders=engine(orders()), period=parse_period("2025")).iloc[0]
    assert (row["n"], row["hits"]) == (3, 1)
    with pytest.raises(ParameterError, match="churn from inactivity needs a period"):
        churn_rate(None, orders=orders())
    with pytest.raises(ParameterError, match="churn needs a churned column"):
        churn_rate(pd.DataFrame({"customer_id": ["a"]}))


def test_churn_flag_wins_and_uses_end_dates(engine: Callable[..., Any]) -> None:
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "churned": pd.array([1, 0, 1, 1, None], dtype="Int64"),
            "started_at": at("2023-01-01", "2024-01-01", "2024-05-01", "2025-03-01", None),
            "ended_at": at("2025-04-01", None, "2024-09-01", "2025-05-01", None),
        }
    )
    overall = churn_rate(engine(customers), orders=orders()).iloc[0]
    assert (overall["n"], overall["hits"]) == (4, 3)
    in_2025 = churn_rate(engine(customers), period=parse_period("2025")).iloc[0]
    # at the start of 2025: a, b (c ended 2024, d started 2025, e has no flag); lost: a
    assert (in_2025["n"], in_2025["hits"]) == (2, 1)


def test_telco_churn_equals_the_share_of_yes(shared_data: Any) -> None:
    raw = pd.read_csv(shared_data / "telco_customer_churn" / "WA_Fn-UseC_-Telco-Customer-Churn.csv")
    customers = pd.DataFrame(
        {
            "customer_id": raw["customerID"],
            "churned": (raw["Churn"] == "Yes").astype("Int64"),
            "tenure_months": raw["tenure"],
            "contract": raw["Contract"],
        }
    )
    row = churn_rate(customers).iloc[0]
    assert row["n"] == len(raw) == 7043
    assert row["value"] == pytest.approx(100 * (raw["Churn"] == "Yes").mean())
    by = churn_rate(customers, by=["contract"]).set_index("contract")
    expected = raw.groupby("Contract")["Churn"].apply(lambda s: 100 * (s == "Yes").mean())
    assert by["value"].to_dict() == pytest.approx(expected.to_dict())


def test_lifetime_value_by_hand() -> None:
    value = lifetime_value(orders(), margin=0.35, discount=0.08, retention=0.8)
    revenue, customers = 820.0, 4
    years = ((pd.Timestamp("2025-06-30") - pd.Timestamp("2023-01-01")).days + 1) / 365.25
    assert value.historic == pytest.approx(revenue / customers)
    assert value.yearly_revenue == pytest.approx(revenue / customers / years)
    assert value.formula == pytest.approx(
        0.35 * 0.8 / (1 + 0.08 - 0.8) * revenue / customers / years
    )
    with pytest.raises(ParameterError, match=r"retention must lie between 0 and 1; got 1\.5"):
        lifetime_value(orders(), margin=0.35, discount=0.08, retention=1.5)
    empty = lifetime_value(orders().iloc[:0], margin=0.3, discount=0.1, retention=0.5)
    assert empty.customers == 0 and math.isnan(empty.formula)


def test_rfm_scores_and_segments(engine: Callable[..., Any]) -> None:
    result = rfm(engine(orders()), as_of=dt.datetime(2025, 7, 1, tzinfo=dt.UTC))
    assert result["customer_id"].tolist() == ["a", "b", "c", "d"]
    assert result["frequency"].tolist() == [2, 1, 3, 1]
    assert result["monetary"].tolist() == [150.0, 80.0, 90.0, 500.0]
    assert result.set_index("customer_id")["r"].to_dict() == {"a": 4, "b": 3, "c": 5, "d": 2}
    assert result.set_index("customer_id")["segment"].to_dict() == {
        "a": "champions",
        "b": "needs_attention",
        "c": "champions",
        "d": "lost",
    }
    assert result["r"].between(1, 5).all() and result["m"].between(1, 5).all()
