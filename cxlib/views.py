"""Small HTML building blocks for workbook pages: headings, tiles, tables, notices.

Every piece of text passed in is escaped here, whatever its origin (data, workspace.yaml,
workshop input), so a value such as ``<img src=x onerror=alert(1)>`` shows as text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from functools import cache

from cxlib.resources import templates_dir


def esc(text: object) -> str:
    """Escape any value for HTML text or attribute content."""
    return html.escape(str(text), quote=True)


@cache
def style_html() -> str:
    """Return the workbook stylesheet as a ``<style>`` element (inlined: no remote assets)."""
    css = (templates_dir() / "report" / "static" / "workbook.css").read_text(encoding="utf-8")
    return f"<style>{css}</style>"


def block(*parts: str) -> str:
    """Wrap already-built HTML parts in the workbook's styled container."""
    return '<div class="cx">' + "".join(parts) + "</div>"


def heading(text: str, level: int = 2) -> str:
    """A heading of ``level`` 1–3."""
    return f"<h{level}>{esc(text)}</h{level}>"


def paragraph(text: str) -> str:
    """A paragraph of plain text."""
    return f"<p>{esc(text)}</p>"


def notice(text: str, *, warning: bool = False) -> str:
    """A highlighted note; ``warning`` for things that limit what the numbers mean."""
    kind = "cx-notice warning" if warning else "cx-notice"
    return f'<div class="{kind}" role="note">{esc(text)}</div>'


def meta(items: Iterable[tuple[str, str]]) -> str:
    """A row of ``label: value`` facts (workspace, period, data as of …)."""
    cells = "".join(f"<span>{esc(label)}: <b>{esc(value)}</b></span>" for label, value in items)
    return f'<div class="cx-meta">{cells}</div>'


def tile(label: str, value: str, details: Sequence[str] = (), flag: str = "") -> str:
    """A KPI tile: label, big value, detail lines and an optional warning flag."""
    lines = "".join(f'<div class="detail">{esc(d)}</div>' for d in details)
    flag_html = f'<div class="flag">{esc(flag)}</div>' if flag else ""
    return (
        f'<div class="cx-tile"><div class="label">{esc(label)}</div>'
        f'<div class="value">{esc(value)}</div>{lines}{flag_html}</div>'
    )


def tiles(*items: str) -> str:
    """Lay tiles out in a row."""
    return '<div class="cx-tiles">' + "".join(items) + "</div>"


def chips(values: Iterable[str]) -> str:
    """A list of short values shown as chips (company values, departments)."""
    return '<ul class="cx-values">' + "".join(f"<li>{esc(v)}</li>" for v in values) + "</ul>"


def quotes(texts: Iterable[str]) -> str:
    """Customer comments as a list of quotations (pass them redacted: cxlib.privacy)."""
    return '<ul class="cx-quotes">' + "".join(f"<li>{esc(t)}</li>" for t in texts) + "</ul>"


def table(
    headers: Sequence[str], rows: Iterable[Sequence[object]], numeric: frozenset[int] = frozenset()
) -> str:
    """A simple table; columns whose index is in ``numeric`` are right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{esc(v)}</td>' if i in numeric else f"<td>{esc(v)}</td>"
            for i, v in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f'<table class="cx-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
