"""HTML building blocks escape whatever text they are given."""

from __future__ import annotations

from cxlib import views

PAYLOAD = "<img src=x onerror=alert(1)>\"'&"


def test_every_block_escapes_its_text() -> None:
    html = views.block(
        views.heading(PAYLOAD),
        views.paragraph(PAYLOAD),
        views.notice(PAYLOAD, warning=True),
        views.meta([(PAYLOAD, PAYLOAD)]),
        views.tiles(views.tile(PAYLOAD, PAYLOAD, [PAYLOAD], PAYLOAD)),
        views.chips([PAYLOAD]),
        views.table([PAYLOAD], [[PAYLOAD]]),
    )
    assert "<img" not in html
    assert html.count("&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;&amp;") == 12


def test_stylesheet_is_inlined_and_local() -> None:
    css = views.style_html()
    assert css.startswith("<style>") and ".cx-tile" in css
    assert "http" not in css and "@import" not in css
