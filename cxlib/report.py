"""Run the workbook notebooks with papermill and export them to self-contained HTML reports.

Each notebook runs in a ``python3`` kernel with its parameters injected and ``mode="report"``
(no widgets), under an execution timeout. The executed notebook is exported with the template in
``templates/report/`` — no code cells, nothing loaded from the internet — to
``<workspace>/reports/<period>/<segment>/<language>/<notebook>.html`` unless ``out`` is given.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxlib.errors import CxError, ParameterError, did_you_mean
from cxlib.params import Parameters, validate_parameters
from cxlib.resources import notebook_names, notebooks_dir, templates_dir

#: Seconds one notebook cell may run before the report is stopped.
CELL_TIMEOUT = 600
#: Names of CxError and its subclasses: a notebook raising one failed on the user's input.
_USER_ERRORS = {"CxError", "WorkspaceError", "DataError", "ParameterError"}


class ReportError(CxError):
    """A notebook failed while a report was built."""


@dataclass(frozen=True)
class Report:
    """One built report."""

    notebook: str
    html: Path


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


def output_dir(params: Parameters) -> Path:
    """The default report folder: ``reports/<period>/<segment>/<language>/``."""
    segment = params.segment.label.replace("/", "_") if params.segment else "all"
    return params.workspace.reports_dir / params.period.slug / segment / params.language


def build_reports(
    workspace: str | os.PathLike[str],
    *,
    notebooks: Sequence[str] | None = None,
    period: str = "",
    segment: str = "",
    language: str = "",
    out: str | os.PathLike[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Report]:
    """Build HTML reports for a workspace.

    Parameters
    ----------
    workspace
        The workspace folder.
    notebooks
        Notebook names (``00_overview``) or numbers (``00``); all when empty.
    period, segment, language
        As the notebooks' parameters (validated here before any kernel starts).
    out
        Folder for the HTML files; default :func:`output_dir`.
    progress
        Called as ``progress(notebook, index, total)`` before each notebook runs.

    Raises
    ------
    CxError
        For invalid parameters, workspace or data problems (one line, no traceback), or a
        notebook that failed (:class:`ReportError`).
    """
    params = validate_parameters(
        workspace=str(workspace), period=period, segment=segment, language=language, mode="report"
    )
    names = resolve_notebooks(notebooks)
    target = Path(out) if out is not None else output_dir(params)
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise CxError(
            f"cannot create the report folder '{target}': {error.strerror}.",
            hint="Choose another folder with --out.",
        ) from None
    reports = []
    for index, name in enumerate(names):
        if progress is not None:
            progress(name, index, len(names))
        executed = execute(
            name,
            {
                "workspace": str(params.workspace.root),
                "period": period,  # as given: relative periods resolve the same way inside
                "segment": segment,
                "language": params.language,
                "mode": "report",
            },
            cwd=params.workspace.root,
        )
        html = target / f"{name}.html"
        html.write_text(export_html(executed, title=f"{params.workspace.name} · {name}"), "utf-8")
        reports.append(Report(name, html))
    return reports


def execute(name: str, parameters: dict[str, Any], *, cwd: Path) -> Any:
    """Run one workbook notebook with papermill and return the executed notebook.

    Raises
    ------
    CxError
        The notebook's own error when it stopped on the user's input (bad parameter, data).
    ReportError
        Any other failure of a cell, naming the notebook, the error and the cell.
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    source = notebooks_dir() / f"{name}.ipynb"
    with tempfile.TemporaryDirectory(prefix="cx-report-") as scratch:
        output = Path(scratch) / f"{name}.ipynb"
        try:
            return papermill.execute_notebook(
                str(source),
                str(output),
                parameters=parameters,
                kernel_name="python3",
                execution_timeout=CELL_TIMEOUT,
                progress_bar=False,
                log_output=False,
                cwd=str(cwd),
                # the kernel's own start-up warnings are not the report reader's business
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
        except PapermillExecutionError as error:
            if error.ename in _USER_ERRORS:
                raise CxError(str(error.evalue)) from None
            raise ReportError(
                f"notebook {name} failed in cell {error.exec_count}: {error.ename}: {error.evalue}",
                hint="This is a bug in the workbook; please report it with this line.",
            ) from None
        except CellTimeoutError:
            raise ReportError(
                f"notebook {name} took longer than {CELL_TIMEOUT} s in one cell and was stopped.",
                hint="Check the size of the data files; report it if they are small.",
            ) from None
        except DeadKernelError:
            raise ReportError(
                f"the Python kernel running notebook {name} died (out of memory?).",
                hint="Check the machine's free memory and the size of the data files.",
            ) from None


def export_html(notebook: Any, *, title: str) -> str:
    """Export an executed notebook to one HTML page with the workbook's report template."""
    from nbconvert import HTMLExporter

    notebook.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="report",
        extra_template_basedirs=[str(templates_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    body, _resources = exporter.from_notebook_node(notebook)
    return str(body)
