"""Pre-aggregated survey counts: every period × segment figure without touching raw rows again.

A dashboard filter change must not re-read or re-scan the responses. :func:`build_cube` scans
them once and keeps, per local calendar month and per value of each dimension (and for all rows),
the sums the survey metrics are made of — answers, promoters, detractors, top-box hits, and with
survey weights Σw, Σw², Σw·1[…] — plus the newest timestamp. :meth:`Cube.compute` then adds up
the cells of any whole-month period and one segment and finishes them with the very formulas of
:func:`cxlib.metrics.compute` (adjusted Wald, Wilson, Kish's effective n), so every figure, its
interval and its n equal what :mod:`cxlib.metrics` gives on the filtered rows (counts exactly;
weighted sums up to float rounding, ≤ 1e-9).

Rows without a timestamp count for "all data" only, as in :meth:`cxlib.page.Page.select`; a
segment matches rows whose dimension value equals it (missing values match no segment).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import narwhals as nw
import pandas as pd

from cxlib import _stats
from cxlib._frames import aggregate, check_columns, prepare
from cxlib.errors import ParameterError, did_you_mean
from cxlib.metrics import MIN_N, WEIGHT, Metric, _finish, _indicators

__all__ = ["ALL", "Cube", "SegmentLike", "build_cube"]

#: The ``dimension`` of the cells that hold all rows (no segment).
ALL = ""
#: The ``month`` of rows without a timestamp (they count for "all data" only).
UNDATED = ""
_LATEST = "_latest"
_NEGATIVE = "_weight_negative"


class SegmentLike(Protocol):
    """A ``dimension = value`` filter (:class:`cxlib.params.Segment`)."""

    @property
    def dimension(self) -> str: ...

    @property
    def value(self) -> str: ...


class PeriodLike(Protocol):
    """A reporting period (:class:`cxlib.periods.Period`); ``start`` is ``None`` for all data."""

    @property
    def start(self) -> dt.date | None: ...

    @property
    def end(self) -> dt.date | None: ...


@dataclass(frozen=True)
class Cube:
    """Sums of the survey metrics per month and per dimension value (see the module docstring).

    Attributes
    ----------
    cells
        One row per (``dimension``, ``value``, ``month``): ``dimension`` is :data:`ALL` for the
        cells of all rows, ``month`` the local ``YYYY-MM`` (:data:`UNDATED` without a timestamp),
        then the metric sums and ``_latest``, the newest timestamp (UTC) of the cell's rows.
    metrics
        Name → :class:`cxlib.metrics.Metric`, as given to :func:`build_cube`.
    dimensions
        The dimensions with cells.
    weight
        The weight column the sums are weighted by, or ``None``.
    dated
        True when the rows had a timestamp column (periods can apply).
    """

    cells: pd.DataFrame
    metrics: Mapping[str, Metric]
    dimensions: tuple[str, ...]
    weight: str | None
    dated: bool

    def months(self) -> list[str]:
        """The local months (``YYYY-MM``) that have rows, oldest first."""
        months = self.cells.loc[self.cells["month"] != UNDATED, "month"]
        return sorted(set(months))

    def values(self, dimension: str) -> list[Any]:
        """The values of ``dimension`` present in the rows, sorted (missing values left out)."""
        self._check_dimension(dimension)
        return sorted(set(self.cells.loc[self.cells["dimension"] == dimension, "value"]))

    def compute(
        self,
        *,
        period: PeriodLike | None = None,
        segment: SegmentLike | None = None,
        grain: str | None = None,
        confidence: float = 0.95,
        min_n: int = MIN_N,
    ) -> dict[str, pd.DataFrame]:
        """The metrics of the rows in ``period`` and ``segment``, from the sums alone.

        Returns exactly what :func:`cxlib.metrics.compute` returns for the same metrics on the
        filtered rows (with ``grain="month"``: one row per month, column ``period``).

        Parameters
        ----------
        period
            All data (``None`` or a period without bounds) or a period of whole local months.
        segment
            One dimension value, or ``None`` for all rows.
        grain
            ``None`` (one row) or ``"month"``.

        Raises
        ------
        ParameterError
            For a period that does not start and end on the first of a month, a bounded period
            when the rows had no timestamp, an unknown dimension or value, another grain.
        """
        if grain not in (None, "month"):
            raise ParameterError(f"a cube computes grain None or 'month'; got {grain!r}.")
        if min_n < 0:
            raise ParameterError(f"min_n must be 0 or more; got {min_n!r}.")
        z = _stats.z_value(confidence)
        cells = self._select(period, segment)
        sums = [c for c in self.cells.columns if c.startswith("_") and c != _LATEST]
        if grain is None:
            counts = cells[sums].sum().to_frame().T
            keys: list[str] = []
        else:
            dated = cells[cells["month"] != UNDATED]
            counts = (
                dated.groupby("month", sort=True)[sums].sum().reset_index()
                .rename(columns={"month": "period"})
            )  # fmt: skip
            keys = ["period"]
        weighted = self.weight is not None
        return {
            name: _finish(counts, keys, f"_{i}", spec, z, min_n, weighted=weighted)
            for i, (name, spec) in enumerate(self.metrics.items())
        }

    def latest(
        self, *, period: PeriodLike | None = None, segment: SegmentLike | None = None
    ) -> pd.Timestamp | None:
        """The newest timestamp (UTC) of the rows in ``period`` and ``segment``, if any."""
        newest = self._select(period, segment)[_LATEST].dropna()
        return None if newest.empty else pd.Timestamp(newest.max())

    def _check_dimension(self, dimension: str) -> None:
        if dimension not in self.dimensions:
            raise ParameterError(
                f"the cube has no dimension '{dimension}'."
                f"{did_you_mean(dimension, self.dimensions)}",
                hint=f"Dimensions: {', '.join(self.dimensions) or 'none'}.",
            )

    def _select(self, period: PeriodLike | None, segment: SegmentLike | None) -> pd.DataFrame:
        cells = self.cells
        if segment is None:
            cells = cells[cells["dimension"] == ALL]
        else:
            self._check_dimension(segment.dimension)
            cells = cells[cells["dimension"] == segment.dimension]
            if not (cells["value"] == segment.value).any():
                values = sorted(map(str, set(cells["value"])))
                raise ParameterError(
                    f"segment '{segment.dimension}={segment.value}': no rows have "
                    f"{segment.dimension} '{segment.value}'.{did_you_mean(segment.value, values)}",
                    hint=f"Values: {', '.join(values[:12])}.",
                )
            cells = cells[cells["value"] == segment.value]
        if period is None or period.start is None or period.end is None:
            return cells
        if not self.dated:
            raise ParameterError(
                "the rows have no timestamp, so a period cannot apply; ask for all data."
            )
        first, after = _month_bounds(period.start, period.end)
        return cells[(cells["month"] >= first) & (cells["month"] < after)]


def _month_bounds(start: dt.date, end: dt.date) -> tuple[str, str]:
    if start.day != 1 or end.day != 1:
        raise ParameterError(
            f"a cube holds whole months; the period {start.isoformat()} … {end.isoformat()} "
            "does not start and end on the first of a month.",
            hint="Use a year, quarter or month (2026, 2026-Q3, 2026-09), or the raw rows.",
        )
    return f"{start.year}-{start.month:02d}", f"{end.year}-{end.month:02d}"


def build_cube(
    frame: Any,
    metrics: Mapping[str, Metric],
    *,
    dimensions: Sequence[str] = (),
    timestamp: str = "submitted_at",
    timezone: str = "UTC",
    weight: str | None = "auto",
) -> Cube:
    """Scan ``frame`` once and keep the sums of ``metrics`` per month and dimension value.

    Parameters
    ----------
    frame
        A pandas, polars or DuckDB frame of responses; it is not changed.
    metrics
        Name → :class:`cxlib.metrics.Metric` (``nps``, ``share`` or ``mean``).
    dimensions
        Columns whose values are segments; each must exist.
    timestamp
        The UTC timestamp column; when the frame lacks it, only "all data" can be asked for.
    timezone
        The zone in which months are calendar months (the workspace's).
    weight
        As in :func:`cxlib.metrics.compute`: ``"auto"`` weights by a ``weight`` column when
        there is one, a name by that column, ``None`` not at all.

    Raises
    ------
    ParameterError
        For a missing column, an unknown metric kind or a negative weight.
    """
    data = nw.from_native(frame)
    columns = list(data.collect_schema().names())
    if weight == "auto":
        weight = WEIGHT if WEIGHT in columns else None
    needed = sorted({spec.column for spec in metrics.values()} | ({weight} if weight else set()))
    check_columns(columns, needed, what="column")
    check_columns(columns, list(dimensions), what="dimension")
    for spec in metrics.values():
        if spec.kind not in ("nps", "share", "mean"):
            raise ParameterError(f"metric kind must be nps, share or mean; got {spec.kind!r}.")
        if spec.kind == "share" and spec.at_least is None:
            raise ParameterError(f"share of '{spec.column}' needs at_least (the lowest hit).")
    indicators: dict[str, nw.Expr] = {}
    for i, spec in enumerate(metrics.values()):
        indicators.update(_indicators(f"_{i}", spec, weight))
    if weight:
        indicators[_NEGATIVE] = (nw.col(weight) < 0).cast(nw.Int64)
    dated = timestamp in columns
    sums: dict[str, nw.Expr] = {name: nw.col(name).sum() for name in indicators}
    parts: list[pd.DataFrame] = []
    undated = data
    if dated:
        # one pass of time-zone arithmetic: the month key is added once, then grouped by each
        # dimension in turn (only the sums of the small groups leave the engine)
        sums[_LATEST] = nw.col(timestamp).max()
        stamped, keys = prepare(
            data.filter(~nw.col(timestamp).is_null()).to_native(),
            needed=[], by=list(dimensions), grain="month", timestamp=timestamp, timezone=timezone,
        )  # fmt: skip
        stamped = stamped.with_columns(**indicators)
        month_key = keys[-1]
        for dimension in (ALL, *dimensions):
            by = [dimension, month_key] if dimension else [month_key]
            parts.append(_label(aggregate(stamped, by, sums, grain="month"), dimension))
        undated = data.filter(nw.col(timestamp).is_null())
    undated = undated.with_columns(**indicators)
    for dimension in (ALL, *dimensions):
        plain = aggregate(undated, [dimension] if dimension else [], sums, grain=None)
        plain = _label(plain.assign(period=UNDATED), dimension)
        counts = plain[[c for c in plain.columns if c.startswith("_") and c != _LATEST]]
        parts.append(plain[(counts.fillna(0) != 0).any(axis=1)])  # no undated rows: no cell
    cells = pd.concat(parts, ignore_index=True)
    if weight and cells[_NEGATIVE].sum() > 0:
        negative = int(cells.loc[cells["dimension"] == ALL, _NEGATIVE].sum())
        raise ParameterError(
            f"survey weights must be 0 or more; '{weight}' has {negative} negative values.",
            column=weight,
        )
    if not dated:
        cells[_LATEST] = pd.NaT
    return Cube(cells, dict(metrics), tuple(dimensions), weight, dated)


def _label(part: pd.DataFrame, dimension: str) -> pd.DataFrame:
    """Cells of one dimension in the cube's layout; rows whose value is missing are dropped."""
    if dimension:
        part = part[part[dimension].notna()].rename(columns={dimension: "value"})
    else:
        part = part.assign(value=None)
    part = part.assign(dimension=dimension).rename(columns={"period": "month"})
    return part[["dimension", "value", "month", *[c for c in part.columns if c.startswith("_")]]]
