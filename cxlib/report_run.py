"""Run report jobs — one notebook for one set of parameters — in parallel worker processes.

A job runs its notebook with papermill in a ``python3`` kernel (under an execution timeout),
exports it to HTML with the template in ``templates/report/`` and, when asked, prints the page
to PDF. Jobs run in a pool of spawned processes, as many as there are cores (fewer when free
memory is short), the longest first; each worker keeps one kernel for its jobs, cleared between
notebooks (:mod:`cxlib.report_kernel`). A failed job is returned with its one-line error, it
never stops the others.
"""

from __future__ import annotations

import concurrent.futures
import copy
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxlib.errors import CxError
from cxlib.kernel_channels import bound_channel_waits
from cxlib.params import REPORT_ENV
from cxlib.report_kernel import ENGINE, KeptKernel, register_engine
from cxlib.report_page import TitlePage, anchor_notebook, page_resources
from cxlib.resources import notebooks_dir, templates_dir

#: Seconds one notebook cell may run before the report is stopped.
CELL_TIMEOUT = 600
#: Names of CxError and its subclasses: a notebook raising one failed on the user's input.
_USER_ERRORS = {"CxError", "WorkspaceError", "DataError", "ParameterError"}
#: Memory one job may take: the worker, its kernel with the data loaded and a headless Chromium.
JOB_MEMORY_BYTES = 1_500_000_000
#: A module that jsonschema imports only to check the "iri" format, compiling grammars for about
#: a second each time a process starts (nothing here validates IRIs). Workers are told it is
#: absent, and jsonschema then leaves that one format unchecked; kernels get the same from
#: ``import cxlib`` (see cxlib/__init__.py).
_SLOW_OPTIONAL_MODULE = "rfc3987_syntax"
KERNEL_NAME = "python3"
_KERNEL_ARGUMENTS = [
    # the kernel's own start-up warnings are not the report reader's business
    "--IPKernelApp.log_level=CRITICAL",
    f"--IPKernelApp.exec_lines=import os; os.environ[{REPORT_ENV!r}] = '1'",
]


class ReportError(CxError):
    """A notebook failed while a report was built."""


@dataclass(frozen=True)
class Job:
    """One notebook to run for one set of parameters, and where its outputs go."""

    notebook: str
    parameters: dict[str, str]
    cwd: Path
    html: Path
    page: TitlePage
    label: str = ""
    pdf: Path | None = None
    chromium: str | None = None
    #: Another notebook file to run instead of the workbook's ``notebook`` (benchmarks).
    source: Path | None = None
    #: Its expected run time relative to other jobs: longer ones start first.
    cost: float = 1.0


@dataclass(frozen=True)
class Outcome:
    """What became of a job: its page title, or its error (``user`` tells the error's kind)."""

    job: Job
    title: str = ""
    error: str = ""
    user: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when the report (and its PDF, if asked for) was written."""
        return not self.error


def execute(
    name: str,
    parameters: dict[str, Any],
    *,
    cwd: Path,
    source: Path | None = None,
    kernel: KeptKernel | None = None,
) -> Any:
    """Run one workbook notebook (or the notebook file ``source``) and return it executed.

    With ``kernel`` the notebook runs in that kept kernel (see :mod:`cxlib.report_kernel`),
    else in a new kernel shut down afterwards.

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

    source = source or notebooks_dir() / f"{name}.ipynb"
    engine: dict[str, Any] = {}
    if kernel is not None:
        register_engine()
        engine = {"engine_name": ENGINE, "km": kernel.manager_for(cwd)}
    try:
        # no output file: papermill would otherwise write the whole notebook again after
        # every cell (26 times for the current-state page)
        return papermill.execute_notebook(
            str(source),
            None,
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            execution_timeout=CELL_TIMEOUT,
            progress_bar=False,
            log_output=False,
            cwd=str(cwd),
            extra_arguments=_KERNEL_ARGUMENTS,
            **engine,
        )
    except PapermillExecutionError as error:
        if error.ename in _USER_ERRORS:
            raise CxError(str(error.evalue)) from None
        raise ReportError(
            f"notebook {name} failed in cell {error.exec_count}: {error.ename}: {error.evalue}",
            hint="This is a bug in the workbook; please report it with this line.",
        ) from None
    except CellTimeoutError:
        if kernel is not None:
            kernel.discard()  # still busy with the cell
        raise ReportError(
            f"notebook {name} took longer than {CELL_TIMEOUT} s in one cell and was stopped.",
            hint="Check the size of the data files; report it if they are small.",
        ) from None
    except DeadKernelError:
        if kernel is not None:
            kernel.discard()
        raise ReportError(
            f"the Python kernel running notebook {name} died (out of memory?).",
            hint="Check the machine's free memory and the size of the data files.",
        ) from None


