"""The Voila app in headless Chromium: refused without its token, charts draw and redraw."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from app_server import free_port, running
from conftest import CHARTS_DRAWN_JS, PageWatch

pytestmark = [pytest.mark.slow, pytest.mark.browser]
TOKEN = "test-token-4f1c9a"
CHART = ".cx-overview-output .cx-chart"
NOTEBOOKS = ("00_overview", "01_goals", "02_current_state", "03_journey_map", "04_kpi_tracking")
NEW_CHART_JS = (
    "old => { const e = document.querySelector('.cx-overview-output .cx-chart');"
    " return e && e.id !== old && e.querySelector('svg'); }"
)
#: Every script, stylesheet, image, frame and icon a page asks for, as absolute URLs.
ASSETS_JS = """
() => Array.from(document.querySelectorAll(
  'script[src], link[href], img[src], iframe[src], source[src], object[data]'
)).map(e => e.src || e.href || e.data)
"""
_REMOTE = re.compile(
    r"""(?:<script[^>]+src|<link[^>]+href|<img[^>]+src)\s*=\s*["']?((?:https?:)?//[^"'\s>]+)"""
    r"""|@import\s+(?:url\()?\s*["']?((?:https?:)?//[^"')\s]+)"""
    r"""|url\(\s*["']?((?:https?:)?//[^"')\s]+)""",
    re.IGNORECASE,
)


def _remote_references(text: str) -> list[str]:
    """Addresses off this machine that HTML or CSS would load: src, href, @import, url()."""
    found = ["".join(groups) for groups in _REMOTE.findall(text)]
    return [url for url in found if not re.match(r"(?:https?:)?//(?:127\.0\.0\.1|localhost)", url)]


@contextmanager
def serving(workspace: Path, log_path: Path) -> Iterator[str]:
    """``cx-workbook serve`` on a free loopback port; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    argv = [sys.executable, "-m", "cxlib.cli", "serve", str(workspace), "--port", str(port)]
    with running([*argv, "--token", TOKEN], log_path, ready_url=f"{base}/?token={TOKEN}"):
        yield base


@pytest.fixture(scope="module")
def app(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on the demo workspace."""
    with serving(demo_workspace, tmp_path_factory.mktemp("app") / "serve.log") as base:
        yield base


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


@pytest.mark.parametrize("path", ["/", *(f"/voila/render/{n}.ipynb" for n in NOTEBOOKS)])
def test_without_token_the_app_refuses(
    app: str, offline_page: tuple[Any, PageWatch], path: str
) -> None:
    page, _watch = offline_page
    for query in ("", "?token=wrong"):
        response = page.goto(f"{app}{path}{query}")
        assert response is not None
        assert "/login" in page.url
        assert page.locator(".cx-chart, .cx-steps, .cx").count() == 0
        assert "Nordlys Home" not in page.content()


def test_the_landing_page_lists_the_five_steps(
    app: str, offline_page: tuple[Any, PageWatch]
) -> None:
    page, watch = offline_page
    page.goto(f"{app}/?token={TOKEN}")
    links = page.locator(".cx-steps a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs == [f"/voila/render/{n}.ipynb" for n in NOTEBOOKS], "only our notebooks"
    body = page.inner_text("body")
    assert "Nordlys Home" in body and "Five steps" in body and "STEP 4" in body.upper()
    assert page.locator("script").count() == 0, "the landing page runs no script"
    links.nth(2).click()  # the login cookie carries the token to the steps
    page.get_by_text("Data sources", exact=True).first.wait_for(timeout=90_000)  # its last section
    assert "/voila/render/02_current_state.ipynb" in page.url
    assert watch.outside_requests == [] and watch.errors == [] and watch.dialogs == []


def test_everything_the_app_serves_comes_from_the_app(
    app: str, offline_page: tuple[Any, PageWatch]
) -> None:
    page, watch = offline_page
    for path in ("/", "/voila/render/00_overview.ipynb"):
        response = page.goto(f"{app}{path}?token={TOKEN}")
        assert response is not None and response.status == 200
        html = response.text()
        page.wait_for_load_state("load")
        assets = page.evaluate(ASSETS_JS)
        assert assets, path
        for url in assets:
            assert url.startswith(app + "/") or url.startswith("data:"), (path, url)
        found = _remote_references(html)
        for url in [u for u in assets if u.endswith(".css") or ".css?" in u]:
            found += _remote_references(page.request.get(url).text())
        assert found == [], (path, found)
    assert watch.outside_requests == []


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
        page.locator(".cx-filter select").nth(1),
        page.locator(".cx-filter select").nth(2),
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
    last = "Data sources" if name == "02_current_state" else "Your name"  # the last sections
    page.get_by_text(last, exact=True).first.wait_for(timeout=90_000)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.cx-chart')).every("
        "e => e.querySelector('svg, canvas') || e.textContent.length > 0)",
        timeout=20_000,
    )
    drawn = page.evaluate(CHARTS_DRAWN_JS)
    assert all(drawn)
    expected = {"01_goals": 0, "02_current_state": 10, "03_journey_map": 2, "04_kpi_tracking": 4}
    assert len(drawn) == expected[name]
    body = page.inner_text("body")
    assert "Nordlys Home" in body
    assert "There was an error" not in body and "Traceback" not in body
    assert not re.search(r"[\w.+-]+@example\.(?:com|org|net)", body), "an e-mail leaked"
    assert not re.search(r"\+4[59][\d ]{8,}|\b\d{2} \d{2} \d{2} \d{2}\b", body), "a phone leaked"
    assert watch.outside_requests == [] and watch.errors == [] and watch.dialogs == []


