"""Shared fixtures: the demo workspace, a network guard and an offline headless Chromium."""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import altair as alt
import pytest

from cxlib.charts import CHECK_ENV
from cxlib.demo import generate_demo
from cxlib.exchange import seed_demo_workbook

# every chart the suite renders — here, in papermill's kernels and in Voila's — is checked
# against the Vega-Lite schema (pages skip that check for speed); importing cxlib.charts above
# turned Altair's own checks off in this process, so they are turned on again
os.environ[CHECK_ENV] = "1"
alt.utils.schemapi.enable_debug_mode()

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
NAVIGATION_TIMEOUT_MS = 180_000


def _is_local(address: Any) -> bool:
    if not isinstance(address, tuple):  # unix sockets
        return True
    host = str(address[0])
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def no_outside_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test whose Python code connects anywhere but this machine."""
    original = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if not _is_local(address):
            raise AssertionError(f"test tried to reach {address!r}: only loopback is allowed")
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A freshly generated demo workspace (read-only for tests: copy it to change it)."""
    directory = tmp_path_factory.mktemp("demo") / "workspace"
    generate_demo(directory)
    seed_demo_workbook(directory)
    return directory


@pytest.fixture
def workspace_copy(demo_workspace: Path, tmp_path: Path) -> Path:
    """A private copy of the demo workspace that a test may change."""
    target = tmp_path / "ws"
    shutil.copytree(demo_workspace, target, ignore=shutil.ignore_patterns("reports"))
    return target


@pytest.fixture
def shared_data() -> Path:
    """The real public data sets beside the repository; skipped only outside CI."""
    if not SHARED_DATA.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"shared data folder missing in CI: {SHARED_DATA}")
        pytest.skip("the shared data sets (../shared/data) are not beside this checkout")
    return SHARED_DATA


@dataclass
class PageWatch:
    """What a page did that a test must check: outside requests, errors and dialogs."""

    outside_requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run the README's test command, which installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def _local_url(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in {"file", "data", "blob", "about"}:
        return True
    return parsed.hostname in {"127.0.0.1", "localhost", "::1"}


def open_watched(browser: Any, *, failed_responses: bool = False) -> tuple[Any, Any, PageWatch]:
    """A page in a fresh browser context (one person), watched: requests off this machine are
    blocked and recorded, JavaScript errors and dialogs recorded (and, if asked, responses of
    400 and up). Returns the context (close it), the page and its watch."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    # a Voila page's load event comes after its notebook ran in a fresh kernel: on a busy
    # 2-core machine that can take more than Playwright's default 30 s
    page.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    watch = PageWatch()

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if _local_url(url):
            request_route.continue_()
        else:
            watch.outside_requests.append(url)
            request_route.abort()

    def on_console(message: Any) -> None:
        if message.type == "error":
            watch.errors.append(f"{message.text} @ {message.location.get('url', '')}")

    def on_dialog(dialog: Any) -> None:
        watch.dialogs.append(dialog.message)
        dialog.dismiss()

    def on_response(response: Any) -> None:
        if response.status >= 400:
            watch.errors.append(f"{response.status} {response.request.method} {response.url}")

    page.route("**/*", route)
    page.on("console", on_console)
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    page.on("dialog", on_dialog)
    if failed_responses:
        page.on("response", on_response)
    return context, page, watch


@pytest.fixture
def offline_page(browser: Any) -> Iterator[tuple[Any, PageWatch]]:
    """A fresh page whose requests off this machine are blocked and recorded."""
    context, page, watch = open_watched(browser)
    yield page, watch
    context.close()


CHARTS_DRAWN_JS = """
() => Array.from(document.querySelectorAll('.cx-chart')).map(
  el => Array.from(el.querySelectorAll('svg, canvas')).some(
    g => g.tagName.toLowerCase() === 'canvas'
      || g.querySelectorAll('path, rect, line, text').length > 0
  )
)
"""


ENGINES = ("pandas", "polars", "duckdb")


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Any:
    """Convert a pandas frame to each engine in turn: pandas, polars, a DuckDB relation."""

    connections: list[Any] = []

    def convert(frame: Any) -> Any:
        if request.param == "polars":
            return _to_polars(frame)
        if request.param == "duckdb":
            import duckdb

            connections.append(duckdb.connect())
            return connections[-1].from_df(frame)
        return frame

    return convert


def _to_polars(frame: Any) -> Any:
    """pandas → polars column by column (``pl.from_pandas`` touches a deprecated pandas API)."""
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    columns = {}
    for name, series in frame.items():
        if isinstance(series.dtype, pd.DatetimeTZDtype):
            utc = series.dt.tz_convert(None).to_numpy()
            columns[name] = pl.Series(name, utc).dt.replace_time_zone("UTC")
        else:
            columns[name] = pl.Series(name, pa.array(series.array, from_pandas=True))
    return pl.DataFrame(columns)


# --- The workshop store: a throw-away PostgreSQL server (code in tests/pg_server.py) ----------
# One server per test session, started on first use, stopped at the end even when tests fail.
# Tests make their own database on it with ``pg_server.fresh_database(postgres_url)``. pytest puts
# this folder on sys.path for conftest.py (rootdir layout, no __init__.py), so the import works.


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a PostgreSQL server on 127.0.0.1 (skipped outside CI if not installed)."""
    from pg_server import running_postgres

    with running_postgres() as url:
        yield url


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A failing test's report ends with the logs of the app servers running at the time
    (a page that never loaded is explained there: a kernel that died, a refused request…)."""
    from app_server import log_tails

    report = yield
    if report.failed:
        for title, tail in log_tails():
            report.sections.append((title, tail))
    return report
