"""Referral flows and leakage on the tiny county, worked out by hand (tests/fixtures/tiny.py), and the
placement of out-of-county destinations.

October 2026: up V1→T1, T1→H, V2→T2; down H→T1; out T2→D1 (临河). September: up V2→T2, T2→H.
Admissions by home unit, October: V1 pneumonia in county, T2 cancer out, V2 other in; September:
V2 stroke out, T1 other in.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from lib.events.rollup import Place
from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.maps import flows
from lib.store import db
from lib.store.models import Facility
from tests.fixtures import tiny

MONTH = Period("month", dt.date(2026, 10, 1))
YTD = Period("ytd", dt.date(2026, 10, 1))
BBOX = (107.2668, 41.131, 109.7036, 42.4603)  # data/boundaries/150824.geojson


@pytest.fixture(scope="module")
def ids(tiny_url: str) -> dict[str, int]:
    with db.engine(tiny_url).connect() as conn:
        return dict(conn.execute(sa.select(Facility.code, Facility.id)).all())


def _pairs(flow: pd.DataFrame, ids: dict[str, int]) -> set[tuple[str, str, str, int]]:
    code = {v: k for k, v in ids.items()}
    return {(code[r.from_id], r.direction, code[r.to.id] if r.to.kind == "facility" else "D", r.n)
            for r in flow.itertuples()}


def test_october_arcs_one_per_referral(tiny_url: str, ids: dict[str, int]) -> None:
    with db.engine(tiny_url).connect() as conn:
        flow = flows.flows(conn, MONTH)
    assert _pairs(flow, ids) == {("V1", "up", "T1", 1), ("T1", "up", "H", 1), ("V2", "up", "T2", 1),
                                 ("H", "down", "T1", 1), ("T2", "out", "D", 1)}
    assert {p.kind for p in flow.loc[flow.direction == "out", "to"]} == {"destination"}
    assert flows.out_by_destination(flow) == {1: 1}


@pytest.mark.parametrize("scope", [Scope(), Scope("area", ("pastoral",)), Scope("facility", ("T1",))],
                         ids=["county", "pastoral", "T1"])
@pytest.mark.parametrize("period", [MONTH, YTD], ids=["month", "ytd"])
def test_arc_volumes_equal_the_engines_referral_counts(tiny_url: str, scope: Scope, period: Period) -> None:
    """Arcs are filtered by sender, as the engine counts ref_sent: every direction adds up to it."""
    with db.engine(tiny_url).connect() as conn:
        engine = Engine(conn, today=tiny.TODAY)
        origins = None if scope.kind == "county" else [int(i) for i in engine.facility_ids(scope)]
        totals = flows.direction_totals(flows.flows(conn, period, origins=origins))
        sums = engine.sums(scope, period)
        assert totals["up"] == engine.value("up_referrals", scope, period)
        assert totals["down"] == engine.value("down_referrals", scope, period)
        assert totals["out"] == sums["ref_sent:out"]


def test_direction_and_disease_filters(tiny_url: str, ids: dict[str, int]) -> None:
    with db.engine(tiny_url).connect() as conn:
        assert _pairs(flows.flows(conn, MONTH, directions=("down", "out")), ids) == {("H", "down", "T1", 1),
                                                                                    ("T2", "out", "D", 1)}
        assert flows.flows(conn, MONTH, disease="cancer").empty
        assert len(flows.flows(conn, MONTH, disease="other")) == 5
        assert flows.flows(conn, MONTH, directions=()).empty


def test_leakage_by_disease_counts_residents_by_home_unit(tiny_url: str, ids: dict[str, int]) -> None:
    with db.engine(tiny_url).connect() as conn:
        month = flows.leakage_by_disease(conn, MONTH).set_index("disease_group")
        ytd = flows.leakage_by_disease(conn, YTD).set_index("disease_group")
        pastoral = flows.leakage_by_disease(conn, YTD, [ids["T2"], ids["V2"]]).set_index("disease_group")
    assert month.index[0] == "cancer"  # most admissions out first
    assert month.loc["cancer", ["out", "in_county", "referred_out"]].tolist() == [1, 0, 0]
    assert month.loc["pneumonia", ["out", "in_county"]].tolist() == [0, 1]
    assert month.loc["other", ["out", "in_county", "referred_out"]].tolist() == [0, 1, 1]
    assert month.loc["cancer", "out_share"] == 1.0
    assert month["watched"].to_dict() == {"cancer": True, "pneumonia": True, "other": False}
    assert (ytd.loc["stroke", "out"], ytd.loc["other", "in_county"]) == (1, 2)
    assert (pastoral["out"].sum(), pastoral["in_county"].sum()) == (2, 1)  # out_of_county_rate 2/3 (test_kpi)


def test_one_units_partners(tiny_url: str, ids: dict[str, int]) -> None:
    with db.engine(tiny_url).connect() as conn:
        refs = flows.facility_referrals(conn, MONTH, ids["T1"])
    got = {(r.way, r.direction, r.partner, r.n) for r in refs.itertuples()}
    assert got == {("sent", "up", Place("facility", ids["H"]), 1), ("received", "up", Place("facility", ids["V1"]), 1),
                   ("received", "down", Place("facility", ids["H"]), 1)}


def test_origin_destination_matrix_has_totals(tiny_url: str, ids: dict[str, int]) -> None:
    with db.engine(tiny_url).connect() as conn:
        flow = flows.flows(conn, YTD)
    names = {i: code for code, i in ids.items()}
    places = {Place("facility", i): c for i, c in names.items()} | {Place("destination", 1): "临河"}
    grid = flows.od_matrix(flow, names, places, "Σ")
    assert grid.loc["Σ", "Σ"] == 7  # 5 in October, 2 in September
    assert (grid.loc["V2", "T2"], grid.loc["T2", "临河"]) == (2, 1)
    assert (grid.loc["Σ", "T2"], grid.loc["T1", "Σ"]) == (2, 1)
    assert flows.od_matrix(flow.iloc[0:0], names, {}, "Σ").empty


def test_destinations_keep_their_true_bearing() -> None:
    dest = pd.DataFrame({"id": [1, 2, 3, 4], "name_zh": ["临河", "包头", "呼和浩特", "北京"],
                         "latitude": [40.7575, 40.6574, 40.8426, 39.9042],
                         "longitude": [107.3873, 109.8403, 111.7492, 116.4074]})
    placed = flows.place_destinations(dest, BBOX)
    lat_c, lon_c = (BBOX[1] + BBOX[3]) / 2, (BBOX[0] + BBOX[2]) / 2
    ring = flows.ring_km(BBOX)
    shown = [flows.distance_km(lat_c, lon_c, r.map_lat, r.map_lon) for r in placed.itertuples()]
    for r in placed.itertuples():
        assert flows.bearing_deg(lat_c, lon_c, r.map_lat, r.map_lon) == pytest.approx(r.bearing, abs=0.05)
        assert r.km == pytest.approx(flows.distance_km(lat_c, lon_c, r.latitude, r.longitude))
    assert 100 < placed.loc[0, "km"] < 200  # 临河 is near
    assert placed.loc[3, "km"] > 600  # 北京 far
    assert all(s >= ring * 0.999 for s in shown)  # all four lie beyond this county's ring
    assert pd.Series(shown).rank().tolist() == placed["km"].rank().tolist()  # farther is drawn farther
    assert max(shown) < 2 * ring  # Beijing stays at the edge of the view, not 700 km away
    lon0, lat0, lon1, lat1 = BBOX
    assert not any(lon0 <= r.map_lon <= lon1 and lat0 <= r.map_lat <= lat1 for r in placed.itertuples())


def test_a_near_destination_stays_where_it_is() -> None:
    near = pd.DataFrame({"id": [9], "latitude": [41.0], "longitude": [108.4]})  # just south of the box
    placed = flows.place_destinations(near, BBOX)
    assert (placed.loc[0, "map_lat"], placed.loc[0, "map_lon"]) == pytest.approx((41.0, 108.4), abs=1e-6)


def test_travel_and_bearing_agree() -> None:
    lat, lon = flows.travel(41.8, 108.5, 137.0, 150.0)
    assert flows.distance_km(41.8, 108.5, lat, lon) == pytest.approx(150.0, rel=1e-6)
    assert flows.bearing_deg(41.8, 108.5, lat, lon) == pytest.approx(137.0, abs=1e-6)
