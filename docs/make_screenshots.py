"""Refresh the README's screenshots: a built report and the app, in headless Chromium.

Run from the repository root after ``make demo`` and a report of the story's quarter,
``.venv/bin/cx-workbook report cx-workbook-demo --period 2025-Q4 --notebook 02``:
``.venv/bin/python docs/make_screenshots.py cx-workbook-demo``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS = Path(__file__).resolve().parent


def main(workspace: str) -> None:
    reports = Path(workspace).resolve() / "reports"
    report = reports / "2025-Q4" / "all" / "en" / "02_current_state.html"  # Hamburg's drop
    # the app: its landing page, then the overview for Hamburg in 2025-Q4 in each language
    token, port = "screenshots", 8877
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cxlib.cli",
            "serve",
            workspace,
            "--port",
            str(port),
            "--token",
            token,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={token}", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            if report.exists():  # after the `cx-workbook report` above
                page.goto(report.as_uri())
                page.wait_for_selector(".cx-chart svg")
                page.screenshot(
                    path=DOCS / "report-current-state.png",
                    clip={"x": 0, "y": 0, "width": 1200, "height": 1400},
                    full_page=True,
                )
            page.goto(f"http://127.0.0.1:{port}/?token={token}")
            page.wait_for_selector("a[href*='00_overview']")
            page.screenshot(path=DOCS / "app-landing.png", full_page=True)
            overview = f"http://127.0.0.1:{port}/voila/render/00_overview.ipynb"
            for language, shot in (
                ("English", "app-overview.png"),
                ("Deutsch", "app-overview-de.png"),
                ("Dansk", "app-overview-da.png"),
            ):
                page.goto(overview, wait_until="commit", timeout=180_000)
                page.wait_for_selector(".cx-overview-output .cx-chart svg", timeout=180_000)
                filters = page.locator(".cx-filter select")
                filters.nth(0).select_option(label=language)
                page.wait_for_timeout(3000)
                filters.nth(1).select_option(label="2025-Q4")
                page.wait_for_timeout(2000)
                filters.nth(2).select_option(label="Region: Hamburg")
                page.wait_for_timeout(3000)
                page.screenshot(path=DOCS / shot, full_page=True)
            poster_screenshot(browser, workspace)
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def poster_screenshot(browser: Any, workspace: str) -> None:
    """The demo's journey map as its A3 poster (the SVG, as Chromium draws it)."""
    from cxlib.journey_poster import export_poster

    with tempfile.TemporaryDirectory() as folder:
        svg = export_poster(workspace, fmt="svg", out=Path(folder) / "poster.svg")
        page = browser.new_page(viewport={"width": 1587, "height": 1123}, device_scale_factor=0.8)
        page.goto(svg.as_uri())
        page.screenshot(path=DOCS / "poster-journey.png")
        page.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "cx-workbook-demo")
