"""Ticket metrics against hand computations, on pandas, polars and DuckDB."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from cxlib.errors import ParameterError
from cxlib.service import (
    backlog,
    first_contact_resolution,
    reopen_rate,
    sla_attainment,
    ticket_times,
)

SLA = {
    "first_response_hours": {"default": 24, "priority=high": 4},
    "resolution_hours": {"default": 72},
}


def at(*texts: str | None) -> pd.Series:
    return pd.Series(pd.to_datetime(list(texts), format="ISO8601", utc=True))


def tickets() -> pd.DataFrame:
    """Six tickets: one answered before it was created, one still open."""
    return pd.DataFrame(
        {
            "ticket_id": ["t1", "t2", "t3", "t4", "t5", "t6"],
            "created_at": at(
                "2025-01-06T08:00",
                "2025-01-06T09:00",
                "2025-01-20T10:00",
                "2025-02-03T08:00",
                "2025-02-10T08:00",
                "2025-02-11T08:00",
            ),
            "first_response_at": at(
                "2025-01-06T10:00",
                "2025-01-06T08:00",
                "2025-01-20T20:00",
                "2025-02-03T09:00",
                "2025-02-11T14:00",
                None,
            ),
            "resolved_at": at(
                "2025-01-07T08:00",
                "2025-01-09T09:00",
                "2025-02-02T10:00",
                "2025-02-03T12:00",
                "2025-02-20T08:00",
                None,
            ),
            "priority": ["high", "low", "high", "low", "low", "high"],
            "contacts": pd.array([1, 2, 1, 1, 3, 1], dtype="Int64"),
            "reopened": pd.array([0, 1, 0, 0, 0, None], dtype="Int64"),
        }
    )


def test_times_exclude_and_count_answers_before_creation(engine: Callable[..., Any]) -> None:
    result = ticket_times(engine(tickets())).set_index("measure")
    first = result.loc["first_response_hours"]
    # valid first responses: 2, 10, 1, 30 hours; t2 answered before creation is excluded
    assert (first["n"], first["excluded"]) == (4, 1)
    assert first["median"] == pytest.approx(np.quantile([2, 10, 1, 30], 0.5))
    assert first["p90"] == pytest.approx(np.quantile([2, 10, 1, 30], 0.9))
    resolution = result.loc["resolution_hours"]
    assert resolution["n"] == 5 and resolution["excluded"] == 0
    assert resolution["p90"] == pytest.approx(np.quantile([24, 72, 312, 4, 240], 0.9))


def test_times_by_month_agree_across_engines(engine: Callable[..., Any]) -> None:
    expected = ticket_times(tickets(), by=["priority"], grain="month")
    got = ticket_times(engine(tickets()), by=["priority"], grain="month")
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, atol=1e-9)
    assert expected["period"].unique().tolist() == ["2025-01", "2025-02"]


def test_sla_targets_per_priority(engine: Callable[..., Any]) -> None:
    result = sla_attainment(engine(tickets()), SLA).set_index("measure")
    first = result.loc["first_response_hours"]
    # t1 high 2h ≤ 4 ✓, t3 high 10h > 4 ✗, t4 low 1h ≤ 24 ✓, t5 low 30h > 24 ✗
    assert (first["n"], first["hits"]) == (4, 2)
    low, high = proportion_confint(2, 4, method="wilson")
    assert (first["ci_low"], first["ci_high"]) == pytest.approx((100 * low, 100 * high))
    resolution = result.loc["resolution_hours"]
    assert (resolution["n"], resolution["hits"]) == (5, 3)


def test_sla_without_a_default_measures_only_matching_tickets() -> None:
    result = sla_attainment(tickets(), {"first_response_hours": {"priority=high": 4}})
    assert result.iloc[0]["n"] == 2 and result.iloc[0]["hits"] == 1


def test_sla_falls_back_to_an_explicit_flag_and_refuses_bad_rules() -> None:
    data = tickets().assign(sla_met=pd.array([1, 0, 1, None, 1, 0], dtype="Int64"))
    row = sla_attainment(data, {}).iloc[0]
    assert (row["measure"], row["n"], row["hits"]) == ("sla_met", 5, 3)
    with pytest.raises(ParameterError, match="no SLA targets and no sla_met column"):
        sla_attainment(tickets(), {})
    with pytest.raises(ParameterError, match="SLA measure 'reply_hours' is not known"):
        sla_attainment(tickets(), {"reply_hours": {"default": 1}})
    with pytest.raises(ParameterError, match="SLA rule 'priority' is not 'default' or"):
        sla_attainment(tickets(), {"resolution_hours": {"priority": 1}})


def test_first_contact_resolution_and_reopen_rate(engine: Callable[..., Any]) -> None:
    fcr = first_contact_resolution(engine(tickets())).iloc[0]
    # resolved: t1..t5; with one contact: t1, t3, t4
    assert (fcr["n"], fcr["hits"], fcr["value"]) == (5, 3, 60.0)
    reopen = reopen_rate(engine(tickets()), by=["priority"]).set_index("priority")
    assert reopen.loc["low", "hits"] == 1 and reopen.loc["low", "n"] == 3
    assert reopen.loc["high", "value"] == 0
    with pytest.raises(ParameterError, match="unknown option"):
        reopen_rate(tickets(), grains="month")


def test_backlog_counts_open_tickets_at_each_period_end(engine: Callable[..., Any]) -> None:
    result = backlog(engine(tickets()), grain="month")
    # January: 3 opened, 2 resolved (t1, t2); February: 3 opened, 3 resolved (t3, t4, t5)
    assert result["period"].tolist() == ["2025-01", "2025-02"]
    assert result["open"].tolist() == [1, 1]
    assert result["excluded"].tolist() == [0, 0]
    weekly = backlog(tickets(), grain="week", by=["priority"])
    assert weekly.groupby("priority")["open"].last().to_dict() == {"high": 1, "low": 0}


def test_unknown_dimension_lists_the_columns() -> None:
    with pytest.raises(ParameterError, match="dimension 'region' is not a column of the data"):
        ticket_times(tickets(), by=["region"])
    with pytest.raises(ParameterError, match="need first_response_at or resolved_at"):
        ticket_times(tickets()[["ticket_id", "created_at"]])


def test_empty_tickets_give_empty_numbers() -> None:
    row = first_contact_resolution(tickets().iloc[:0]).iloc[0]
    assert row["n"] == 0 and math.isnan(row["value"])


def test_real_incident_log_times(shared_data: Any) -> None:
    log = pd.read_csv(
        shared_data / "it_incident_event_log" / "incident_event_log.csv",
        usecols=["number", "opened_at", "resolved_at", "priority", "made_sla"],
        na_values=["?"],
    ).drop_duplicates("number", keep="last")
    frame = pd.DataFrame(
        {
            "ticket_id": log["number"],
            "created_at": pd.to_datetime(log["opened_at"], format="%d/%m/%Y %H:%M", utc=True),
            "resolved_at": pd.to_datetime(log["resolved_at"], format="%d/%m/%Y %H:%M", utc=True),
            "priority": log["priority"],
            "sla_met": log["made_sla"].astype("Int64"),
        }
    )
    times = ticket_times(frame).iloc[0]
    hours = (frame["resolved_at"] - frame["created_at"]).dt.total_seconds() / 3600
    assert times["excluded"] == int((hours < 0).sum())
    assert times["median"] == pytest.approx(hours[hours >= 0].median())
    assert sla_attainment(frame, {}).iloc[0]["n"] == len(frame)
