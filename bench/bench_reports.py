"""Benchmark: the demo's report set against papermill's floor, and report size against data size.

1. Speed. The full demo report set (the five notebooks, HTML with title page and contents) is
   built with :func:`cxlib.report_run.run_jobs`, and so is the floor: as many one-cell notebooks
   (a ``parameters`` cell only) run the same way — same kernel and kernel arguments, same
   timeout, same worker pool with its kept kernels, same export step. They alternate,
   ``--repeat`` times each, in the same run; the table shows best and median seconds and the
   ratio report / floor (target ≤ 1.5), and the ratio of the CPU both used (this process, its
   workers and their kernels): with every core busy, the wall-clock ratio follows it.
2. Size. The demo's responses are resampled to 10 thousand and to ``--big`` rows (other tables
   kept), every report is built for both, and the table shows each page's size and its growth
   (targets: < 3 MB, growth < 10 %).

Usage::

    .venv/bin/python bench/bench_reports.py --repeat 3 --big 1000000
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd

from cxlib.demo import generate_demo
from cxlib.exchange import seed_demo_workbook
from cxlib.report import build_reports
from cxlib.report_index import now_in
from cxlib.report_page import TitlePage
from cxlib.report_run import Job, run_jobs
from cxlib.resources import notebook_names

SURVEY = Path("data") / "survey_responses.csv"
RESPONSE_ID = "Response ID"


def floor_notebook(folder: Path) -> Path:
    """A notebook with one cell, tagged ``parameters`` (papermill injects after it)."""
    notebook = nbformat.v4.new_notebook()
    names = ("workspace", "period", "segment", "language", "mode")
    cell = nbformat.v4.new_code_cell("\n".join(f'{name} = ""' for name in names))
    cell.metadata["tags"] = ["parameters"]
    notebook.cells = [cell]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    path = folder / "floor.ipynb"
    nbformat.write(notebook, path)
    return path


def cpu_seconds() -> float:
    """CPU time of this process and its ended children (workers, and through them kernels)."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed_reports(workspace: Path, out: Path) -> float:
    started = time.perf_counter()
    build_reports(workspace, out=out)
    return time.perf_counter() - started


def timed_floor(workspace: Path, out: Path, source: Path) -> float:
    page = TitlePage("floor", "", "", "en", now_in("UTC"))
    parameters = {"workspace": str(workspace), "period": "", "segment": "", "language": "en",
                  "mode": "report"}  # fmt: skip
    jobs = [
        Job(name, parameters, workspace, out / f"{name}.html", page, source=source)
        for name in notebook_names()
    ]
    started = time.perf_counter()
    outcomes = run_jobs(jobs)
    elapsed = time.perf_counter() - started
    failed = [o.error for o in outcomes if not o.ok]
    if failed:
        raise SystemExit(f"floor notebook failed: {failed[0]}")
    return elapsed


def speed(workspace: Path, scratch: Path, repeat: int) -> None:
    source = floor_notebook(scratch)
    reports: list[float] = []
    floors: list[float] = []
    cpu: dict[str, list[float]] = {"reports": [], "floor": []}
    for round_ in range(repeat):
        before = cpu_seconds()
        floors.append(timed_floor(workspace, scratch / f"floor{round_}", source))
        middle = cpu_seconds()
        reports.append(timed_reports(workspace, scratch / f"reports{round_}"))
        cpu["floor"].append(middle - before)
        cpu["reports"].append(cpu_seconds() - middle)
        print(
            f"  round {round_ + 1}: reports {reports[-1]:.1f} s ({cpu['reports'][-1]:.1f} s CPU), "
            f"floor {floors[-1]:.1f} s ({cpu['floor'][-1]:.1f} s CPU)"
        )
    best = min(reports) / min(floors)
    median = statistics.median(reports) / statistics.median(floors)
    print(f"{'':24}{'best':>9}{'median':>9}")
    print(f"{'report set (5 pages)':24}{min(reports):8.1f}s{statistics.median(reports):8.1f}s")
    print(f"{'floor (5 one-cell)':24}{min(floors):8.1f}s{statistics.median(floors):8.1f}s")
    print(f"{'ratio (target <= 1.5)':24}{best:9.2f}{median:9.2f}")
    # with every core busy (2 here), the wall-clock ratio follows the CPU one
    cpu_ratio = statistics.median(cpu["reports"]) / statistics.median(cpu["floor"])
    print(f"{'CPU ratio (median)':24}{'':9}{cpu_ratio:9.2f}")


def resampled(demo: Path, target: Path, rows: int) -> Path:
    """The demo with ``rows`` responses resampled from its own (new ids); other tables kept."""
    shutil.copytree(demo, target, ignore=shutil.ignore_patterns("reports"))
    frame = pd.read_csv(demo / SURVEY, dtype=str, keep_default_na=False)
    picks = np.random.default_rng(7).integers(0, len(frame), rows)
    big = frame.iloc[picks].reset_index(drop=True)
    big[RESPONSE_ID] = [f"R{i:08d}" for i in range(rows)]
    big.to_csv(target / SURVEY, index=False)
    return target


def size(demo: Path, scratch: Path, big: int) -> None:
    sizes: dict[int, dict[str, int]] = {}
    for rows in (10_000, big):
        workspace = resampled(demo, scratch / f"ws{rows}", rows)
        started = time.perf_counter()
        built = build_reports(workspace, out=scratch / f"size{rows}")
        print(f"  {rows:,} responses: built in {time.perf_counter() - started:.1f} s")
        sizes[rows] = {r.notebook: r.html.stat().st_size for r in built}
        overview = built[0].html.read_text(encoding="utf-8")
        counts = [int(n.replace(",", "")) for n in re.findall(r"n = ([\d,]+)", overview)]
        print(f"    largest n on the overview page: {max(counts, default=0):,}")
    print(f"{'page':20}{'10k (MB)':>10}{f'{big // 1000}k (MB)':>12}{'growth':>9}")
    for name, small in sizes[10_000].items():
        large = sizes[big][name]
        print(f"{name:20}{small / 1e6:10.3f}{large / 1e6:12.3f}{(large / small - 1) * 100:8.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="alternating rounds (default 3)")
    parser.add_argument("--big", type=int, default=1_000_000, help="rows of the big sample")
    parser.add_argument("--skip-size", action="store_true", help="only the speed figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cx-bench-reports-") as folder:
        scratch = Path(folder)
        demo = scratch / "demo"
        generate_demo(demo)
        seed_demo_workbook(demo)
        print("Speed: the demo report set against the papermill floor")
        speed(demo, scratch, args.repeat)
        if not args.skip_size:
            print("Size: report pages at 10k and at the big sample of responses")
            size(demo, scratch, args.big)


if __name__ == "__main__":
    main()
