"""Ticket metrics on Spark DataFrames equal the pandas engine (the main suite's cases)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from test_service import SLA, tickets

from cxlib.errors import ParameterError
from cxlib.service import (
    backlog,
    first_contact_resolution,
    reopen_rate,
    sla_attainment,
    ticket_times,
)

Same = Callable[[pd.DataFrame, pd.DataFrame], None]
ToSpark = Callable[[pd.DataFrame], Any]


def test_time_quantiles_and_exclusions(to_spark: ToSpark, assert_same: Same) -> None:
    got = ticket_times(to_spark(tickets()))
    assert_same(got, ticket_times(tickets()))
    first = got.set_index("measure").loc["first_response_hours"]
    assert (first["n"], first["excluded"]) == (4, 1)
    # linear interpolation (Hyndman & Fan 7): Spark's exact percentile, not percentile_approx
    assert first["median"] == pytest.approx(np.quantile([2, 10, 1, 30], 0.5), abs=1e-9)
    assert first["p90"] == pytest.approx(np.quantile([2, 10, 1, 30], 0.9), abs=1e-9)


def test_times_by_priority_and_month(to_spark: ToSpark, assert_same: Same) -> None:
    options: dict[str, Any] = {"by": ["priority"], "grain": "month", "timezone": "Europe/Berlin"}
    got = ticket_times(to_spark(tickets()), **options)
    assert_same(got, ticket_times(tickets(), **options))
    assert got["period"].unique().tolist() == ["2025-01", "2025-02"]


def test_sla_fcr_reopen_and_backlog(to_spark: ToSpark, assert_same: Same) -> None:
    data = tickets()
    assert_same(sla_attainment(to_spark(data), SLA), sla_attainment(data, SLA))
    assert_same(first_contact_resolution(to_spark(data)), first_contact_resolution(data))
    assert_same(reopen_rate(to_spark(data), by=["priority"]), reopen_rate(data, by=["priority"]))
    assert_same(backlog(to_spark(data), grain="month"), backlog(data, grain="month"))
    assert_same(
        backlog(to_spark(data), grain="week", by=["priority"]),
        backlog(data, grain="week", by=["priority"]),
    )


def test_naive_spark_timestamps_are_refused_for_ticket_times(to_spark: ToSpark) -> None:
    # a TIMESTAMP_NTZ column: narwhals has no duration arithmetic on PySpark, and a naive stamp
    # cannot be cast to seconds, so cxlib says so instead of computing something else
    naive = to_spark(tickets()).selectExpr(
        "* EXCEPT (created_at)", "CAST(created_at AS TIMESTAMP_NTZ) AS created_at"
    )
    message = r"ticket times on PySpark need time-zone-aware timestamps; 'created_at'"
    with pytest.raises(ParameterError, match=message) as caught:
        ticket_times(naive)
    assert caught.value.column == "created_at"
    with pytest.raises(ParameterError, match=message):
        first_contact_resolution(naive)
