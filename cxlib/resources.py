"""Where the notebooks and templates shipped with cxlib live.

In a wheel they are package data under ``cxlib/_data``; in a source checkout (editable install)
they are the repository's top-level ``notebooks/`` and ``templates/`` folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _shipped(name: str) -> Path:
    installed = _PACKAGE / "_data" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def notebooks_dir() -> Path:
    """Return the folder holding the workbook notebooks (``00_overview.ipynb`` …)."""
    return _shipped("notebooks")


def templates_dir() -> Path:
    """Return the folder holding the templates (report, voila, workspace starters)."""
    return _shipped("templates")


def notebook_names() -> list[str]:
    """Return the workbook notebooks' names without ``.ipynb``, in workbook order."""
    return sorted(p.stem for p in notebooks_dir().glob("[0-9][0-9]_*.ipynb"))
