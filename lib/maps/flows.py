"""Referral flows and out-of-county leakage from the rollups, for the map and referral pages.

Everything here reads the rollup tables through lib.events.read, never raw referral or admission
rows: 'ref_flow' is keyed by the sending unit, its dimension (direction, place sent to, disease) read
back as typed values by lib.events.rollup; 'adm_home_in'/'adm_home_out' by the patient's home unit with the
disease group as dimension. Out-of-county destinations are placed on the map in their true
direction, at most just outside the county (``place_destinations``), so Beijing does not shrink the
county to a dot.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.events import read as rollup_read
from lib.events import rollup
from lib.events.rollup import Place
from lib.kpi.engine import KpiValue
from lib.kpi.period import Period
from lib.maps.disease import WATCHED
from lib.store import db
from lib.store.models import Destination

DIRECTIONS = ("up", "down", "out")
HEADLINE = ("up_referrals", "down_referrals", "down_up_ratio", "referral_closure_rate", "out_of_county_rate")
EARTH_KM = 6371.0088
RING_MARGIN = 1.08  # destinations sit on a circle 8% beyond the corners of the county's box
# Beyond the ring, distance is compressed logarithmically: Hohhot and Beijing lie in almost the same
# direction, and farther must still look farther without pushing the county to a corner of the view.
LOG_SPREAD = 0.3

Bbox = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat


def flows(conn: Connection, period: Period, *, origins: Sequence[int] | None = None,
          directions: Sequence[str] = DIRECTIONS, disease: str | None = None) -> pd.DataFrame:
    """Referrals sent over the period per (origin, direction, place sent to): from_id, direction, to (a
    lib.events.rollup.Place), n. ``origins`` limits the senders (a filter's units), as the KPI engine counts."""
    where = rollup.flow_where(directions=None if set(directions) == set(DIRECTIONS) else directions, disease=disease)
    rows = rollup_read.sums(conn, period, metrics=("ref_flow",), by_dim=("ref_flow",), facility_ids=origins,
                            where=where)
    columns = ["from_id", "direction", "to", "n"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    keys = rollup.flow_keys(rows["dim"])
    out = pd.DataFrame({"from_id": rows["facility_id"].astype(int), "direction": keys["direction"],
                        "to": keys["to"], "n": rows["value"]})
    out = out.groupby(["from_id", "direction", "to"], as_index=False, sort=False)["n"].sum()
    out = out[out["n"] > 0].astype({"n": int})
    return out[columns].sort_values(["n", "from_id"], ascending=[False, True], ignore_index=True)


@dataclass(frozen=True)
class Referrals:
    """Everything the referrals page draws."""

    flow: pd.DataFrame  # :func:`flows`
    headline: dict[str, KpiValue]  # the engine's referral indicators for the scope
    catalogue: pd.DataFrame
    leakage: pd.DataFrame  # :func:`leakage_by_disease`
    trend: pd.DataFrame  # out_of_county_rate per month, county and areas (lib.kpi.trend.monthly)
    points: pd.DataFrame  # member units (lib.maps.scene.MapBase)
    shapes: dict  # the county's outline and areas (lib.maps.scene.shapes)
    destinations: pd.DataFrame


def direction_totals(flow: pd.DataFrame) -> dict[str, int]:
    """Referrals per direction (0 where none): the arcs' volumes add up to these."""
    sums = flow.groupby("direction")["n"].sum()
    return {d: int(sums.get(d, 0)) for d in DIRECTIONS}


def out_by_destination(flow: pd.DataFrame) -> dict[int, int]:
    """Referrals per out-of-county destination id (the destination markers' counts)."""
    out = flow.loc[flow["to"].map(lambda place: place.kind == "destination").astype(bool)]
    return {int(place.id): int(n) for place, n in out.groupby("to", sort=False)["n"].sum().items()}


def destinations(conn: Connection, county_id: int) -> pd.DataFrame:
    """County ``county_id``'s out-of-county destinations (tens of rows at most)."""
    d = Destination
    return db.read_frame(conn, sa.select(d.id, d.code, d.name_zh, d.name_en, d.latitude, d.longitude)
                         .where(d.county_id == county_id).order_by(d.id))


def bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from north."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * EARTH_KM * math.asin(math.sqrt(h))


def travel(lat: float, lon: float, bearing: float, km: float) -> tuple[float, float]:
    """The point ``km`` away from (lat, lon) along ``bearing`` (great circle)."""
    d, b, p1, l1 = km / EARTH_KM, math.radians(bearing), math.radians(lat), math.radians(lon)
    p2 = math.asin(math.sin(p1) * math.cos(d) + math.cos(p1) * math.sin(d) * math.cos(b))
    l2 = l1 + math.atan2(math.sin(b) * math.sin(d) * math.cos(p1), math.cos(d) - math.sin(p1) * math.sin(p2))
    return math.degrees(p2), (math.degrees(l2) + 540) % 360 - 180


def ring_km(bbox: Bbox) -> float:
    """Radius of the destination ring: just beyond the corners of the county's box, seen from its centre."""
    lon0, lat0, lon1, lat1 = bbox
    return RING_MARGIN * distance_km((lat0 + lat1) / 2, (lon0 + lon1) / 2, lat1, lon1)


def place_destinations(dest: pd.DataFrame, bbox: Bbox) -> pd.DataFrame:
    """Where each destination is drawn: in its true direction from the county's centre, at its true
    distance within the ring, log-compressed just beyond it. Adds map_lat, map_lon, km, bearing."""
    lat_c, lon_c = (bbox[1] + bbox[3]) / 2, (bbox[0] + bbox[2]) / 2
    ring = ring_km(bbox)
    rows = []
    for lat, lon in zip(dest["latitude"], dest["longitude"], strict=True):
        km, bearing = distance_km(lat_c, lon_c, lat, lon), bearing_deg(lat_c, lon_c, lat, lon)
        shown = km if km <= ring else ring * (1 + LOG_SPREAD * math.log(km / ring))
        map_lat, map_lon = travel(lat_c, lon_c, bearing, shown)
        rows.append((map_lat, map_lon, km, bearing))
    placed = pd.DataFrame(rows, columns=["map_lat", "map_lon", "km", "bearing"], index=dest.index)
    return pd.concat([dest, placed], axis=1)


def od_matrix(flow: pd.DataFrame, origin_names: Mapping[int, str], place_names: Mapping[Place, str],
              total: str) -> pd.DataFrame:
    """Origins × places sent to, busiest first, with a total row and column."""
    if flow.empty:
        return pd.DataFrame()
    grid = flow.pivot_table(index="from_id", columns="to", values="n", aggfunc="sum", fill_value=0)
    grid = grid.loc[grid.sum(axis=1).sort_values(ascending=False).index,
                    grid.sum(axis=0).sort_values(ascending=False).index]
    grid[total] = grid.sum(axis=1)
    grid.loc[total] = grid.sum(axis=0)
    grid = grid.astype(int)
    grid.index = [origin_names.get(i, str(i)) if i != total else total for i in grid.index]
    grid.columns = [place_names.get(c, str(c)) if c != total else total for c in grid.columns]
    return grid


def leakage_by_disease(conn: Connection, period: Period, home_ids: Sequence[int] | None = None,
                       watched: Collection[str] = WATCHED) -> pd.DataFrame:
    """Per disease group over the period: residents' admissions out of county and in county (by home unit,
    as out_of_county_rate counts them) and out-of-county referrals (by sender): disease_group, out,
    in_county, out_share, referred_out, watched (one of the groups the county's plan watches); most
    admissions out first."""
    admissions = rollup_read.sums(conn, period, metrics=("adm_home_out", "adm_home_in"), facility_ids=home_ids,
                                  by_dim=("adm_home_out", "adm_home_in"))
    admissions = admissions.rename(columns={"dim": "disease_group", "value": "n"})
    out = rollup_read.sums(conn, period, metrics=("ref_flow",), facility_ids=home_ids, by_dim=("ref_flow",),
                           where=rollup.flow_where(directions=("out",)))
    referred = pd.DataFrame({"disease_group": rollup.flow_keys(out["dim"])["disease"] if len(out) else [],
                             "metric": "referred_out", "n": out["value"]})
    long = pd.concat([admissions[["disease_group", "metric", "n"]], referred])
    wide = long.pivot_table(index="disease_group", columns="metric", values="n", aggfunc="sum", fill_value=0)
    wide = wide.reindex(columns=["adm_home_out", "adm_home_in", "referred_out"], fill_value=0).astype(int)
    wide = wide.rename(columns={"adm_home_out": "out", "adm_home_in": "in_county"}).reset_index()
    wide.columns.name = None
    both = wide["out"] + wide["in_county"]
    wide["out_share"] = (wide["out"] / both.where(both > 0)).astype(float)
    wide["watched"] = wide["disease_group"].isin(list(watched))
    columns = ["disease_group", "out", "in_county", "out_share", "referred_out", "watched"]
    return wide.sort_values(["out", "disease_group"], ascending=[False, True], ignore_index=True)[columns]


def facility_referrals(conn: Connection, period: Period, facility_id: int) -> pd.DataFrame:
    """One unit's referrals over the period, per partner and direction: way ('sent'/'received'),
    direction, partner (a lib.events.rollup.Place), n."""
    me = rollup.Place("facility", int(facility_id))
    rows = rollup_read.sums(conn, period, metrics=("ref_flow",), by_dim=("ref_flow",),
                            where=rollup.flow_where(to=me, or_sent_by=me.id))
    columns = ["way", "direction", "partner", "n"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows = pd.concat([rows, rollup.flow_keys(rows["dim"])], axis=1)
    sent = rows[rows["facility_id"] == me.id].assign(way="sent", partner=lambda r: r["to"])
    got = rows[rows["to"] == me].assign(
        way="received", partner=lambda r: [rollup.Place("facility", int(i)) for i in r["facility_id"]])
    both = pd.concat([sent, got]).groupby(["way", "direction", "partner"], as_index=False, sort=False)["value"].sum()
    both = both.rename(columns={"value": "n"}).astype({"n": int})
    return both[both["n"] > 0].sort_values(["way", "n"], ascending=[False, False], ignore_index=True)[columns]
