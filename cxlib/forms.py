"""The workshop forms of the interactive workbook: goals, the journey map and actions.

A notebook calls one function after its sections — :func:`goals_form` (``01_goals``),
:func:`journey_form` (``03_journey_map``), :func:`actions_form` (``04_kpi_tracking``). In report
mode they show nothing, and the widgets are not even imported (ipywidgets and the forms' modules
take 0.1 s to import, in every report kernel); in interactive mode (JupyterLab, the Voila app)
they show the pages of :mod:`cxlib.forms_pages`.
"""

from __future__ import annotations

from cxlib.page import Page


def goals_form(page: Page) -> None:
    """Show the goals form (interactive mode only; report mode shows nothing)."""
    if page.interactive:
        from cxlib.forms_pages import goals_page, show

        show(page, goals_page, "forms.page.goals")


def journey_form(page: Page) -> None:
    """Show the journey, stage and touchpoint forms (interactive mode only)."""
    if page.interactive:
        from cxlib.forms_pages import journey_page, show

        show(page, journey_page, "forms.page.journey")


def actions_form(page: Page) -> None:
    """Show the actions form (interactive mode only)."""
    if page.interactive:
        from cxlib.forms_pages import actions_page, show

        show(page, actions_page, "forms.page.actions")