def _open_overview(app: str, page: Any) -> str:
    page.goto(f"{app}/voila/render/00_overview.ipynb?token={TOKEN}")
    page.wait_for_selector(f"{CHART} svg", timeout=90_000)
    return str(page.get_attribute(CHART, "id"))


def test_the_language_switch_redraws_the_overview(
    app: str, offline_page: tuple[Any, PageWatch]
) -> None:
    page, watch = offline_page
    first_id = _open_overview(app, page)
    assert "How customers rate us" in page.inner_text("body")
    page.locator(".cx-filter select").nth(0).select_option(label="Dansk")
    page.wait_for_function(NEW_CHART_JS, arg=first_id, timeout=30_000)
    body = page.inner_text("body")
    assert "Sådan vurderer kunderne os" in body and "Overblik" in body
    assert "How customers rate us" not in body
    first = page.eval_on_selector(
        ".cx-filter:nth-child(2) select", "s => s.options[0].text.replace(/\\u00a0/g, ' ')"
    )
    assert first == "Alle data"
    home = page.eval_on_selector(".cx-app-home", "a => getComputedStyle(a, '::after').content")
    assert home == '"Alle trin"', "the app bar's link reads Danish too"
    assert all(page.evaluate(CHARTS_DRAWN_JS))
    assert watch.outside_requests == [] and watch.errors == [] and watch.dialogs == []


#: Sets values the page never offers through the page's own widget manager (what a hostile
#: browser can do): an index out of range, and a value the kernel does not sync at all.
TAMPER_JS = """
async ([description, state]) => {
  const manager = await window.jupyterapp.widgetManagerPromise.promise;
  const models = await Promise.all(Object.values(manager._models));
  const box = models.find(m => m.get('_model_name') === 'DropdownModel'
                               && m.get('description') === description);
  for (const [key, value] of Object.entries(state)) { box.set(key, value); }
  box.save_changes();
}
"""


@pytest.mark.parametrize(
    ("description", "state"),
    [
        ("Period", {"index": 999}),
        ("Period", {"value": "1999-Q9"}),
        ("Segment", {"value": "region=<script>window.__cxTampered=1</script>"}),
        ("Segment", {"index": -3}),
        ("Language", {"index": 7}),
    ],
)
def test_values_the_page_does_not_offer_are_refused_by_the_kernel(
    app: str, offline_page: tuple[Any, PageWatch], description: str, state: dict[str, Any]
) -> None:
    page, watch = offline_page
    chart_id = _open_overview(app, page)
    tiles = page.inner_text(".cx-overview-output .cx-tiles")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.widgetManager")
    page.evaluate(TAMPER_JS, [description, state])
    page.get_by_text("It was refused; nothing changed.").wait_for(timeout=30_000)
    assert page.get_attribute(CHART, "id") == chart_id, "nothing was redrawn"
    assert page.inner_text(".cx-overview-output .cx-tiles") == tiles
    assert page.evaluate("() => window.__cxTampered") is None
    assert watch.outside_requests == [] and watch.dialogs == []


