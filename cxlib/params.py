"""Validate the parameters every workbook notebook takes (papermill checks none of them).

The notebooks' ``parameters`` cell holds ``workspace``, ``period``, ``segment``, ``language`` and
``mode``; the cell after it calls :func:`validate_parameters`, and ``cx-workbook report`` calls the
same function before it starts a kernel, so a bad value fails fast with one clear line.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from cxlib.errors import ParameterError, did_you_mean
from cxlib.i18n import LANGUAGES
from cxlib.periods import Period, parse_period
from cxlib.workspace import Workspace, load_workspace, require_dimension

MODES = ("report", "interactive")
#: Environment variable naming the workspace when the notebook parameter is empty (Voila).
WORKSPACE_ENV = "CX_WORKSPACE"
#: Set in report kernels: the report template carries the Vega bundle once, so the page (and every
#: kernel) need not (see cxlib.report_run and cxlib.page).
REPORT_ENV = "CX_WORKBOOK_REPORT"


@dataclass(frozen=True)
class Segment:
    """A ``dimension=value`` filter."""

    dimension: str
    value: str

    @property
    def label(self) -> str:
        """The filter as written: ``region=Hamburg``."""
        return f"{self.dimension}={self.value}"


@dataclass(frozen=True)
class Parameters:
    """The validated parameters of one notebook run."""

    workspace: Workspace
    period: Period
    segment: Segment | None
    language: str
    mode: str


def validate_parameters(
    *,
    workspace: object = "",
    period: object = "",
    segment: object = "",
    language: object = "",
    mode: object = "interactive",
    today: dt.date | None = None,
) -> Parameters:
    """Check every notebook parameter and load the workspace.

    Parameters
    ----------
    workspace
        The workspace folder; ``""`` takes it from the ``CX_WORKSPACE`` environment variable.
    period
        See :func:`cxlib.periods.parse_period`.
    segment
        ``"dimension=value"`` with a dimension listed in the workspace, or ``""``.
    language
        ``en``, ``de`` or ``da``; ``""`` takes the workspace's language.
    mode
        ``"report"`` (static output, no widgets) or ``"interactive"``.

    Raises
    ------
    ParameterError
        For a value of the wrong type or outside what is allowed, naming the parameter.
    WorkspaceError
        When the workspace cannot be loaded.
    """
    for name, value in {
        "workspace": workspace,
        "period": period,
        "segment": segment,
        "language": language,
        "mode": mode,
    }.items():
        if not isinstance(value, str):
            raise ParameterError(
                f"parameter '{name}' must be text; got {type(value).__name__} {value!r}.",
                hint=f"Pass it quoted, e.g. -p {name} '{value}'.",
            )
    assert isinstance(workspace, str) and isinstance(segment, str)  # for type checkers
    assert isinstance(language, str) and isinstance(mode, str) and isinstance(period, str)
    if mode not in MODES:
        raise ParameterError(
            f"parameter 'mode' is '{mode}'; allowed: {', '.join(MODES)}.{did_you_mean(mode, MODES)}"
        )
    parsed_period = parse_period(period, today=today)
    folder = workspace or os.environ.get(WORKSPACE_ENV, "")
    if not folder:
        raise ParameterError(
            "no workspace given: the 'workspace' parameter is empty and CX_WORKSPACE is not set.",
            hint="Pass -p workspace DIR, or run 'cx-workbook demo DIR' to create one.",
        )
    loaded = load_workspace(folder)
    language = language or loaded.language
    if language not in LANGUAGES:
        raise ParameterError(
            f"parameter 'language' is '{language}'; allowed: {', '.join(LANGUAGES)}."
            f"{did_you_mean(language, LANGUAGES)}"
        )
    return Parameters(
        workspace=loaded,
        period=parsed_period,
        segment=parse_segment(segment, loaded),
        language=language,
        mode=mode,
    )


def parse_segment(text: str, workspace: Workspace) -> Segment | None:
    """Parse ``"dimension=value"``; the dimension must be one of the workspace's dimensions."""
    text = text.strip()
    if not text:
        return None
    dimension, sep, value = (part.strip() for part in text.partition("="))
    if not sep or not dimension or not value:
        raise ParameterError(
            f"segment '{text}' is not of the form dimension=value.",
            hint="For example: region=Hamburg.",
        )
    require_dimension(workspace, dimension, what="segment dimension ")
    return Segment(dimension, value)
