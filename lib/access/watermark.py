"""The viewer's name and the time, faint and tiled: over every page (ui/access.py) and in every export
(lib.scoring.exports), since screenshots and files travel further than the screen they came from."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote
from xml.sax.saxutils import escape

TILE = (360, 200)  # px: one name per tile, rotated
OPACITY = 0.09


def label(name: str, at: dt.datetime) -> str:
    """What the watermark says: who and when (to the minute)."""
    return f"{name} · {at:%Y-%m-%d %H:%M}"


def tile_svg(text: str) -> str:
    """One tile: the text once, rotated, faint grey; the text is XML-escaped, so a name cannot add markup."""
    w, h = TILE
    # The xmlns is SVG's namespace name, an identifier the browser never fetches: the mark works offline.
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}">'
            f'<text x="{w // 2}" y="{h // 2}" text-anchor="middle" font-family="sans-serif" font-size="16" '
            f'fill="rgb(0,0,0)" fill-opacity="{OPACITY}" transform="rotate(-24 {w // 2} {h // 2})">'
            f"{escape(text)}</text></svg>")


def css(text: str, selector: str = ".cockpit-watermark") -> str:
    """A rule for an element covering the window (printed on every page), tiled with the text, letting every
    click through (pointer-events: none)."""
    url = "data:image/svg+xml;charset=utf-8," + quote(tile_svg(text), safe="")
    return (f"{selector}{{position:fixed;inset:0;z-index:999990;pointer-events:none;"
            f"background-image:url(\"{url}\");background-repeat:repeat;"
            f"print-color-adjust:exact;-webkit-print-color-adjust:exact}}")
