"""Order and customer metrics on Spark DataFrames equal the pandas engine."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
from test_loyalty import at, orders

from cxlib.loyalty import churn_rate, lifetime_value, repurchase_rate, rfm
from cxlib.periods import parse_period

Same = Callable[[pd.DataFrame, pd.DataFrame], None]
ToSpark = Callable[[pd.DataFrame], Any]


def test_repurchase_rate(to_spark: ToSpark, assert_same: Same) -> None:
    got = repurchase_rate(to_spark(orders()))
    assert_same(got, repurchase_rate(orders()))
    assert (got.iloc[0]["n"], got.iloc[0]["hits"]) == (4, 2)
    assert_same(
        repurchase_rate(to_spark(orders()), by=["channel"]),
        repurchase_rate(orders(), by=["channel"]),
    )
    in_2024 = parse_period("2024")
    assert_same(
        repurchase_rate(to_spark(orders()), period=in_2024, timezone="Europe/Copenhagen"),
        repurchase_rate(orders(), period=in_2024, timezone="Europe/Copenhagen"),
    )


def test_churn_from_inactivity_and_from_flags(to_spark: ToSpark, assert_same: Same) -> None:
    year = parse_period("2025")
    assert_same(
        churn_rate(None, orders=to_spark(orders()), period=year),
        churn_rate(None, orders=orders(), period=year),
    )
    customers = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "churned": pd.array([1, 0, 1, 1, None], dtype="Int64"),
            "started_at": at("2023-01-01", "2024-01-01", "2024-05-01", "2025-03-01", None),
            "ended_at": at("2025-04-01", None, "2024-09-01", "2025-05-01", None),
        }
    )
    assert_same(churn_rate(to_spark(customers)), churn_rate(customers))
    assert_same(churn_rate(to_spark(customers), period=year), churn_rate(customers, period=year))


def test_lifetime_value_and_rfm(to_spark: ToSpark, assert_same: Same) -> None:
    options = {"margin": 0.35, "discount": 0.08, "retention": 0.8}
    got = dataclasses.asdict(lifetime_value(to_spark(orders()), **options))
    expected = dataclasses.asdict(lifetime_value(orders(), **options))
    assert got == pytest.approx(expected, abs=1e-9)
    as_of = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
    assert_same(rfm(to_spark(orders()), as_of=as_of), rfm(orders(), as_of=as_of))
