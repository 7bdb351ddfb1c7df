"""Which report sets to build: one, or one per value of ``--by`` dimensions found in the data.

A report set is the workbook's notebooks run for one period and one segment. ``by`` names at
most one workspace dimension (a notebook filters on one ``dimension=value`` segment) and/or
``month``, the grain: one set per month of the period that has responses. Values come from the
responses, within the period. Before any kernel starts, the selection is checked against the
responses, so that a period without data or a segment value that does not exist fails fast with
one line (the pages would fail on them one by one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from cxlib.errors import ParameterError, did_you_mean
from cxlib.params import Parameters
from cxlib.workspace import Workspace, require_dimension

#: The grain ``--by`` accepts besides the workspace's dimensions.
MONTH = "month"
_TIME = "submitted_at"


class UsageError(ParameterError):
    """Options that contradict each other, whatever the workspace holds (CLI exit status 2)."""


@dataclass(frozen=True)
class ReportSet:
    """One set of reports: the notebooks' ``period`` and ``segment``, and what tells it apart.

    ``label`` is ``""`` for a single set, else e.g. ``region=Hamburg`` or ``2025-10``.
    """

    period: str
    segment: str
    label: str = ""


def check_by(by: Sequence[str], segment: str) -> tuple[str | None, bool]:
    """Check the ``by`` options on their own; return (the dimension or None, by month?).

    Raises
    ------
    UsageError
        For two dimensions, or a dimension that ``segment`` already fixes.
    """
    names = list(dict.fromkeys(name.strip() for name in by if name.strip()))
    month = MONTH in names
    dimensions = [name for name in names if name != MONTH]
    if len(dimensions) > 1:
        raise UsageError(
            f"--by {' --by '.join(dimensions)}: a report filters on one dimension at a time.",
            hint=f"Give one dimension, optionally with --by {MONTH}.",
        )
    dimension = dimensions[0] if dimensions else None
    if dimension is not None and segment.strip():
        fixed = segment.partition("=")[0].strip()
        if fixed == dimension:
            raise UsageError(
                f"--by {dimension} with --segment {segment.strip()}: the segment already fixes "
                f"{dimension}, so there is nothing to split by.",
                hint=f"Drop --segment to get one report set per {dimension}, or drop --by.",
            )
        raise UsageError(
            f"--by {dimension} with --segment {segment.strip()}: a report filters on one "
            "dimension at a time.",
            hint=f"Drop --segment, or split by {MONTH} instead.",
        )
    return dimension, month


def plan_sets(params: Parameters, by: Sequence[str] = (), *, period: str = "") -> list[ReportSet]:
    """The report sets to build for validated ``params``, split by ``by``.

    Parameters
    ----------
    params
        The validated period, segment, language and workspace.
    by
        Dimension names and/or ``month``; empty for one set.
    period
        The period as the user wrote it (relative periods are passed on as written).

    Raises
    ------
    UsageError
        See :func:`check_by`.
    ParameterError
        For a dimension the workspace lacks, a segment value no response has, a period or
        selection without responses, or ``month`` without dates.
    """
    segment = params.segment.label if params.segment else ""
    dimension, month = check_by(by, segment)
    if dimension is not None:
        _require_by_dimension(params.workspace, dimension)
    if dimension is None and not month and params.segment is None and params.period.is_all:
        return [ReportSet(period, segment)]  # nothing to check: all data, all customers
    frame = _responses(params.workspace)
    if frame is None:  # no survey: nothing to check against, and nothing to split
        if dimension is not None or month:
            raise ParameterError(
                "--by needs survey responses, and the workspace has no 'responses' source.",
                hint="Map one under 'sources: responses:' in workspace.yaml.",
            )
        return [ReportSet(period, segment)]
    selected = _select(frame, params, params.workspace.timezone)
    if dimension is None and not month:
        return [ReportSet(period, segment)]
    keys: list[str] = []
    if dimension is not None:
        if dimension not in selected.columns:
            raise ParameterError(
                f"--by {dimension}: the responses do not carry {dimension}.",
                hint=f"Map a column to '{dimension}' under 'sources: responses: columns:'.",
            )
        keys.append(dimension)
    if month:
        if _TIME not in selected.columns or selected[_TIME].isna().all():
            raise ParameterError(
                f"--by {MONTH} needs dates, and the responses have none ({_TIME} is not mapped).",
                hint=f"Map '{_TIME}' under 'sources: responses: columns:'.",
            )
        local = selected[_TIME].dt.tz_convert(params.workspace.timezone).dt.tz_localize(None)
        selected = selected.assign(_month=local.dt.strftime("%Y-%m"))
        keys.append("_month")
    groups = selected[keys].dropna().astype(str).drop_duplicates().sort_values(keys)
    sets = []
    for row in groups.itertuples(index=False):
        values = dict(zip(keys, row, strict=True))
        set_segment = f"{dimension}={values[dimension]}" if dimension is not None else segment
        set_period = values.get("_month", period)
        label = " · ".join(v for v in (set_segment if dimension else "", values.get("_month")) if v)
        sets.append(ReportSet(set_period, set_segment, label))
    return sets


def _require_by_dimension(workspace: Workspace, dimension: str) -> None:
    try:
        require_dimension(workspace, dimension, what="--by ")
    except ParameterError as error:
        shown = ", ".join((*workspace.dimensions, MONTH))
        raise ParameterError(error.message, hint=f"--by takes one of: {shown}.") from None


def _responses(workspace: Workspace) -> pd.DataFrame | None:
    if "responses" not in workspace.sources:
        return None
    from cxlib.sources import load_table

    return load_table(workspace, "responses").frame


def _select(frame: pd.DataFrame, params: Parameters, timezone: str) -> pd.DataFrame:
    """The responses of the period and segment; an error when a filter leaves none."""
    segment = params.segment
    if segment is not None and segment.dimension in frame.columns:
        values = frame[segment.dimension].dropna().unique().tolist()
        if segment.value not in values:
            shown = sorted(map(str, values))
            raise ParameterError(
                f"segment '{segment.label}': no responses have {segment.dimension} "
                f"'{segment.value}'.{did_you_mean(segment.value, shown)}",
                hint=f"Values: {', '.join(shown[:12])}{' …' if len(shown) > 12 else ''}.",
            )
        frame = frame[frame[segment.dimension] == segment.value]
    period = params.period
    if not period.is_all and _TIME in frame.columns and frame[_TIME].notna().any():
        inside = frame[period.mask(frame[_TIME], timezone)]
        if inside.empty:
            raise ParameterError(
                f"period '{period.label}' has no responses"
                f"{f' for {segment.label}' if segment else ''}; {_data_range(frame, timezone)}.",
                hint="Choose a period inside that range, or leave --period out for all data.",
            )
        frame = inside
    return frame


def _data_range(frame: pd.DataFrame, timezone: str) -> str:
    local = frame[_TIME].dropna().dt.tz_convert(timezone)
    if local.empty:
        return "there are none at all"
    return f"they run from {local.min():%Y-%m-%d} to {local.max():%Y-%m-%d}"
