"""Engine plumbing shared by the computation modules (metrics, service, loyalty).

Everything here is written once with narwhals expressions, so pandas (the default), polars,
DuckDB and PySpark frames go through the same code (PySpark is tested by ``make test-spark``,
see docs/spark.md):

* :func:`prepare` wraps a native frame, checks the columns asked for and adds the integer
  period key ``_period`` (and filters to a reporting period) from a UTC timestamp read in the
  workspace's time zone;
* :func:`aggregate` groups by the keys, computes the aggregations and collects the (small) result
  into a pandas frame, with the period key turned into its label (``2026-W07``, ``2026-09``,
  ``2026-Q3``, ``2026``).

Period keys are integers computed row by row (ISO week: ``iso_year × 100 + week``; month:
``year × 100 + month``; quarter: ``year × 10 + quarter``; year: ``year``), so engines group on
the same values, and labels are made only for the few result rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import narwhals as nw
import pandas as pd

from cxlib.errors import ParameterError, did_you_mean

#: Period grains, finest first.
GRAINS = ("week", "month", "quarter", "year")
PERIOD = "period"
_KEY = "_period"
_LOCAL = "_local"


class PeriodLike(Protocol):
    """A reporting period: first day included and first day after (``None`` for all data)."""

    @property
    def start(self) -> dt.date | None: ...

    @property
    def end(self) -> dt.date | None: ...


def check_grain(grain: str | None) -> None:
    """Refuse a grain that is not one of :data:`GRAINS`."""
    if grain is not None and grain not in GRAINS:
        raise ParameterError(
            f"grain must be one of {', '.join(GRAINS)}; got {grain!r}.{did_you_mean(grain, GRAINS)}"
        )


def check_columns(columns: Sequence[str], wanted: Sequence[str], *, what: str) -> None:
    """Refuse ``wanted`` names missing from ``columns``, listing the ones there are.

    Internal columns (starting with ``_``) are not offered.
    """
    offered = [c for c in columns if not c.startswith("_")]
    for name in wanted:
        if name not in columns:
            raise ParameterError(
                f"{what} '{name}' is not a column of the data.{did_you_mean(name, offered)}",
                hint=f"Columns there are: {', '.join(offered) or 'none'}.",
            )


def prepare(
    frame: Any,
    *,
    needed: Sequence[str],
    by: Sequence[str] = (),
    grain: str | None = None,
    period: PeriodLike | None = None,
    timestamp: str = "submitted_at",
    timezone: str = "UTC",
) -> tuple[Any, list[str]]:
    """Wrap ``frame`` for narwhals, check columns, add the period key, filter to ``period``.

    Returns
    -------
    (narwhals frame, group keys)
        Rows without a timestamp are left out when a grain or a period is asked for.
    """
    check_grain(grain)
    data = nw.from_native(frame)
    columns = list(data.collect_schema().names())
    check_columns(columns, list(needed), what="column")
    check_columns(columns, list(by), what="dimension")
    keys = list(by)
    bounded = period is not None and period.start is not None and period.end is not None
    if grain is None and not bounded:
        return data, keys
    check_columns(columns, [timestamp], what="timestamp column")
    data = _with_local_time(data.filter(~nw.col(timestamp).is_null()), timestamp, timezone)
    local = nw.col(_LOCAL)
    if bounded:
        assert period is not None and period.start is not None and period.end is not None
        day = _part(local.dt.year()) * 10000 + _part(local.dt.month()) * 100
        day = day + _part(local.dt.day())
        data = data.filter((day >= _day_number(period.start)) & (day < _day_number(period.end)))
    if grain is not None:
        data = data.with_columns(**{_KEY: _period_key(local, grain)})
        keys.append(_KEY)
    return data, keys


def aggregate(
    data: Any, keys: Sequence[str], aggregations: Mapping[str, nw.Expr], *, grain: str | None
) -> pd.DataFrame:
    """Group ``data`` by ``keys`` (all rows when none), aggregate, collect to a pandas frame.

    The period key becomes the ``period`` label column; rows are sorted by the keys.
    """
    keys = list(keys)
    result = data.group_by(keys).agg(**aggregations) if keys else data.select(**aggregations)
    if isinstance(result, nw.LazyFrame):
        # through Arrow: DuckDB's own pandas conversion trips a pandas deprecation on timestamps
        result = result.collect(backend="pyarrow")
    out: pd.DataFrame = result.to_pandas()
    if keys:
        out = out.sort_values(keys, kind="stable", na_position="last").reset_index(drop=True)
    if _KEY in out.columns:
        out[_KEY] = [period_label(int(k), grain or "month") for k in out[_KEY]]
        out = out.rename(columns={_KEY: PERIOD})
    return out


def group_keys(by: Sequence[str], grain: str | None) -> list[str]:
    """The key columns of a result: the ``by`` dimensions, then ``period`` with a grain."""
    return [*by, PERIOD] if grain is not None else list(by)


def period_label(key: int, grain: str) -> str:
    """The label of an integer period key (see the module docstring)."""
    if grain == "week":
        return f"{key // 100}-W{key % 100:02d}"
    if grain == "month":
        return f"{key // 100}-{key % 100:02d}"
    if grain == "quarter":
        return f"{key // 10}-Q{key % 10}"
    return str(key)


def _day_number(day: dt.date) -> int:
    return day.year * 10000 + day.month * 100 + day.day


def _with_local_time(data: Any, timestamp: str, timezone: str) -> Any:
    """Add ``_local``: the wall-clock time of ``timestamp`` in ``timezone`` (naive = UTC)."""
    dtype = data.collect_schema()[timestamp]
    aware = isinstance(dtype, nw.Datetime) and dtype.time_zone is not None
    if _is_pyspark(data):
        return _spark_local_date(data, timestamp, timezone, aware=aware)
    if data.implementation.is_duckdb():
        # DuckDB keeps the zone in the connection, so narwhals cannot convert: use its own
        # timezone() (a naive local TIMESTAMP); naive input is read as UTC first.
        native = data.to_native()
        zone = timezone.replace("'", "")
        column = '"' + timestamp.replace('"', '""') + '"'
        source = column if aware else f"timezone('UTC', {column})"
        return nw.from_native(native.project(f"*, timezone('{zone}', {source}) AS {_LOCAL}"))
    utc = nw.col(timestamp) if aware else nw.col(timestamp).dt.replace_time_zone("UTC")
    return data.with_columns(**{_LOCAL: utc.dt.convert_time_zone(timezone)})


def _is_pyspark(data: Any) -> bool:
    implementation = data.implementation
    return bool(implementation.is_pyspark() or implementation.is_pyspark_connect())


def _spark_local_date(data: Any, timestamp: str, timezone: str, *, aware: bool) -> Any:
    """Add ``_local`` on PySpark: the calendar date of ``timestamp`` in ``timezone``.

    PySpark keeps the zone in the session, so narwhals converts only to the session's zone.
    Only the local date is needed (periods are whole days), and it is computed without the
    session zone: ``from_utc_timestamp`` shifts a TIMESTAMP (an instant) by the zone's offset at
    that instant, and its microseconds since the epoch, floored to whole days, are the local
    date; a TIMESTAMP_NTZ (naive = UTC) goes through ``convert_timezone('UTC', zone, …)``.
    """
    zone = timezone.replace("\\", "").replace("'", "")
    column = "`" + timestamp.replace("`", "``") + "`"
    if aware:
        shifted = f"unix_micros(from_utc_timestamp({column}, '{zone}'))"
        local = f"date_from_unix_date(CAST(floor({shifted} / 86400000000) AS INT))"
    else:
        local = f"CAST(convert_timezone('UTC', '{zone}', {column}) AS DATE)"
    return nw.from_native(data.to_native().selectExpr("*", f"{local} AS {_LOCAL}"))


def hours_between(frame: Any, start: str, end: str, *, what: str) -> nw.Expr:
    """Hours from ``start`` to ``end`` (negative when ``end`` is earlier), as an expression.

    narwhals has no duration arithmetic on PySpark, where a TIMESTAMP cast to DOUBLE is the
    seconds since the epoch (also in ANSI mode, Spark ≥ 3.3); a TIMESTAMP_NTZ cannot be cast,
    so it is refused with a :class:`ParameterError` naming ``what`` (the operation).
    """
    data = nw.from_native(frame)
    if not _is_pyspark(data):
        return (nw.col(end) - nw.col(start)).dt.total_seconds() / 3600
    schema = data.collect_schema()
    for name in (start, end):
        dtype = schema.get(name)
        if isinstance(dtype, nw.Datetime) and dtype.time_zone is None:
            raise ParameterError(
                f"{what} on PySpark need time-zone-aware timestamps; '{name}' is a "
                "TIMESTAMP_NTZ column, and PySpark cannot take the hours between naive stamps.",
                column=name,
                hint=f"Give '{name}' as a TIMESTAMP (an instant, e.g. from a UTC pandas column).",
            )
    return (nw.col(end).cast(nw.Float64) - nw.col(start).cast(nw.Float64)) / 3600


def _part(expr: nw.Expr) -> nw.Expr:
    # engines return small integer types (polars: Int8 months) that overflow in arithmetic
    return expr.cast(nw.Int64)


def _period_key(local: nw.Expr, grain: str) -> nw.Expr:
    year = _part(local.dt.year())
    if grain == "year":
        return year
    month = _part(local.dt.month())
    if grain == "month":
        return year * 100 + month
    if grain == "quarter":
        return year * 10 + (month - 1) // 3 + 1
    # ISO 8601 week: the week belongs to the year of its Thursday. Weekday is 1 (Monday) … 7
    # (Sunday); narwhals on PySpark gives 0 for Sunday, which (w + 6) % 7 + 1 maps to 7 while
    # leaving 1 … 7 unchanged on every engine.
    weekday = (_part(local.dt.weekday()) + 6) % 7 + 1
    thursday = _part(local.dt.ordinal_day()) - weekday + 4
    days = 365 + _is_leap(year)
    days_before = 365 + _is_leap(year - 1)
    iso_year = (
        nw.when(thursday < 1).then(year - 1).when(thursday > days).then(year + 1).otherwise(year)
    )
    day_of_iso_year = (
        nw.when(thursday < 1)
        .then(thursday + days_before)
        .when(thursday > days)
        .then(thursday - days)
        .otherwise(thursday)
    )
    return iso_year * 100 + (day_of_iso_year - 1) // 7 + 1


def _is_leap(year: nw.Expr) -> nw.Expr:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return leap.cast(nw.Int64)
