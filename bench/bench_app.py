"""Benchmark: the Voila app's overview in headless Chromium, against the Voila floor.

Figures, each the best and the median of ``--runs`` runs, runs of the variants alternating:

* **first chart**: from the request (navigation start) to the overview's first chart drawn,
  for the overview served with preheated kernels (``cx-workbook serve``), the same without
  preheating (cold), and the **floor**: a one-chart notebook served the same way (same command,
  flags, template and preheat). The ratio overview / floor has the target ≤ 1.5;
* **filter redraw**: from a period or segment change in the page to the new chart drawn, on the
  demo (≈ 30k responses) and on 1 million responses (the demo's rows resampled); target ≤ 250 ms;
* the kernel's own share of a redraw (cube → HTML, in Python) and the memory of each preheated
  kernel (resident and unique set size).

Every page is a fresh browser context (cold browser cache) with requests off this machine
blocked. Usage::

    .venv/bin/python bench/bench_app.py --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import psutil

from cxlib.app import app_command
from cxlib.demo import generate_demo

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TOKEN = "bench-token-7d1e"
FILLED = "Kernel pool of 00_overview.ipynb is filled"
#: Records when the first chart (or, after a change, a chart with a new id) has drawn.
WATCH_JS = """
(() => {
  const drawn = el => el.querySelector('svg path, svg rect, canvas');
  new MutationObserver(() => {
    const chart = document.querySelector(window.__cxSelector || '.cx-chart');
    if (chart && drawn(chart) && chart.id !== window.__cxSeen) {
      window.__cxSeen = chart.id;
      (window.__cxDrawn = window.__cxDrawn || []).push(performance.now());
    }
  }).observe(document, {childList: true, subtree: true});
})();
"""
FLOOR_SOURCE = """\
from IPython.display import HTML, display
import pandas as pd
from cxlib import charts, views
from cxlib.i18n import Translator

trend = pd.DataFrame({
    "period": [f"2025-{m:02d}" for m in range(1, 13)], "n": 800,
    "value": [30.0 + m % 4 for m in range(12)], "ci_low": 25.0, "ci_high": 36.0, "flags": "",
})
display(HTML(views.style_html()))
display(HTML(views.block(charts.chart_html(charts.nps_trend_chart(trend, Translator("en"))))))
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def server(
    workspace: Path, folder: Path, *, notebooks: Path | None = None, pool: int = 1
) -> Iterator[tuple[str, Path, psutil.Process]]:
    """The app as ``cx-workbook serve`` runs it; yields base URL, log file and process."""
    port = free_port()
    command = app_command(workspace, port=port, token=TOKEN, pool_size=pool)
    argv = list(command.argv)
    if notebooks is not None:  # the floor: another notebook folder, everything else the same
        argv[3] = str(notebooks)
    log_path = folder / f"serve-{port}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            argv, env=command.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_filled(log_path, 1 if pool else 0, timeout=600)
        yield f"http://127.0.0.1:{port}", log_path, psutil.Process(process.pid)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        shutil.rmtree(command.data_dir, ignore_errors=True)


def wait_filled(log_path: Path, count: int, *, timeout: float) -> None:
    """Wait until the pool was filled ``count`` times and its kernel has run the notebook."""
    deadline = time.monotonic() + timeout
    while log_path.read_text().count(FILLED) < count or "is running at" not in log_path.read_text():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the app did not get ready; see {log_path}")
        time.sleep(0.2)
    if count:
        time.sleep(6)  # the filled kernel goes on running the notebook: let it finish


def first_chart(browser: Any, url: str, selector: str) -> float:
    """Seconds from navigation start to the first chart drawn, in a fresh context."""
    context = browser.new_context()
    context.route("**/*", lambda r: r.continue_() if "127.0.0.1" in r.request.url else r.abort())
    page = context.new_page()
    page.add_init_script(f"window.__cxSelector = {json.dumps(selector)};" + WATCH_JS)
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => window.__cxDrawn && window.__cxDrawn.length", timeout=300_000)
    drawn = page.evaluate("() => window.__cxDrawn[0]") / 1000
    page.close(run_before_unload=True)  # Voila shuts the page's kernel down
    context.close()
    return float(drawn)


def redraws(browser: Any, url: str, changes: list[tuple[int, str]]) -> list[float]:
    """Seconds from each filter change to its new chart drawn (option labels by select)."""
    context = browser.new_context()
    page = context.new_page()
    selector = ".cx-overview-output .cx-chart"
    page.add_init_script(f"window.__cxSelector = {json.dumps(selector)};" + WATCH_JS)
    page.goto(url)
    page.wait_for_function("() => window.__cxDrawn && window.__cxDrawn.length", timeout=300_000)
    times = []
    for select, label in changes:
        before = page.evaluate("() => window.__cxDrawn.length")
        started = page.evaluate(
            """([index, label]) => {
                 const box = document.querySelectorAll('.cx-filter select')[index];
                 const option = Array.from(box.options).find(
                   o => o.text.replace(/\\u00a0/g, ' ') === label);
                 box.value = option.value;
                 const t = performance.now();
                 box.dispatchEvent(new Event('change', {bubbles: true}));
                 return t;
               }""",
            [select, label],
        )
        page.wait_for_function(f"() => window.__cxDrawn.length > {before}", timeout=60_000)
        times.append((page.evaluate("() => window.__cxDrawn.at(-1)") - started) / 1000)
    page.close(run_before_unload=True)
    context.close()
    return times


