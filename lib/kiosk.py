"""Wall-screen settings: data/kiosk.toml, overridden per screen by URL parameters."""

from __future__ import annotations

import datetime as dt
import itertools
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lib.store import db

SETTINGS = db.ROOT / "data" / "kiosk.toml"
# Seconds. The shared data cache shields the store from short refreshes; the watchdog floor leaves a
# page switch and a slow first render well clear of a reload.
LIMITS = {"every": (10, 3600), "refresh": (2, 600), "watchdog": (10, 3600)}


@dataclass(frozen=True)
class Screen:
    """A wall's shape in CSS pixels (``screen=3840x1080``), which the server cannot see for itself."""

    width: int = 1920
    height: int = 1080

    @property
    def scale(self) -> float:
        """How much larger than on a 1080-line screen things are drawn: the type follows the screen's height
        (ui/kiosk.py sizes the root font in vh), and pixel-sized maps and charts follow it by this factor
        (2 on 2160 lines, ⅔ on 720)."""
        return self.height / BASE_HEIGHT

    @property
    def columns(self) -> int:
        """Screens of 16:9 side by side: 1 on an ordinary screen, 2 on 3840×1080, 3 on 5760×1080."""
        return max(1, round(self.width / (self.height * 16 / 9)))


BASE_HEIGHT = 1080  # the screen the wall's layout is drawn for
SCREEN_LIMITS = (640, 16000)


def _screen(text: str | None, default: Screen) -> Screen:
    """``WIDTHxHEIGHT`` within SCREEN_LIMITS; anything else keeps the default."""
    try:
        width, height = (int(x) for x in (text or "").lower().split("x"))
    except ValueError:
        return default
    lo, hi = SCREEN_LIMITS
    return Screen(width, height) if lo <= width <= hi and lo // 2 <= height <= hi else default


@dataclass(frozen=True)
class Kiosk:
    playlist: tuple[str, ...]
    rotate_seconds: int
    refresh_seconds: int
    stale_minutes: int
    watchdog_seconds: int
    reload_at: dt.time | None
    screen: Screen = Screen()

    def next_page(self, current: str) -> str:
        """The page after ``current`` in the playlist (the first one if ``current`` is not in it)."""
        if current not in self.playlist:
            return self.playlist[0]
        return self.playlist[(self.playlist.index(current) + 1) % len(self.playlist)]


def _bounded(text: str | None, default: int, name: str) -> int:
    lo, hi = LIMITS[name]
    try:
        return min(max(int(text), lo), hi) if text else default
    except ValueError:
        return default


def _time_of_day(text: str | None, default: dt.time | None) -> dt.time | None:
    """``HH:MM`` or ``HH:MM:SS``; empty or "off" turns the daily reload off; anything else keeps the default."""
    if text is None:
        return default
    if text.strip().lower() in ("", "off", "none"):
        return None
    try:
        return dt.time.fromisoformat(text.strip())
    except ValueError:
        return default


def settings(params: Mapping[str, str], pages: Iterable[str], path: Path = SETTINGS) -> Kiosk:
    """The file's settings with the URL's ``rotate``, ``every``, ``refresh``, ``watchdog``, ``reload`` and
    ``screen`` applied.

    Unknown pages are dropped from the playlist; out-of-range numbers are clamped; unreadable values
    fall back to the file's setting, so a typo in a wall's URL never takes the wall down.
    """
    with path.open("rb") as fh:
        base = tomllib.load(fh)
    known = set(pages)
    wanted = params.get("rotate", "").split(",") if params.get("rotate") else base["playlist"]
    playlist = tuple(p for p in wanted if p in known) or tuple(p for p in base["playlist"] if p in known)
    return Kiosk(
        playlist=playlist,
        rotate_seconds=_bounded(params.get("every"), int(base["rotate_seconds"]), "every"),
        refresh_seconds=_bounded(params.get("refresh"), int(base["refresh_seconds"]), "refresh"),
        stale_minutes=int(base["stale_minutes"]),
        watchdog_seconds=_bounded(params.get("watchdog"), int(base["watchdog_seconds"]), "watchdog"),
        reload_at=_time_of_day(params.get("reload"), _time_of_day(base["reload_at"], None)),
        screen=_screen(params.get("screen"), _screen(base.get("screen"), Screen())),
    )


def pages(count: int, at_most: int) -> list[slice]:
    """``count`` rows in as few pages of at most ``at_most`` rows as will do, balanced (15 rows in pages
    of 12: 8 and 7, not 12 and 3): a table shown a wall's section or a meeting's slide at a time. Never
    no page."""
    n = max(1, -(-count // at_most))
    size, extra = divmod(count, n)
    bounds = [0]
    for i in range(n):
        bounds.append(bounds[-1] + size + (1 if i < extra else 0))
    return [slice(a, b) for a, b in itertools.pairwise(bounds)]
