"""County boundaries from data/boundaries: point checks for the registry, simplified shapes for maps."""

from __future__ import annotations

import functools
import json
from pathlib import Path

from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.prepared import PreparedGeometry, prep

BOUNDARIES = Path(__file__).resolve().parents[2] / "data" / "boundaries"


@functools.cache
def boundary(path: Path) -> BaseGeometry:
    """The county's outline (a MultiPolygon) read from a GeoJSON geometry, feature or collection."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("type") == "FeatureCollection":
        from shapely.ops import unary_union

        return unary_union([shape(f["geometry"]) for f in data["features"]])
    if data.get("type") == "Feature":
        return shape(data["geometry"])
    return shape(data)


@functools.cache
def _prepared(path: Path) -> PreparedGeometry:
    return prep(boundary(path))


def contains(path: Path, latitude: float, longitude: float) -> bool:
    """True when the point lies inside (or on) the boundary."""
    return _prepared(path).covers(Point(longitude, latitude))
