"""Run the workbook notebooks with papermill and export them to self-contained HTML reports.

Each notebook runs in its own ``python3`` kernel with its parameters injected and
``mode="report"`` (no widgets), under an execution timeout, in parallel worker processes
(:mod:`cxlib.report_run`). The executed notebook is exported with the template in
``templates/report/`` — a title page and a table of contents in the report's language, no code
cells, nothing loaded from the internet — to ``<workspace>/reports/<period>/<segment>/<language>/
<notebook>.html`` unless ``out`` is given, and printed to PDF beside it on request
(:mod:`cxlib.report_pdf`).

:func:`build_reports` builds one report set and stops at the first failure.
:func:`build_report_sets` builds one set per value of ``by`` (a dimension and/or ``month``), lets
every set finish when one fails, and writes an ``index.html`` linking them all
(:mod:`cxlib.report_index`).

The selection is checked against the responses before any kernel starts
(:mod:`cxlib.report_sets`): a period without responses, or a segment value that no response has,
is one :class:`~cxlib.errors.ParameterError` naming what there is.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cxlib.errors import CxError, ParameterError, did_you_mean
from cxlib.params import Parameters, validate_parameters
from cxlib.periods import parse_period
from cxlib.report_index import IndexEntry, IndexGroup, now_in, write_index
from cxlib.report_page import TitlePage
from cxlib.report_run import (
    CELL_TIMEOUT,
    Job,
    Outcome,
    ReportError,
    execute,
    export_html,
    run_jobs,
)
from cxlib.report_sets import MONTH, ReportSet, UsageError, plan_sets
from cxlib.resources import notebook_names

__all__ = [
    "CELL_TIMEOUT",
    "MONTH",
    "Batch",
    "Failure",
    "Report",
    "ReportError",
    "UsageError",
    "build_report_sets",
    "build_reports",
    "execute",
    "export_html",
    "output_dir",
    "resolve_notebooks",
]


@dataclass(frozen=True)
class Report:
    """One built report: its notebook, HTML page, PDF (if printed), set label and page title."""

    notebook: str
    html: Path
    pdf: Path | None = None
    label: str = ""
    title: str = ""


@dataclass(frozen=True)
class Failure:
    """A report that could not be built: which set, which notebook, the one-line error."""

    label: str
    notebook: str
    error: str


@dataclass(frozen=True)
class Batch:
    """What :func:`build_report_sets` built, what failed, and the index linking them."""

    reports: list[Report]
    failures: list[Failure]
    index: Path


def resolve_notebooks(names: Sequence[str] | None) -> list[str]:
    """Return the notebooks to run: all, or the given names (``00_overview`` or ``00``).

    Raises
    ------
    ParameterError
        For a name that matches no notebook, with the closest name.
    """
    available = notebook_names()
    if not names:
        return available
    chosen = []
    for name in names:
        stem = name.removesuffix(".ipynb")
        matches = [n for n in available if n == stem or n.split("_", 1)[0] == stem]
        if not matches:
            raise ParameterError(
                f"notebook '{name}' does not exist.{did_you_mean(stem, available)}",
                hint=f"Notebooks: {', '.join(available)}.",
            )
        chosen.append(matches[0])
    return chosen


def output_dir(params: Parameters, root: Path | None = None) -> Path:
    """The report folder: ``<root>/<period>/<segment>/<language>/``; root: ``reports/``."""
    segment = params.segment.label.replace("/", "_") if params.segment else "all"
    base = params.workspace.reports_dir if root is None else root
    return base / params.period.slug / segment / params.language


def _make_dir(target: Path) -> None:
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CxError(
            f"cannot create the report folder '{target}': {error.strerror}.",
            hint="Choose another folder with --out.",
        ) from None


def _chromium(pdf: bool) -> str | None:
    if not pdf:
        return None
    from cxlib.report_pdf import find_chromium

    return find_chromium()


#: Each notebook's own work in seconds, measured on the demo workspace (after the imports): the
#: longest start first, so that none runs alone at the end.
_COST = {
    "00_overview": 0.6,
    "01_goals": 0.35,
    "02_current_state": 2.5,
    "03_journey_map": 0.45,
    "04_kpi_tracking": 0.8,
}


def _jobs(
    params: Parameters,
    names: Sequence[str],
    target: Path,
    *,
    page: TitlePage,
    label: str,
    period: str,
    chromium: str | None,
) -> list[Job]:
    parameters = {
        "workspace": str(params.workspace.root),
        "period": period,  # as given: relative periods resolve the same way inside
        "segment": params.segment.label if params.segment else "",
        "language": params.language,
        "mode": "report",
    }
    return [
        Job(
            notebook=name,
            parameters=parameters,
            cwd=params.workspace.root,
            html=target / f"{name}.html",
            page=page,
            label=label,
            pdf=target / f"{name}.pdf" if chromium else None,
            chromium=chromium,
            cost=_COST.get(name, 1.0),
        )
        for name in names
    ]


def _title_page(params: Parameters) -> TitlePage:
    return TitlePage(
        workspace=params.workspace.name,
        period=params.period.label,
        segment=params.segment.label if params.segment else "",
        language=params.language,
        built=now_in(params.workspace.timezone),
    )


def _report(outcome: Outcome) -> Report:
    job = outcome.job
    return Report(job.notebook, job.html, job.pdf, job.label, outcome.title)


def build_reports(
    workspace: str | os.PathLike[str],
    *,
    notebooks: Sequence[str] | None = None,
    period: str = "",
    segment: str = "",
    language: str = "",
    out: str | os.PathLike[str] | None = None,
    pdf: bool = False,
    jobs: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Report]:
    """Build one set of HTML reports (and PDFs) for a workspace.

    Parameters
    ----------
    workspace
        The workspace folder.
    notebooks
        Notebook names (``00_overview``) or numbers (``00``); all when empty.
    period, segment, language
        As the notebooks' parameters (validated here before any kernel starts).
    out
        Folder for the files; default :func:`output_dir`.
    pdf
        Also print each report to PDF with headless Chromium.
    jobs
        Notebooks run at once; default: the number of cores (fewer when memory is short).
    progress
        Called as ``progress(notebook, started, total)`` as each notebook starts, ``started``
        notebooks having started before it.

    Raises
    ------
    CxError
        For invalid parameters, a selection without responses, workspace or data problems
        (one line, no traceback), or a notebook that failed (:class:`ReportError`).
    """
    params = validate_parameters(
        workspace=str(workspace), period=period, segment=segment, language=language, mode="report"
    )
    names = resolve_notebooks(notebooks)
    plan_sets(params, period=period)  # checks the period and segment against the responses
    chromium = _chromium(pdf)
    target = Path(out) if out is not None else output_dir(params)
    _make_dir(target)
    planned = _jobs(
        params,
        names,
        target,
        page=_title_page(params),
        label="",
        period=period,
        chromium=chromium,
    )

    def started(job: Job, index: int) -> None:
        if progress is not None:
            progress(job.notebook, index, len(planned))

    outcomes = run_jobs(planned, workers=jobs, started=started, stop_on_error=True)
    for outcome in outcomes:
        if not outcome.ok:
            raise (CxError if outcome.user else ReportError)(outcome.error)
    return [_report(outcome) for outcome in outcomes]


def build_report_sets(
    workspace: str | os.PathLike[str],
    *,
    by: Sequence[str],
    notebooks: Sequence[str] | None = None,
    period: str = "",
    segment: str = "",
    language: str = "",
    out: str | os.PathLike[str] | None = None,
    pdf: bool = False,
    jobs: int | None = None,
    progress: Callable[[Outcome, int, int], None] | None = None,
) -> Batch:
    """Build one report set per value of ``by`` found in the responses, and an index of them.

    Parameters
    ----------
    by
        One workspace dimension and/or ``month`` (one set per month of the period with
        responses); both together give one set per value and month.
    out
        The output root; each set goes to ``<root>/<period>/<segment>/<language>/`` and the index
        to ``<root>/index.html``. Default: the workspace's ``reports/``.
    progress
        Called as ``progress(outcome, done, total)`` as each report ends (or fails).

    Other parameters are those of :func:`build_reports`.

    Raises
    ------
    UsageError
        For ``by`` options that contradict each other or ``segment``.
    CxError
        For invalid parameters or a workspace or data problem before any report runs. A failing
        report does not raise: it is in :attr:`Batch.failures`, and every other one is built.
    """
    params = validate_parameters(
        workspace=str(workspace), period=period, segment=segment, language=language, mode="report"
    )
    names = resolve_notebooks(notebooks)
    sets = plan_sets(params, by, period=period)
    if not sets:
        raise ParameterError(
            f"--by {' --by '.join(by)}: no responses of the selection have a value to split by.",
            hint="Check the column mapped to that dimension in workspace.yaml.",
        )
    chromium = _chromium(pdf)
    root = Path(out) if out is not None else params.workspace.reports_dir
    _make_dir(root)
    planned: list[Job] = []
    pages: dict[ReportSet, TitlePage] = {}
    for report_set in sets:
        set_params = _set_parameters(params, report_set)
        pages[report_set] = _title_page(set_params)
        target = output_dir(set_params, root)
        _make_dir(target)
        planned += _jobs(
            set_params,
            names,
            target,
            page=pages[report_set],
            label=report_set.label,
            period=report_set.period,
            chromium=chromium,
        )

    def finished(outcome: Outcome, done: int) -> None:
        if progress is not None:
            progress(outcome, done, len(planned))

    outcomes = run_jobs(planned, workers=jobs, finished=finished)
    groups = [
        IndexGroup(
            report_set.label,
            pages[report_set],
            [
                IndexEntry(o.job.notebook, o.title, o.job.html, o.job.pdf, o.error)
                for o in outcomes
                if o.job.label == report_set.label
            ],
        )
        for report_set in sets
    ]
    index = write_index(root, groups, run=_title_page(params), split_by=list(dict.fromkeys(by)))
    return Batch(
        reports=[_report(o) for o in outcomes if o.ok],
        failures=[Failure(o.job.label, o.job.notebook, o.error) for o in outcomes if not o.ok],
        index=index,
    )


def _set_parameters(params: Parameters, report_set: ReportSet) -> Parameters:
    """The parameters of one set: the run's, with the set's period and segment."""
    from dataclasses import replace

    from cxlib.params import parse_segment

    return replace(
        params,
        period=parse_period(report_set.period) if report_set.label else params.period,
        segment=parse_segment(report_set.segment, params.workspace),
    )
