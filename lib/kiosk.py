"""Wall-screen settings: data/kiosk.toml, overridden per screen by URL parameters."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lib import db

SETTINGS = db.ROOT / "data" / "kiosk.toml"
LIMITS = {"every": (10, 3600), "refresh": (2, 600)}  # seconds; the shared data cache shields the store


@dataclass(frozen=True)
class Kiosk:
    playlist: tuple[str, ...]
    rotate_seconds: int
    refresh_seconds: int
    stale_minutes: int

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


def settings(params: Mapping[str, str], pages: Iterable[str], path: Path = SETTINGS) -> Kiosk:
    """The file's settings with the URL's ``rotate``, ``every`` and ``refresh`` applied (unknown pages dropped)."""
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
    )
