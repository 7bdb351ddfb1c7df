"""The workshop forms in the Voila app, in headless Chromium: add, reload, and a stale save.

Set ``CX_FORMS_SCREENSHOTS`` to a folder to keep screenshots of the goals and journey forms there
(``docs/forms-goals.png`` and ``docs/forms-journey.png`` are made this way).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from app_server import free_port, running
from conftest import PageWatch, open_watched

from cxlib.app import app_command
from cxlib.exchange import apply_template
from cxlib.workbook import Workbook
from cxlib.workspace import load_workspace

pytestmark = [pytest.mark.slow, pytest.mark.browser]
TOKEN = "forms-token-7d2e"
GOAL = "Delivery promises kept"
TOUCHPOINT = "Delivery slot e-mail"
LOADED = 120_000  # ms: a page runs its notebook in a fresh kernel
SAVED = 60_000  # ms: a save and the page update, on a busy shared machine
# Voila's page-unload beacon that shuts the page's kernel down carries no _xsrf field and is
# refused (voila-dashboards/voila#1458; the kernel is culled later). A reload sends it; only
# that request is forgiven, by its exact path.
UNLOAD_BEACON = re.compile(r"\b403\b.*/voila/api/shutdown/[0-9a-f-]+$")


@pytest.fixture(scope="module")
def app(demo_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a copy of the demo workspace with the retail journey; yields its base URL."""
    root = tmp_path_factory.mktemp("forms") / "ws"
    shutil.copytree(demo_workspace, root, ignore=shutil.ignore_patterns("reports", "workbook.db"))
    with Workbook.open(load_workspace(root)) as workbook:
        apply_template(workbook, "retail", who="facilitator")
    port = free_port()
    command = app_command(root, port=port, token=TOKEN, pool_size=0)
    base = f"http://127.0.0.1:{port}"
    try:
        with running(
            command.argv,
            root.parent / "serve.log",
            ready_url=f"{base}/?token={TOKEN}",
            env=command.env,
        ):
            yield base
    finally:
        shutil.rmtree(command.data_dir, ignore_errors=True)


@pytest.fixture
def new_page(browser: Any) -> Iterator[Callable[[], tuple[Any, PageWatch]]]:
    """Pages in separate browser contexts (separate people); requests off the machine fail."""
    contexts: list[Any] = []

    def open_() -> tuple[Any, PageWatch]:
        context, page, watch = open_watched(browser, failed_responses=True)
        contexts.append(context)
        return page, watch

    yield open_
    for context in contexts:
        context.close()


def open_form(page: Any, app: str, notebook: str, who: str) -> None:
    """Open a workbook page and give the name."""
    page.goto(f"{app}/voila/render/{notebook}.ipynb?token={TOKEN}")
    name = page.locator(".cx-name input")
    name.wait_for(timeout=LOADED)
    name.fill(who)
    name.press("Tab")


def typed(page: Any, selector: str, value: str) -> None:
    """Type into a text field and leave it (the value is sent when the field loses focus)."""
    field = page.locator(selector)
    field.fill(value)
    field.press("Tab")


def field(form: str, name: str, element: str = "input") -> str:
    return f".cx-form-{form} .cx-field-{name} {element}"


def screenshot(page: Any, name: str, tmp_path: Path) -> None:
    """The page's forms, whole: the viewport is made tall enough that nothing scrolls."""
    folder = Path(os.environ.get("CX_FORMS_SCREENSHOTS") or tmp_path)
    forms = page.locator(".cx-forms")
    # the template may scroll an inner container: make every one tall enough
    height = page.evaluate(
        "() => Math.max(...Array.from(document.querySelectorAll('*'), e => e.scrollHeight))"
    )
    page.set_viewport_size({"width": 1200, "height": int(height) + 40})
    page.evaluate("() => window.scrollTo(0, 0)")
    forms.screenshot(path=folder / name)
    page.set_viewport_size({"width": 1200, "height": 900})


def clean(*watches: PageWatch) -> None:
    for watch in watches:
        assert watch.outside_requests == [], watch.outside_requests
        errors = [e for e in watch.errors if not UNLOAD_BEACON.search(e)]
        assert errors == [], errors
        assert watch.dialogs == [], watch.dialogs