def export_html(notebook: Any, *, title: str, page: TitlePage | None = None) -> tuple[str, str]:
    """Export an executed notebook to one HTML page with the workbook's report template.

    With ``page`` the report gets its title page and table of contents (the page's h2/h3
    headings, which get ids here); the caller's notebook is left unchanged.

    Returns
    -------
    html, page_title
        The page and the text of its first h1 (the notebook's title, e.g. "Overview").
    """
    from nbconvert import HTMLExporter

    notebook = copy.deepcopy(notebook)
    headings, page_title = anchor_notebook(notebook)
    notebook.metadata["title"] = title
    exporter = HTMLExporter(
        template_name="report",
        extra_template_basedirs=[str(templates_dir())],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        language_code=page.language if page else "en",
    )
    from cxlib.charts import bundle_html

    # once per page, for every chart of every cell (the kernels leave it out: REPORT_ENV)
    resources: dict[str, Any] = {"cx_bundle": bundle_html()}
    if page is not None:
        resources["cx"] = page_resources(page, headings, page_title or title)
    body, _resources = exporter.from_notebook_node(notebook, resources=resources)
    return str(body), page_title


def run_job(job: Job) -> Outcome:
    """Run one job: execute, export HTML, print the PDF if asked. Errors come back as text."""
    started = time.perf_counter()
    try:
        executed = execute(
            job.notebook, job.parameters, cwd=job.cwd, source=job.source, kernel=_worker_kernel
        )
        text, page_title = export_html(
            executed, title=f"{job.page.workspace} · {job.notebook}", page=job.page
        )
        job.html.parent.mkdir(parents=True, exist_ok=True)
        job.html.write_text(text, encoding="utf-8")
        if job.pdf is not None:
            from cxlib.report_pdf import print_pdf

            print_pdf(job.html, job.pdf, chromium=job.chromium)
    except ReportError as error:
        return Outcome(job, error=error.one_line(), seconds=time.perf_counter() - started)
    except CxError as error:
        return Outcome(
            job, error=error.one_line(), user=True, seconds=time.perf_counter() - started
        )
    except OSError as error:
        where = f" '{error.filename}'" if error.filename else ""
        return Outcome(job, error=f"{where.strip()} {error.strerror or error}.".strip(), user=True)
    return Outcome(job, title=page_title, seconds=time.perf_counter() - started)


#: The kernel a worker process keeps for its jobs (set by :func:`_start_worker`); None in any
#: other process, where each :func:`run_job` starts its own.
_worker_kernel: KeptKernel | None = None


#: Environment variables giving the thread count of the numeric libraries a kernel may load
#: (OpenBLAS, which numpy's wheels use, an MKL build, and OpenMP code).
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


def _start_worker(threads: int) -> None:
    """Set up a worker process: skip the slow optional import (see _SLOW_OPTIONAL_MODULE), keep
    one kernel for all its jobs (:mod:`cxlib.report_kernel`) and give that kernel ``threads``
    numeric-library threads.

    Each worker's kernel already has a core of its own; left to itself, OpenBLAS starts one
    thread per core in every kernel, so parallel kernels fight over the cores and its waiting
    threads spin (measured on 2 cores: the current-state page's summary 1.1–1.7 s of CPU with
    the default, 0.8–0.9 s with one thread). A value the user set is kept.
    """
    global _worker_kernel
    sys.modules.setdefault(_SLOW_OPTIONAL_MODULE, None)  # type: ignore[arg-type]
    bound_channel_waits()  # a lost wakeup would otherwise wait for the cell timeout
    for variable in THREAD_VARIABLES:
        os.environ.setdefault(variable, str(threads))
    _worker_kernel = KeptKernel(KERNEL_NAME)


