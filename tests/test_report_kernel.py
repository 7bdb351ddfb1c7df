"""A report worker's kept kernel: reused, yet each notebook starts with a clean namespace."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import nbformat
import pytest

from cxlib import report_run
from cxlib.params import REPORT_ENV
from cxlib.report_kernel import KeptKernel
from cxlib.report_run import KERNEL_NAME, ReportError, execute

PARAMETERS = {"workspace": "", "period": "", "segment": "", "language": "en", "mode": "report"}


def notebook(folder: Path, name: str, *cells: str) -> Path:
    """A notebook with a ``parameters`` cell and ``cells``."""
    nb = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell("workspace = ''")
    parameters.metadata["tags"] = ["parameters"]
    nb.cells = [parameters, *(nbformat.v4.new_code_cell(c) for c in cells)]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def printed(executed: object) -> list[str]:
    """The text each code cell printed (one line per cell that printed)."""
    lines = []
    for cell in executed.cells:  # type: ignore[attr-defined]
        for output in cell.get("outputs", []):
            if output.get("name") == "stdout":
                lines.append(output["text"].strip())
    return lines


@pytest.fixture
def kept() -> KeptKernel:
    kernel = KeptKernel(KERNEL_NAME)
    yield kernel
    kernel.discard()


def test_notebooks_share_the_kernel_but_not_their_variables(
    tmp_path: Path, kept: KeptKernel
) -> None:
    first_dir, second_dir = tmp_path / "one", tmp_path / "two"
    first_dir.mkdir()
    second_dir.mkdir()
    first = notebook(tmp_path, "first", "import os\nsecret = 42\nprint(os.getpid(), os.getcwd())")
    report = f"REPORT = {REPORT_ENV!r}"
    second = notebook(
        tmp_path,
        "second",
        report,
        "import os\nprint(os.getpid(), os.getcwd(), 'secret' in dir(), os.environ[REPORT])",
    )
    pid, cwd = printed(execute("first", PARAMETERS, cwd=first_dir, source=first, kernel=kept))[
        0
    ].split()
    assert int(pid) != os.getpid() and cwd == str(first_dir)
    again = printed(execute("second", PARAMETERS, cwd=second_dir, source=second, kernel=kept))[0]
    assert again.split() == [pid, str(second_dir), "False", "1"]  # same process, clean, report env


def test_a_kernel_that_died_is_replaced(tmp_path: Path, kept: KeptKernel) -> None:
    source = notebook(tmp_path, "pid", "import os\nprint(os.getpid())")
    pid = int(printed(execute("pid", PARAMETERS, cwd=tmp_path, source=source, kernel=kept))[0])
    os.kill(pid, signal.SIGKILL)
    again = int(printed(execute("pid", PARAMETERS, cwd=tmp_path, source=source, kernel=kept))[0])
    assert again != pid


def test_a_kernel_stopped_by_the_timeout_is_replaced(
    tmp_path: Path, kept: KeptKernel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report_run, "CELL_TIMEOUT", 3)
    slow = notebook(tmp_path, "slow", "import os, time\nprint(os.getpid())\ntime.sleep(60)")
    with pytest.raises(ReportError, match="took longer than 3 s"):
        execute("slow", PARAMETERS, cwd=tmp_path, source=slow, kernel=kept)
    source = notebook(tmp_path, "pid", "import os\nprint(os.getpid(), 1 + 1)")
    _, two = printed(execute("pid", PARAMETERS, cwd=tmp_path, source=source, kernel=kept))[
        0
    ].split()
    assert two == "2"  # a fresh kernel answered at once, not one still sleeping


def test_a_failing_notebook_leaves_the_kernel_usable(tmp_path: Path, kept: KeptKernel) -> None:
    broken = notebook(tmp_path, "broken", "x = 1", "raise RuntimeError('boom')")
    messages = []
    for _ in range(2):  # the second time in the same kernel, the error names the same cell
        with pytest.raises(ReportError, match="RuntimeError: boom") as raised:
            execute("broken", PARAMETERS, cwd=tmp_path, source=broken, kernel=kept)
        messages.append(str(raised.value))
    assert messages[0] == messages[1]
    fine = notebook(tmp_path, "fine", "import sys\nprint(getattr(sys, 'last_value', None))")
    # the failed notebook's traceback (and the frames it holds) was let go
    assert printed(execute("fine", PARAMETERS, cwd=tmp_path, source=fine, kernel=kept)) == ["None"]


def _kernels() -> set[int]:
    """Process ids of the Python kernels descending from this process."""
    parents: dict[int, int] = {}
    kernels = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            parents[int(entry.name)] = int(fields[1])
            if b"ipykernel" in command:
                kernels.add(int(entry.name))
    found, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found & kernels


def test_workers_shut_their_kernels_down_when_the_run_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxlib.report_index import now_in
    from cxlib.report_page import TitlePage

    source = notebook(tmp_path, "pid", "import os\nprint(os.getpid())")
    page = TitlePage("t", "", "", "en", now_in("UTC"))
    jobs = [
        report_run.Job(f"n{i}", PARAMETERS, tmp_path, tmp_path / f"n{i}.html", page, source=source)
        for i in range(4)
    ]
    # a kernel manager without a connection file name writes it with tempfile.mkstemp(".json"):
    # the workers (spawned with this environment) write theirs here, and nobody else does
    runtime = tmp_path / "temp"
    runtime.mkdir()
    monkeypatch.setenv("TMPDIR", str(runtime))
    before = _kernels()
    outcomes = report_run.run_jobs(jobs, workers=2)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert _kernels() - before == set()
    # shut down by their workers, not left to notice their parent is gone: no connection files
    assert list(runtime.glob("*.json")) == []


_THREADS = (
    "import numpy\n"
    "from threadpoolctl import threadpool_info\n"
    "import os\n"
    "print('threads', os.environ['OPENBLAS_NUM_THREADS'], *sorted({i['num_threads']"
    " for i in threadpool_info() if i['internal_api'] == 'openblas'}))"
)


def _threads_printed(html: Path) -> str:
    text = html.read_text(encoding="utf-8")
    start = text.index("threads ")
    return text[start : text.index("\n", start)].strip()


def test_parallel_kernels_share_the_cores_instead_of_each_taking_them_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxlib.report_index import now_in
    from cxlib.report_page import TitlePage

    source = notebook(tmp_path, "threads", _THREADS)
    page = TitlePage("t", "", "", "en", now_in("UTC"))
    for variable in report_run.THREAD_VARIABLES:
        monkeypatch.delenv(variable, raising=False)
    cores = report_run.available_cores()
    monkeypatch.setattr(report_run, "available_cores", lambda: 4)  # workers are spawned: 4 is
    assert report_run.kernel_threads(2) == 2  # what this process computes for them
    assert report_run.kernel_threads(8) == 1
    jobs = [
        report_run.Job(f"n{i}", PARAMETERS, tmp_path, tmp_path / f"n{i}.html", page, source=source)
        for i in range(2)
    ]
    outcomes = report_run.run_jobs(jobs, workers=2)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    # the variable says 2; OpenBLAS runs at most one thread per core of this machine
    running = min(2, cores)
    assert {_threads_printed(o.job.html) for o in outcomes} == {f"threads 2 {running}"}


def test_a_thread_count_the_user_set_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cxlib.report_index import now_in
    from cxlib.report_page import TitlePage

    source = notebook(tmp_path, "threads", _THREADS)
    page = TitlePage("t", "", "", "en", now_in("UTC"))
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    monkeypatch.setattr(report_run, "available_cores", lambda: 4)  # left alone: 4
    job = report_run.Job("n", PARAMETERS, tmp_path, tmp_path / "n.html", page, source=source)
    (outcome,) = report_run.run_jobs([job], workers=1)
    assert outcome.ok, outcome.error
    assert _threads_printed(job.html) == "threads 1 1"


def test_the_reset_skips_ipythons_full_garbage_collections(
    tmp_path: Path, kept: KeptKernel
) -> None:
    count = notebook(
        tmp_path,
        "count",
        "import gc, sys\n"
        "sys.cx_full = []\n"
        "gc.callbacks.append(lambda phase, info: sys.cx_full.append(1)"
        " if phase == 'start' and info['generation'] == 2 else None)",
    )
    execute("count", PARAMETERS, cwd=tmp_path, source=count, kernel=kept)
    check = notebook(
        tmp_path, "check", "import gc, sys\nprint(len(sys.cx_full), gc.collect.__module__)"
    )
    out = printed(execute("check", PARAMETERS, cwd=tmp_path, source=check, kernel=kept))
    assert out == ["0 gc"]  # none during the reset, and gc.collect is the real one again


def test_a_page_freezes_the_imports_once_in_a_kernel_and_never_elsewhere(
    tmp_path: Path, kept: KeptKernel, demo_workspace: Path
) -> None:
    import gc

    start = (
        "import gc\nfrom cxlib.page import start\n"
        f"page = start(workspace={str(demo_workspace)!r}, period='', segment='', language='en',"
        " mode='report', title='page.goals.title')\n"
        "print(gc.get_freeze_count())"
    )
    source = notebook(tmp_path, "start", start)
    first = int(printed(execute("start", PARAMETERS, cwd=tmp_path, source=source, kernel=kept))[-1])
    again = int(printed(execute("start", PARAMETERS, cwd=tmp_path, source=source, kernel=kept))[-1])
    assert first > 10_000  # pandas, Altair and cxlib are frozen
    # not frozen again (that would add the first page's leftovers): only deaths lower it
    assert again <= first
    before = gc.get_freeze_count()
    from cxlib.page import start as start_here

    start_here(
        workspace=str(demo_workspace), period="", segment="", language="en", mode="report",
        title="page.goals.title",
    )  # fmt: skip
    assert gc.get_freeze_count() == before  # not in a kernel
