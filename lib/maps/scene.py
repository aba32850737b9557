"""What the facility map draws, read from the registry and the rollups in a few small queries.

The county's areas (三区) have no boundaries of their own in data/: they are shaded as the union of the
Voronoi cells of each area's facilities, clipped to the banner outline, which approximates the
townships' catchments well enough to read the map and follows any county's own area groups.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import shapely
import sqlalchemy as sa
from shapely.geometry import MultiPoint, Point, mapping
from shapely.ops import unary_union, voronoi_diagram
from sqlalchemy.engine import Connection

from lib import clock, registry
from lib.events import live
from lib.events import read as rollup_read
from lib.kpi import measures
from lib.kpi.engine import KpiValue
from lib.kpi.period import Period
from lib.maps.flows import Bbox
from lib.registry import geo
from lib.store import db
from lib.store.counties import CountyRef
from lib.store.models import Area, EmergencyDispatch, Facility, SinkingDeployment, Staff
from lib.store.sqlfn import plus_days

SIMPLIFY_DEG = 0.01  # ~1 km: outlines for a county-wide view; the deck JSON is re-sent on every refresh
GRID_DEG = 0.001  # coordinates rounded to ~100 m, which also keeps the JSON short
VOLUMES = ("visits", "adm_at", "ref_sent", "ref_in", "ems_calls")
HOSTED_DAYS = 365  # doctors sent here: stints started in the year to the period's end (as lib.kpi.measures counts)


@dataclass(frozen=True)
class MapBase:
    """What every map draws: member units (lib.kpi.measures.facilities, as columns), the county's outline and
    area cells (:func:`shapes`), out-of-county destinations."""

    points: pd.DataFrame
    shapes: dict[str, Any]
    destinations: pd.DataFrame


@dataclass(frozen=True)
class StatusMap:
    """The units of a scope coloured by one indicator: the map page's and the overview's compact map."""

    base: MapBase
    points: pd.DataFrame  # the units in scope
    volumes: pd.DataFrame  # per facility id (:func:`volumes`)
    values: dict[str, KpiValue]  # the indicator per facility code
    indicator: pd.Series  # its catalogue row (lib.kpi.catalogue.read)
    dispatches: pd.DataFrame  # ambulances under way (:func:`dispatches_under_way`)


@dataclass(frozen=True)
class FacilityProfile:
    """One unit opened on the map: its indicators, the chosen one's trend, its referral partners, doctors."""

    unit: pd.Series
    period: Period
    values: list[KpiValue]
    catalogue: pd.DataFrame
    trend: pd.DataFrame  # month, value of the chosen indicator (lib.kpi.trend.monthly rows for this unit)
    referrals: pd.DataFrame  # lib.maps.flows.facility_referrals
    doctors: pd.DataFrame  # :func:`doctors_hosted`


def facility_points(conn: Connection, county: CountyRef, today: dt.date | None = None) -> pd.DataFrame:
    """The county's units in its registry today, with their coordinates, flags and display names
    (lib.kpi.measures.facilities, as columns)."""
    return measures.active(measures.facilities(conn, county.id), today or clock.today()).reset_index()


def _light(geom: Any) -> Any:
    return shapely.set_precision(geom.simplify(SIMPLIFY_DEG, preserve_topology=True), GRID_DEG)


def area_cells(outline: Any, points: pd.DataFrame) -> dict[str, Any]:
    """Area code → its facilities' Voronoi cells, merged and clipped to the county outline."""
    sites = [Point(lon, lat) for lon, lat in zip(points["longitude"], points["latitude"], strict=True)]
    cells = voronoi_diagram(MultiPoint(sites), envelope=outline.envelope.buffer(1.0))
    by_area: dict[str, list[Any]] = {}
    for cell in cells.geoms:
        inside = [i for i, site in enumerate(sites) if cell.covers(site)]
        if inside:
            by_area.setdefault(points["area"].iloc[inside[0]], []).append(cell)
    return {code: unary_union(parts).intersection(outline) for code, parts in by_area.items()}


def outline(conn: Connection, county: CountyRef) -> Any:
    """The county's outline (a shapely geometry) from its registry's boundary file."""
    return geo.boundary(registry.boundary_path(conn, county.code))