def test_add_a_goal_and_a_touchpoint_reload_and_both_are_there(
    app: str, new_page: Callable[[], tuple[Any, PageWatch]], tmp_path: Path
) -> None:
    page, watch = new_page()
    open_form(page, app, "01_goals", "Ann")
    typed(page, field("goal", "title"), GOAL)
    page.locator(field("goal", "kpi", "select")).select_option(label="Customer satisfaction (CSAT)")
    typed(page, field("goal", "baseline"), "78")
    typed(page, field("goal", "baseline_n"), "412")
    typed(page, field("goal", "target"), "85.5")
    page.locator(field("goal", "deadline")).fill("2030-12-31")
    page.locator(field("goal", "owner", "select")).select_option(label="Logistics")
    page.locator(field("goal", "stages", "select")).select_option(
        label="Buying a sofa – Delivery and assembly"
    )
    page.locator(".cx-goal-save").click()
    page.get_by_text(f"Added “{GOAL}”.").wait_for(timeout=SAVED)
    screenshot(page, "forms-goals.png", tmp_path)

    page.reload()
    page.locator(".cx-form-goal select option", has_text=GOAL).wait_for(timeout=LOADED)

    journey, journey_watch = new_page()
    open_form(journey, app, "03_journey_map", "Ann")
    stages = journey.locator(".cx-form-stage select").first
    stages.locator("option", has_text="Delivery and assembly").wait_for(timeout=LOADED)
    stages.select_option(label="Delivery and assembly")
    journey.locator(".cx-touchpoint-save:not([disabled])").wait_for(timeout=SAVED)
    typed(journey, field("touchpoint", "name"), TOUCHPOINT)
    journey.locator(field("touchpoint", "channel", "select")).select_option(label="E-mail")
    journey.locator(field("touchpoint", "owner", "select")).select_option(label="Logistics")
    typed(
        journey,
        field("touchpoint", "pain_points", "textarea"),
        "Slot too wide\nNo way to change it",
    )
    journey.locator(".cx-touchpoint-save").click()
    journey.get_by_text(f"Added “{TOUCHPOINT}”.").wait_for(timeout=SAVED)
    screenshot(journey, "forms-journey.png", tmp_path)

    journey.reload()
    stages = journey.locator(".cx-form-stage select").first
    stages.locator("option", has_text="Delivery and assembly").wait_for(timeout=LOADED)
    stages.select_option(label="Delivery and assembly")
    journey.locator(".cx-form-touchpoint select option", has_text=TOUCHPOINT).wait_for(
        timeout=SAVED
    )
    body = journey.inner_text("body")
    assert "Traceback" not in body and "There was an error" not in body
    clean(watch, journey_watch)


def test_a_stale_save_in_a_second_browser_shows_the_conflict(
    app: str, new_page: Callable[[], tuple[Any, PageWatch]], tmp_path: Path
) -> None:
    title = "Answer within a day"
    ann, ann_watch = new_page()
    open_form(ann, app, "01_goals", "Ann")
    typed(ann, field("goal", "title"), title)
    ann.locator(field("goal", "kpi", "select")).select_option(label="Net Promoter Score")
    typed(ann, field("goal", "target"), "30")
    ann.locator(field("goal", "deadline")).fill("2030-06-30")
    ann.locator(field("goal", "owner", "select")).select_option(label="Customer Service")
    ann.locator(".cx-goal-save").click()
    ann.get_by_text(f"Added “{title}”.").wait_for(timeout=SAVED)

    bo, bo_watch = new_page()
    open_form(bo, app, "01_goals", "Bo")
    listing = bo.locator(".cx-form-goal select").first
    listing.locator("option", has_text=title).wait_for(timeout=LOADED)
    listing.select_option(label=title)
    bo.wait_for_function(
        "t => document.querySelector('.cx-form-goal .cx-field-title input').value === t",
        arg=title,
        timeout=SAVED,
    )

    typed(ann, field("goal", "target"), "35")
    ann.locator(".cx-goal-save").click()
    ann.get_by_text(f"Saved “{title}”.").wait_for(timeout=SAVED)

    typed(bo, field("goal", "target"), "40")
    bo.locator(".cx-goal-save").click()
    bo.get_by_text("Someone else saved this entry (goal) since you opened it.").wait_for(
        timeout=SAVED
    )
    assert bo.locator(".cx-compare tr.differs", has_text="Target").count() == 1
    assert bo.locator(field("goal", "target")).input_value() == "40"
    assert bo.locator(".cx-goal-take-theirs").is_visible()
    assert bo.locator(".cx-goal-save-mine").is_visible()
    screenshot(bo, "forms-conflict.png", tmp_path)
    clean(ann_watch, bo_watch)
