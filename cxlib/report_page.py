"""What the report template shows around a notebook's output: title page and table of contents.

:func:`page_resources` collects it for nbconvert's ``resources`` (the template reads
``resources.cx``): the report's words in its language, the facts of the title page (workspace,
period, segment, language, date built) and the page's h2/h3 headings. :func:`anchor_headings`
gives each heading an id the table of contents links to, and marks the major sections after the
first so that print starts each on a new page. Text is passed to the template unescaped; the
template escapes every value it writes.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass, field
from typing import Any

from cxlib.i18n import Translator

#: Prefix of the ids given to headings (``cx-s1`` …).
ANCHOR_PREFIX = "cx-s"
#: Attribute marking a major section that print starts on a new page.
BREAK_ATTRIBUTE = "data-cx-break"

_SKIP = re.compile(r"<(script|style)\b.*?</\1\s*>", re.S | re.I)
_HEADING = re.compile(r"<h([1-3])((?:\s[^>]*)?)>(.*?)</h\1\s*>", re.S | re.I)
_ID = re.compile(r"""\sid\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_TAG = re.compile(r"<[^>]*>")


@dataclass
class Heading:
    """One h2 or h3 of a page, with the id it is linked by and the h3s below an h2."""

    level: int
    anchor: str
    text: str
    children: list[Heading] = field(default_factory=list)


@dataclass
class _Scan:
    """State of one pass over a page's outputs."""

    headings: list[Heading] = field(default_factory=list)
    title: str = ""
    count: int = 0
    sections: int = 0


def heading_text(inner_html: str) -> str:
    """The plain text of a heading's inner HTML: tags dropped, entities decoded, spaces folded."""
    return " ".join(html.unescape(_TAG.sub("", inner_html)).split())


def anchor_headings(fragment: str, scan: _Scan) -> str:
    """Return ``fragment`` with an id on each h2/h3 outside scripts and styles, noting them.

    A heading that has an id keeps it. The first h1 is the page's title. Every h2 after the
    first gets :data:`BREAK_ATTRIBUTE`.
    """
    pieces: list[str] = []
    position = 0
    for skipped in _SKIP.finditer(fragment):
        pieces.append(_anchor_part(fragment[position : skipped.start()], scan))
        pieces.append(skipped.group(0))
        position = skipped.end()
    pieces.append(_anchor_part(fragment[position:], scan))
    return "".join(pieces)


def _anchor_part(part: str, scan: _Scan) -> str:
    def replace(match: re.Match[str]) -> str:
        level, attributes, inner = int(match.group(1)), match.group(2), match.group(3)
        text = heading_text(inner)
        if level == 1:
            scan.title = scan.title or text
            return match.group(0)
        if not text:
            return match.group(0)
        existing = _ID.search(attributes)
        if existing:
            anchor = html.unescape(existing.group(1) or existing.group(2) or "")
        else:
            scan.count += 1
            anchor = f"{ANCHOR_PREFIX}{scan.count}"
            attributes += f' id="{anchor}"'
        if level == 2:
            scan.sections += 1
            if scan.sections > 1:
                attributes += f" {BREAK_ATTRIBUTE}"
            scan.headings.append(Heading(2, anchor, text))
        elif scan.headings:
            scan.headings[-1].children.append(Heading(3, anchor, text))
        else:  # an h3 before any h2 stands on its own
            scan.headings.append(Heading(3, anchor, text))
        return f"<h{level}{attributes}>{inner}</h{level}>"

    return _HEADING.sub(replace, part)


def anchor_notebook(notebook: Any) -> tuple[list[Heading], str]:
    """Anchor the headings of every HTML output of ``notebook`` in place.

    Returns
    -------
    headings, title
        The page's h2 headings (with their h3s) in order, and the text of its first h1.
    """
    scan = _Scan()
    for cell in notebook.cells:
        for output in cell.get("outputs", ()):
            data = output.get("data", {})
            if "text/html" not in data:
                continue
            value = data["text/html"]
            text = "".join(value) if isinstance(value, list) else str(value)
            data["text/html"] = anchor_headings(text, scan)
    return scan.headings, scan.title


@dataclass(frozen=True)
class TitlePage:
    """What a report's title page says (plain text; the template escapes it)."""

    workspace: str
    period: str
    segment: str
    language: str
    built: dt.datetime


def title_facts(page: TitlePage) -> list[tuple[str, str]]:
    """The title page's ``(label, value)`` rows in the report's language."""
    tr = Translator(page.language)
    return [
        (tr("meta.workspace"), page.workspace),
        (tr("meta.period"), page.period or tr("meta.all_data")),
        (tr("meta.segment"), page.segment or tr("meta.all_customers")),
        (tr("meta.language"), tr(f"language.{page.language}")),
        (tr("report.built"), f"{tr.date(page.built.date())} {page.built:%H:%M}"),
    ]


def page_resources(page: TitlePage, headings: list[Heading], title: str) -> dict[str, Any]:
    """The ``resources["cx"]`` entry the report template renders."""
    tr = Translator(page.language)
    return {
        "language": page.language,
        "kind": tr("report.kind"),
        "title": title,
        "workspace": page.workspace,
        "facts": title_facts(page),
        "contents": tr("report.contents"),
        "toc": headings,
    }
