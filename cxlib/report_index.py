"""The ``index.html`` of a batch of reports: every report set, grouped by value, linked.

The page is styled like the reports (the workbook's stylesheet, inlined), loads nothing, and
escapes every text: values come from the data. Links are relative, so the folder can be moved.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from cxlib.i18n import Translator
from cxlib.report_page import TitlePage, title_facts
from cxlib.resources import templates_dir
from cxlib.views import esc

#: File name of the index in the output root.
INDEX_NAME = "index.html"


@dataclass(frozen=True)
class IndexEntry:
    """One report of a set: its notebook, page title, files, or the error that stopped it."""

    notebook: str
    title: str
    html: Path
    pdf: Path | None = None
    error: str = ""


@dataclass(frozen=True)
class IndexGroup:
    """One report set: what tells it apart (``region=Hamburg``), its title facts, its reports."""

    label: str
    page: TitlePage
    entries: Sequence[IndexEntry]


def _link(root: Path, target: Path) -> str:
    relative = Path(os.path.relpath(target, root)).as_posix()
    return esc(quote(relative, safe="/"))


def _style() -> str:
    folder = templates_dir() / "report" / "static"
    css = "".join(
        (folder / name).read_text(encoding="utf-8") for name in ("workbook.css", "report.css")
    )
    return f"<style>{css}</style>"


def index_html(
    root: Path,
    groups: Sequence[IndexGroup],
    *,
    run: TitlePage,
    split_by: Sequence[str],
) -> str:
    """Return the index page for ``groups`` whose files lie under ``root``.

    ``run`` holds the facts of the whole run (its period and segment as asked, language, time).
    """
    tr = Translator(run.language)
    facts = [*title_facts(run), (tr("report.index.split_by"), ", ".join(split_by))]
    facts_html = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in facts)
    sections = []
    for group in groups:
        meta = "".join(
            f"<span>{esc(k)}: <b>{esc(v)}</b></span>"
            for k, v in title_facts(group.page)
            if k != tr("meta.workspace")
        )
        items = []
        for entry in group.entries:
            if entry.error:
                failed = esc(tr("report.index.failed", error=entry.error))
                items.append(
                    f'<li class="cx-failed"><b>{esc(entry.notebook)}</b> '
                    f'<span class="flag">{failed}</span></li>'
                )
                continue
            pdf = (
                f' · <a href="{_link(root, entry.pdf)}">{esc(tr("report.index.pdf"))}</a>'
                if entry.pdf is not None
                else ""
            )
            items.append(
                f'<li><a href="{_link(root, entry.html)}">{esc(entry.title or entry.notebook)}</a>'
                f"{pdf}</li>"
            )
        sections.append(
            f'<section class="cx-set"><h2>{esc(group.label)}</h2>'
            f'<div class="cx-meta">{meta}</div><ul class="cx-reports">{"".join(items)}</ul>'
            "</section>"
        )
    title = tr("report.index.title")
    return (
        f'<!DOCTYPE html><html lang="{esc(run.language)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">'
        f'<meta name="generator" content="CX Workbook"><title>{esc(run.workspace)} · {esc(title)}'
        f"</title>{_style()}<style>{_INDEX_CSS}</style></head>"
        '<body class="jp-Notebook"><main class="cx">'
        f'<header class="cx-title-page"><p class="cx-kind">{esc(tr("report.kind"))}</p>'
        f'<h1 class="cx-report-title">{esc(title)}</h1>'
        f'<p class="cx-report-workspace">{esc(run.workspace)}</p>'
        f'<dl class="cx-facts">{facts_html}</dl></header>'
        f"{''.join(sections)}</main></body></html>"
    )


_INDEX_CSS = (
    ".cx-set{border:1px solid var(--cx-line);border-radius:8px;padding:.4rem 1.2rem .8rem;"
    "margin:0 0 1rem;break-inside:avoid}"
    ".cx-set h2{border:none;margin-top:.6rem}"
    ".cx ul.cx-reports{margin:.5rem 0 0;padding-left:1.2rem}"
    ".cx ul.cx-reports li{margin:.2rem 0}"
    ".cx-failed .flag{color:var(--cx-warn);font-weight:600}"
)


def write_index(
    root: Path,
    groups: Sequence[IndexGroup],
    *,
    run: TitlePage,
    split_by: Sequence[str],
) -> Path:
    """Write :func:`index_html` to ``root/index.html`` and return its path."""
    path = root / INDEX_NAME
    path.write_text(index_html(root, groups, run=run, split_by=split_by), encoding="utf-8")
    return path


def now_in(timezone: str) -> dt.datetime:
    """The current time in ``timezone`` (the workspace's): when a report is built."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(timezone))