XSS_PAYLOADS = (
    "<script>window.__cxXss=1;alert(1)</script>",
    '<img src=x onerror="window.__cxXss=2;alert(2)">',
    '<svg onload="window.__cxXss=3;alert(3)">',
    '<a href="javascript:window.__cxXss=4;alert(4)">click 4</a>',
    "</script><script>window.__cxXss=5;alert(5)</script>",
    '"><script>window.__cxXss=6;alert(6)</script>',
    "'><img src=x onerror=window.__cxXss=7;alert(7)>",
    "${window.__cxXss=8;alert(8)}",
    "{{constructor.constructor('window.__cxXss=9;alert(9)')()}}",
    "[click 10](javascript:window.__cxXss=10;alert(10))",
    '<div style="width:expression(alert(11));background:url(javascript:alert(11))">11</div>',
    '<iframe src="javascript:parent.__cxXss=12;alert(12)"></iframe>',
    "<body onload=window.__cxXss=13;alert(13)>",
    '<details open ontoggle="window.__cxXss=14;alert(14)">',
    "<math><mtext><table><mglyph><style><img src=x onerror=window.__cxXss=15;alert(15)>",
    '<input autofocus onfocus="window.__cxXss=16;alert(16)">',
    '<object data="data:text/html,<script>parent.__cxXss=17;alert(17)</script>">',
    '<img src="http://evil.example/cx18.png">',
    "<style>@import 'http://evil.example/cx19.css';</style>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(20)">',
)
assert len(set(XSS_PAYLOADS)) == 20
SEGMENT_PAYLOADS = {
    "Member": '"><svg onload=window.__cxXss=21>',
    "New": "</option><script>window.__cxXss=22</script>",
    "Returning": "{{7*7}} ${7*7} <b onmouseover=window.__cxXss=23>",
}
PLANTED_NAME = "Nordlys <img src=x onerror=window.__cxXss=24> Home"


def _plant(workspace: Path) -> None:
    """Payloads as region names, customer types, in comments and the workspace name; PII too."""
    import pandas as pd

    path = workspace / "data" / "survey_responses.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    rows = range(len(frame))
    frame["Region"] = [XSS_PAYLOADS[i % len(XSS_PAYLOADS)] for i in rows]
    frame["Customer type"] = frame["Customer type"].map(SEGMENT_PAYLOADS)
    frame["Comment"] = [
        f"{text} {XSS_PAYLOADS[i % len(XSS_PAYLOADS)]} Mail jane.doe{i}@example.com, "
        f"call +49 170 {1000000 + i}."
        if text
        else text
        for i, text in zip(rows, frame["Comment"], strict=True)
    ]
    frame.to_csv(path, index=False)
    config = workspace / "workspace.yaml"
    text = config.read_text(encoding="utf-8").replace(
        "name: Nordlys Home", f'name: "{PLANTED_NAME}"'
    )
    config.write_text(text, encoding="utf-8")
    _plant_workshop(workspace)


#: Where the workshop's own words are planted: kind → the text fields overwritten.
WORKSHOP_FIELDS = {
    "journey": ("name", "persona"),
    "stage": ("name", "customer_goal"),
    "touchpoint": ("name",),
    "goal": ("title", "description"),
    "action": ("title", "expected_effect"),
}


def _plant_workshop(workspace: Path) -> None:
    """Payloads as goal titles, stage and touchpoint names, pain points and action titles.

    Written straight into the store, as a compromised export or database would: the forms
    themselves refuse markup.
    """
    from cxlib.store import Store

    with Store.for_workspace(workspace) as store:
        planted = 0
        for kind, fields in WORKSHOP_FIELDS.items():
            for record in store.list(kind):
                data = dict(record.data)
                for field in fields:
                    data[field] = XSS_PAYLOADS[planted % len(XSS_PAYLOADS)]
                    planted += 1
                if kind == "touchpoint":
                    data["pain_points"] = [XSS_PAYLOADS[planted % len(XSS_PAYLOADS)]]
                    planted += 1
                store.save(kind, record.id, data, version=record.version, who="attacker")