def light_geojson(geom: Any) -> dict[str, Any]:
    """A geometry as small GeoJSON: simplified to what a screen shows, on a coarse grid."""
    return mapping(_light(geom))


def bounds(geom: Any) -> Bbox:
    return tuple(round(v, 4) for v in geom.bounds)  # type: ignore[return-value]


def shapes(conn: Connection, county: CountyRef) -> dict[str, Any]:
    """The county's outline and its shaded areas (in registry order) as small GeoJSON, with the outline's box."""
    border = outline(conn, county)
    points = facility_points(conn, county)
    names = points.drop_duplicates("area").set_index("area")
    cells = area_cells(border, points)
    order = [code for code in conn.execute(sa.select(Area.code).where(Area.county_id == county.id)
                                           .order_by(Area.id)).scalars() if code in cells]
    features = [
        {"type": "Feature", "geometry": light_geojson(geom),
         "properties": {"area": code, "name_zh": names.at[code, "area_zh"], "name_en": names.at[code, "area_en"],
                        "label_lon": round(geom.representative_point().x, 3),
                        "label_lat": round(geom.representative_point().y, 3)}}
        for code, geom in ((code, cells[code]) for code in order)
    ]
    return {"outline": light_geojson(border), "areas": {"type": "FeatureCollection", "features": features},
            "bbox": bounds(border)}


def volumes(conn: Connection, period: Period) -> pd.DataFrame:
    """Per unit over the period: visits, admissions there, referrals sent and received, ambulance calls."""
    long = rollup_read.sums(conn, period, metrics=VOLUMES)
    wide = long.pivot_table(index="facility_id", columns="metric", values="value", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=list(VOLUMES), fill_value=0).astype(int)
    wide.columns.name = None
    return wide


def dispatches_under_way(conn: Connection, now: dt.datetime, county: CountyRef) -> pd.DataFrame:
    """Ambulance runs not completed, per station, scene (~1 km) and stage: station_id, latitude, longitude,
    stage (waiting | en_route | on_scene), calls, first_call. "Under way" is lib.events.live's definition, so the
    map shows what the overview counts."""
    d = EmergencyDispatch
    stage = sa.case((d.arrived_at.is_not(None), "on_scene"), (d.dispatched_at.is_not(None), "en_route"),
                    else_="waiting")
    return db.read_frame(conn, sa.select(
        d.facility_id.label("station_id"), d.latitude, d.longitude, stage.label("stage"),
        sa.func.count().label("calls"), sa.func.min(d.call_at).label("first_call"))
        .join(Facility, Facility.id == d.facility_id)
        .where(Facility.county_id == county.id, d.completed_at.is_(None),
               d.call_at >= now - dt.timedelta(hours=live.UNDER_WAY_HOURS),
               d.latitude.is_not(None), d.longitude.is_not(None))
        .group_by(d.facility_id, d.latitude, d.longitude, stage).order_by(sa.func.min(d.call_at)))


def doctors_hosted(conn: Connection, facility_id: int, until: dt.date) -> pd.DataFrame:
    """Doctors sent to a unit (下沉 host) in the year to ``until``, per sending unit and kind of stint:
    from_id, kind, doctors, stints, days (served within the year, split by day), last_start."""
    s, d = Staff, SinkingDeployment
    first = until - dt.timedelta(days=HOSTED_DAYS - 1)
    return db.read_frame(conn, sa.select(
        s.facility_id.label("from_id"), d.kind, sa.func.count(sa.distinct(d.staff_id)).label("doctors"),
        sa.func.count().label("stints"), sa.func.sum(measures.days_served(first, until)).label("days"),
        sa.func.max(d.start_date).label("last_start"))
        .join(s, s.id == d.staff_id)
        .where(d.host_facility_id == int(facility_id),
               d.start_date.between(first - dt.timedelta(days=measures.MAX_STINT_DAYS), until),
               plus_days(d.start_date, d.days) > first)
        .group_by(s.facility_id, d.kind).order_by(sa.func.sum(measures.days_served(first, until)).desc()))
