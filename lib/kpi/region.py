"""Counties side by side (issue #15 item 6): each county of the store on the headline indicators against its
own targets, with its outline for the region's map.

Every county is computed by its own engine (its units, residents and targets), so a county's figure here is
the figure its own overview shows. The region has no pooled figure: counties' targets differ, and a sum
would hide the county that misses.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from lib.kpi.engine import Engine, KpiValue, Scope
from lib.kpi.headline import HEADLINE
from lib.kpi.period import Period
from lib.maps import scene
from lib.maps.flows import Bbox
from lib.store import counties
from lib.store.counties import CountyRef


@dataclass(frozen=True)
class CountyFigures:
    """One county: its headline values (code → value with target and status) and its outline (None: its
    boundary file cannot be read; the county is still compared)."""

    county: CountyRef
    values: dict[str, KpiValue]
    outline: dict[str, Any] | None
    label_at: tuple[float, float] | None  # (lon, lat) inside the outline, for its name


@dataclass(frozen=True)
class Region:
    period: Period
    codes: tuple[str, ...]  # the headline indicators, in the overview's order
    names: dict[str, tuple[str, str]]  # code → (name_zh, name_en)
    counties: list[CountyFigures]
    bbox: Bbox | None  # the box of every readable outline

    def statuses(self, code: str) -> dict[str, str | None]:
        """County code → its status on ``code`` (None: no value, no target, or not computed)."""
        return {c.county.code: getattr(c.values.get(code), "status", None) for c in self.counties}


def _outline(conn: Connection, county: CountyRef) -> tuple[Any, dict[str, Any] | None, tuple[float, float] | None]:
    try:
        border = scene.outline(conn, county)
    except (OSError, ValueError):  # a boundary file moved or broken: the county is compared without its shape
        return None, None, None
    point = border.representative_point()
    return border, scene.light_geojson(border), (round(point.x, 3), round(point.y, 3))


def compare(conn: Connection, period: Period, *, today: dt.date | None = None,
            codes: tuple[str, ...] = HEADLINE) -> Region:
    """Every county of the store on ``codes`` over ``period`` (county scope, with comparisons)."""
    rows, boxes, names = [], [], {}
    for county in counties.listed(conn):
        engine = Engine(conn, county=county.code, today=today)
        values = {v.code: v for v in engine.compute(codes, [Scope()], period)}
        names.update({c: (engine.catalogue.at[c, "name_zh"], engine.catalogue.at[c, "name_en"])
                      for c in codes if c in engine.catalogue.index})
        border, outline, label_at = _outline(conn, county)
        if border is not None:
            boxes.append(scene.bounds(border))
        rows.append(CountyFigures(county, values, outline, label_at))
    bbox = None if not boxes else (min(b[0] for b in boxes), min(b[1] for b in boxes),
                                   max(b[2] for b in boxes), max(b[3] for b in boxes))
    return Region(period, tuple(c for c in codes if c in names), names, rows, bbox)
