"""Command-line output: result frames as aligned tables, formula-safe CSV or JSON.

One place for what ``cx-workbook metrics``, ``drivers`` and the like print, so every command
writes JSON the same way (``{"schema_version": 1, "rows": [...]}``, missing values as ``null``)
and no CSV cell can run as a spreadsheet formula (:func:`cxlib.privacy.safe_cell`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from cxlib.errors import ParameterError
from cxlib.privacy import safe_cell

FORMATS = ("table", "csv", "json")


def plain(value: Any) -> Any:
    """A JSON-ready scalar: NaN and ``<NA>`` become None, numpy numbers Python numbers."""
    if isinstance(value, (float, np.floating)):
        return None if value != value else float(value)
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    if value is None or value is pd.NA:
        return None
    return value


def records(frame: pd.DataFrame, *, lists: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Rows as plain dicts; columns in ``lists`` hold comma-joined ids and become lists."""
    rows = []
    for record in frame.to_dict(orient="records"):
        rows.append(
            {
                key: [f for f in str(value).split(",") if f] if key in lists else plain(value)
                for key, value in record.items()
            }
        )
    return rows


def render(
    rows: list[dict[str, Any]],
    header: Sequence[str],
    fmt: str,
    *,
    document: dict[str, Any] | None = None,
    digits: int = 2,
    footer: str = "",
) -> str:
    """Render ``rows`` as ``table``, ``csv`` or ``json``.

    Parameters
    ----------
    document
        Extra top-level JSON fields (after ``schema_version``, before ``rows``).
    digits
        Decimals of floats in the table (CSV keeps 6 significant digits).
    footer
        A line printed under the table (not in CSV or JSON).
    """
    if fmt == "json":
        payload = {"schema_version": 1, **(document or {}), "rows": rows}
        return json.dumps(payload, ensure_ascii=False, indent=1)
    if fmt not in FORMATS:
        raise ParameterError(f"format must be one of {', '.join(FORMATS)}; got {fmt!r}.")
    cells = [[_cell(row[column], fmt, digits) for column in header] for row in rows]
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([list(header), *cells])
        return buffer.getvalue().rstrip("\n")
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(header)]
    lines = [[h.ljust(w) for h, w in zip(header, widths, strict=True)]]
    lines += [[c.ljust(w) for c, w in zip(row, widths, strict=True)] for row in cells]
    text = "\n".join("  ".join(line).rstrip() for line in lines)
    return f"{text}\n{footer}" if footer else text


def _cell(value: Any, fmt: str, digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.6g}" if fmt == "csv" else f"{value:.{digits}f}"
    return str(safe_cell(value)) if fmt == "csv" else str(value)
