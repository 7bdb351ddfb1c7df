"""The Voila app in headless Chromium: refused without its token, charts draw and redraw."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CHARTS_DRAWN_JS, PageWatch

pytestmark = [pytest.mark.slow, pytest.mark.browser]
TOKEN = "test-token-4f1c9a"
CHART = ".cx-overview-output .cx-chart"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def app(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``cx-workbook serve`` on a free loopback port; yields its base URL."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("app") / "serve.log"
    base = f"http://127.0.0.1:{port}"
    with (
        log_path.open("w") as log,
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "cxlib.cli",
                "serve",
                str(demo_workspace),
                "--port",
                str(port),
                "--token",
                TOKEN,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        ) as process,
    ):
        try:
            _wait_until_up(f"{base}/?token={TOKEN}", process)
            yield base
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        assert process.poll() is None, "the app stopped while starting"
        time.sleep(0.3)
    pytest.fail("the app did not answer within 90 s")


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a socket listening on ``port``, read from the kernel's tables."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A = LISTEN
                found.add(address)
    return found


def test_app_listens_on_loopback_only(app: str) -> None:
    port = int(app.rsplit(":", 1)[1])
    # 0100007F is 127.0.0.1 in the kernel's little-endian notation
    assert listening_addresses(port) == {"0100007F"}


def test_without_token_the_app_refuses(app: str, offline_page: tuple[Any, PageWatch]) -> None:
    page, _watch = offline_page
    for query in ("", "?token=wrong"):
        response = page.goto(f"{app}/voila/render/00_overview.ipynb{query}")
        assert response is not None
        assert "/login" in page.url
        assert page.locator(".cx-chart").count() == 0
        assert "Nordlys Home" not in page.content()


def test_with_token_the_overview_draws_and_filters_redraw(
    app: str, offline_page: tuple[Any, PageWatch]
) -> None:
    page, watch = offline_page
    page.goto(f"{app}/voila/render/00_overview.ipynb?token={TOKEN}")
    page.wait_for_selector(f"{CHART} svg", timeout=90_000)
    assert all(page.evaluate(CHARTS_DRAWN_JS))
    body = page.inner_text("body")
    assert "Nordlys Home" in body and "n = " in body
    assert "sections.overview" not in page.content(), "sources are stripped"
    first_id = page.get_attribute(CHART, "id")

    period, segment = (
        page.locator(".cx-filter select").nth(0),
        page.locator(".cx-filter select").nth(1),
    )
    period.select_option(label="2025-Q4")
    page.wait_for_function(
        "old => { const e = document.querySelector('.cx-overview-output .cx-chart');"
        " return e && e.id !== old && e.querySelector('svg'); }",
        arg=first_id,
        timeout=30_000,
    )
    second_id = page.get_attribute(CHART, "id")
    n_quarter = page.inner_text(".cx-overview-output .cx-tile")
    segment.select_option(label="Region: Hamburg")
    page.wait_for_function(
        "old => { const e = document.querySelector('.cx-overview-output .cx-chart');"
        " return e && e.id !== old && e.querySelector('svg'); }",
        arg=second_id,
        timeout=30_000,
    )
    n_hamburg = page.inner_text(".cx-overview-output .cx-tile")
    assert n_quarter != n_hamburg
    assert all(page.evaluate(CHARTS_DRAWN_JS))
    assert watch.outside_requests == []
    assert watch.errors == []
    assert watch.dialogs == []


@pytest.mark.parametrize(
    "name", ["01_goals", "02_current_state", "03_journey_map", "04_kpi_tracking"]
)
def test_every_workbook_page_renders_in_the_app(
    app: str, offline_page: tuple[Any, PageWatch], name: str
) -> None:
    page, watch = offline_page
    page.goto(f"{app}/voila/render/{name}.ipynb?token={TOKEN}")
    page.get_by_text("What comes next").wait_for(timeout=90_000)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.cx-chart')).every("
        "e => e.querySelector('svg, canvas') || e.textContent.length > 0)",
        timeout=20_000,
    )
    drawn = page.evaluate(CHARTS_DRAWN_JS)
    assert all(drawn)
    expected = {"01_goals": 0, "02_current_state": 7, "03_journey_map": 0, "04_kpi_tracking": 1}
    assert len(drawn) == expected[name]
    body = page.inner_text("body")
    assert "Nordlys Home" in body
    assert "There was an error" not in body and "Traceback" not in body
    assert not re.search(r"[\w.+-]+@example\.(?:com|org|net)", body), "an e-mail leaked"
    assert not re.search(r"\+4[59][\d ]{8,}|\b\d{2} \d{2} \d{2} \d{2}\b", body), "a phone leaked"
    assert watch.outside_requests == [] and watch.errors == [] and watch.dialogs == []