@pytest.fixture(scope="module")
def planted_app(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a copy of the demo whose texts are attacks and whose comments hold PII."""
    import shutil

    workspace = tmp_path_factory.mktemp("planted") / "ws"
    shutil.copytree(demo_workspace, workspace, ignore=shutil.ignore_patterns("reports"))
    _plant(workspace)
    with serving(workspace, workspace.parent / "serve.log") as base:
        yield base


def _safe(page: Any, watch: PageWatch) -> str:
    """The page's text after checking that nothing planted ran, linked or loaded."""
    page.wait_for_timeout(500)  # give any planted handler its chance
    assert page.evaluate("() => window.__cxXss") is None
    assert page.evaluate("() => window.__cxTampered") is None
    assert watch.dialogs == [] and watch.outside_requests == []
    assert page.locator("a[href^='javascript:'], iframe, object, details").count() == 0
    handlers = "[onerror], [onload], [onfocus], [ontoggle], [onmouseover], [autofocus]"
    assert page.locator(handlers).count() == 0, "a planted element with an event handler"
    body = str(page.inner_text("body"))
    assert not re.search(r"[\w.+-]+@example\.(?:com|org|net)", body), "an e-mail leaked"
    assert not re.search(r"\+4[59][\d ]{8,}", body), "a phone number leaked"
    return body


def test_planted_attacks_render_as_text_on_the_landing_page(
    planted_app: str, offline_page: tuple[Any, PageWatch]
) -> None:
    page, watch = offline_page
    page.goto(f"{planted_app}/?token={TOKEN}")
    body = _safe(page, watch)
    assert PLANTED_NAME in body and page.locator("img").count() == 0


def test_planted_attacks_render_as_text_in_the_overview(
    planted_app: str, offline_page: tuple[Any, PageWatch]
) -> None:
    page, watch = offline_page
    first_id = _open_overview(planted_app, page)
    options = page.eval_on_selector_all(
        ".cx-filter:nth-child(3) select option",
        "options => options.map(o => o.text.replace(/\\u00a0/g, ' '))",
    )
    for payload in (*XSS_PAYLOADS, *SEGMENT_PAYLOADS.values()):
        assert any(o.endswith(f": {payload}") for o in options), payload
    page.locator(".cx-filter select").nth(2).select_option(label=f"Region: {XSS_PAYLOADS[4]}")
    page.wait_for_function(NEW_CHART_JS, arg=first_id, timeout=30_000)
    body = _safe(page, watch)
    assert PLANTED_NAME in body and "n = " in body
    assert all(page.evaluate(CHARTS_DRAWN_JS))


@pytest.mark.parametrize("name", ["00_overview", "01_goals", "03_journey_map", "04_kpi_tracking"])
def test_planted_workshop_entries_render_as_text(
    planted_app: str, offline_page: tuple[Any, PageWatch], name: str
) -> None:
    page, watch = offline_page
    page.goto(f"{planted_app}/voila/render/{name}.ipynb?token={TOKEN}")
    last = "Top pain points and who owns them" if name == "00_overview" else "Your name"
    page.get_by_text(last, exact=True).first.wait_for(timeout=120_000)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.cx-chart')).every("
        "e => e.querySelector('svg, canvas') || e.textContent.length > 0)",
        timeout=30_000,
    )
    body = _safe(page, watch)
    shown = [payload for payload in XSS_PAYLOADS if payload in body]
    assert len(shown) >= 3, "the planted goal, stage, touchpoint and action texts are shown"
    assert "There was an error" not in body and "Traceback" not in body


def test_planted_attacks_render_as_text_in_the_current_state(
    planted_app: str, offline_page: tuple[Any, PageWatch]
) -> None:
    page, watch = offline_page
    page.goto(f"{planted_app}/voila/render/02_current_state.ipynb?token={TOKEN}")
    page.get_by_text("Data sources", exact=True).first.wait_for(timeout=120_000)
    body = _safe(page, watch)
    for payload in (*XSS_PAYLOADS, *SEGMENT_PAYLOADS.values()):
        assert payload in body, payload  # region and customer-type tables show every one
    quotes = page.locator(".cx-quotes li").all_inner_texts()
    assert quotes and all(any(p in q for p in XSS_PAYLOADS) for q in quotes)
    assert all("[email]" in q and "[phone]" in q for q in quotes), quotes
    assert all(page.evaluate(CHARTS_DRAWN_JS))