def kernel_memory(process: psutil.Process) -> list[tuple[float, float]]:
    """(RSS, USS) in MB of each kernel of the server."""
    out = []
    for child in process.children(recursive=True):
        if "ipykernel_launcher" in " ".join(child.cmdline()):
            info = child.memory_full_info()
            out.append((info.rss / 2**20, info.uss / 2**20))
    return out


def big_workspace(demo: Path, target: Path, rows: int) -> Path:
    """The demo workspace with its responses resampled to ``rows`` rows (unique ids)."""
    shutil.copytree(demo, target, ignore=shutil.ignore_patterns("reports"))
    path = target / "data" / "survey_responses.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    big = frame.sample(n=rows, replace=True, random_state=0).reset_index(drop=True)
    big["Response ID"] = [f"R_{i:08d}" for i in range(rows)]
    big.to_csv(path, index=False)
    return target


def kernel_redraw(workspace: Path, repeat: int = 20) -> tuple[float, float]:
    """Best and median seconds of the kernel's part of a redraw: cube → tiles, chart, HTML."""
    from cxlib import sections
    from cxlib.page import Page
    from cxlib.params import Segment, validate_parameters
    from cxlib.periods import parse_period

    page = Page(validate_parameters(workspace=str(workspace), mode="interactive"))
    page.title = "page.overview.title"
    cube = sections.overview_cube(page)
    times = []
    for i in range(repeat):
        period = parse_period(("2025-Q4", "2026", "")[i % 3])
        segment = (Segment("region", "Hamburg"), None)[i % 2]
        started = time.perf_counter()
        sections.overview_body_html(page, period, segment, cube=cube)
        times.append(time.perf_counter() - started)
    return min(times), statistics.median(times)


def show(name: str, values: list[float]) -> str:
    return f"{name:<38} best {min(values):6.3f} s   median {statistics.median(values):6.3f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per variant (default 5)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="responses of the big case")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="cx-bench-app-"))
    try:
        demo = folder / "demo"
        generate_demo(demo)
        floor_dir = folder / "floor"
        floor_dir.mkdir()
        notebook = {
            "cells": [{"cell_type": "code", "metadata": {}, "source": FLOOR_SOURCE,
                       "outputs": [], "execution_count": None}],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5,
        }  # fmt: skip
        # named like the overview, so the same kernel pool configuration preheats it
        (floor_dir / "00_overview.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
        overview = f"/voila/render/00_overview.ipynb?token={TOKEN}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            results: dict[str, list[float]] = {"overview": [], "floor": [], "cold": []}
            with (
                server(demo, folder) as (app, app_log, app_process),
                server(demo, folder, notebooks=floor_dir) as (floor, floor_log, _),
                server(demo, folder, pool=0) as (cold, _cold_log, _),
            ):
                memory = kernel_memory(app_process)
                pooled = (("overview", app, app_log), ("floor", floor, floor_log))
                for run in range(args.runs):
                    for name, base, log in pooled:
                        results[name].append(first_chart(browser, base + overview, ".cx-chart"))
                        wait_filled(log, run + 2, timeout=300)
                    results["cold"].append(first_chart(browser, cold + overview, ".cx-chart"))
                small = redraws(browser, app + overview, CHANGES * max(1, args.runs // 2))
            print(f"first chart (request → chart drawn), {args.runs} runs each, alternating")
            for name in ("overview", "floor", "cold"):
                print(show(f"  {name}", results[name]))
            ratio = min(results["overview"]) / min(results["floor"])
            median_ratio = statistics.median(results["overview"]) / statistics.median(
                results["floor"]
            )
            print(f"  ratio overview / floor: best {ratio:.2f}×, median {median_ratio:.2f}× "
                  "(target ≤ 1.5×)")  # fmt: skip
            print(show("filter redraw, demo (30k responses)", small))
            print(
                "kernel memory per preheated kernel (demo): "
                + ", ".join(f"RSS {r:.0f} MB / USS {u:.0f} MB" for r, u in memory)
            )
            best, median = kernel_redraw(demo)
            print(f"  kernel's part of a redraw, demo: best {best:.3f} s, median {median:.3f} s")
            big = big_workspace(demo, folder / "big", args.rows)
            started = time.perf_counter()
            with server(big, folder) as (big_app, _big_log, big_process):
                print(f"1M app ready (kernel preheated) in {time.perf_counter() - started:.0f} s")
                big_memory = kernel_memory(big_process)
                large = redraws(browser, big_app + overview, CHANGES * max(1, args.runs // 2))
            print(show(f"filter redraw, {args.rows:,} responses", large) + " (target ≤ 0.25 s)")
            print(
                f"kernel memory per preheated kernel ({args.rows:,}): "
                + ", ".join(f"RSS {r:.0f} MB / USS {u:.0f} MB" for r, u in big_memory)
            )
            best, median = kernel_redraw(big)
            print(f"  kernel's part of a redraw, {args.rows:,}: best {best:.3f} s, median "
                  f"{median:.3f} s")  # fmt: skip
            browser.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


#: Filter changes of a redraw run: (select: 1 period, 2 segment; option label).
CHANGES = [
    (1, "2025-Q4"),
    (2, "Region: Hamburg"),
    (1, "2026"),
    (2, "Channel: Store"),
    (1, "All data"),
    (2, "All customers"),
]


if __name__ == "__main__":
    main()