def kernel_threads(workers: int) -> int:
    """Numeric-library threads for each of ``workers`` parallel kernels: the cores they share."""
    return max(1, available_cores() // max(1, workers))


def available_cores() -> int:
    """The cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def available_memory() -> int | None:
    """Bytes of memory free for new processes (Linux ``MemAvailable``), None when unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def worker_count(jobs: int, limit: int | None = None) -> int:
    """How many jobs to run at once: up to the cores (or ``limit``), as free memory allows."""
    count = min(jobs, limit or available_cores())
    memory = available_memory()
    if memory is not None:
        count = min(count, memory // JOB_MEMORY_BYTES)
    return max(1, count)


def run_jobs(
    jobs: Sequence[Job],
    *,
    workers: int | None = None,
    started: Callable[[Job, int], None] | None = None,
    finished: Callable[[Outcome, int], None] | None = None,
    stop_on_error: bool = False,
) -> list[Outcome]:
    """Run ``jobs`` in parallel worker processes; return their outcomes in the jobs' order.

    Parameters
    ----------
    workers
        At most this many at once; default :func:`worker_count`.
    started
        Called as ``started(job, count)`` when a job is handed to a worker, ``count`` jobs
        having been handed out before it. Jobs start by ``cost``, highest first (then in
        order), so that the long ones do not end up running alone at the end.
    finished
        Called as ``finished(outcome, done)`` as each job ends; ``done`` counts the ended ones.
    stop_on_error
        Cancel the jobs not yet started once one fails (their outcomes are left out).
    """
    count = worker_count(len(jobs), workers)
    outcomes: dict[int, Outcome] = {}
    context = multiprocessing.get_context("spawn")  # no forked kernel sockets or event loops
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=count,
        mp_context=context,
        initializer=_start_worker,
        initargs=(kernel_threads(count),),
    ) as pool:
        by_cost = sorted(range(len(jobs)), key=lambda i: -jobs[i].cost)  # stable
        pending = iter(enumerate((i, jobs[i]) for i in by_cost))
        running: dict[concurrent.futures.Future[Outcome], int] = {}
        for _ in range(count):
            _submit(pool, pending, running, started)
        failed = False
        while running:
            done, _ = concurrent.futures.wait(
                running, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                index = running.pop(future)
                outcome = _outcome(future, jobs[index])
                outcomes[index] = outcome
                if finished is not None:
                    finished(outcome, len(outcomes))
                failed = failed or not outcome.ok
                if not (failed and stop_on_error):
                    _submit(pool, pending, running, started)
    return [outcomes[i] for i in sorted(outcomes)]


def _submit(
    pool: concurrent.futures.Executor,
    pending: Iterator[tuple[int, tuple[int, Job]]],
    running: dict[concurrent.futures.Future[Outcome], int],
    started: Callable[[Job, int], None] | None,
) -> None:
    for count, (index, job) in pending:
        if started is not None:
            started(job, count)
        try:
            future = pool.submit(run_job, job)
        except concurrent.futures.process.BrokenProcessPool:  # an earlier worker died
            future = concurrent.futures.Future()
            future.set_result(_died(job))
        running[future] = index
        return


def _outcome(future: concurrent.futures.Future[Outcome], job: Job) -> Outcome:
    try:
        return future.result()
    except concurrent.futures.process.BrokenProcessPool:
        return _died(job)
    except Exception as error:  # a bug: still one line, and the other jobs go on
        return Outcome(
            job,
            error=f"notebook {job.notebook} failed: {type(error).__name__}: {error}. "
            "This is a bug in the workbook; please report it with this line.",
        )


def _died(job: Job) -> Outcome:
    return Outcome(
        job,
        error=f"the process running notebook {job.notebook} died (out of memory?).",
        user=True,
    )
