"""What the map draws, on the tiny county (tests/fixtures/tiny.py) and on the reference registry."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from shapely.geometry import Point, shape
from shapely.ops import unary_union

from lib import registry
from lib.events import write as events
from lib.kpi.period import Period
from lib.maps import scene
from lib.registry import geo
from lib.store import bootstrap, counties, db
from lib.store.models import EmergencyDispatch, Facility
from tests.fixtures import tiny

MONTH = Period("month", dt.date(2026, 10, 1))


def test_points_carry_names_tiers_areas_and_flags(tiny_url: str) -> None:
    with db.engine(tiny_url).connect() as conn:
        points = scene.facility_points(conn, counties.resolve(conn)).set_index("code")
    assert list(points.index) == ["H", "T1", "T2", "V1", "V2"]  # tier order: hospital, THCs, clinics
    assert points.loc["T2", ["name_en", "tier", "level", "area_zh", "community_en"]].tolist() == [
        "THC two", "thc", "township", "牧区", "Community"]
    assert points.loc["V2", ["latitude", "longitude"]].tolist() == [42.0, 107.98]


def test_areas_shade_each_facilitys_own_area_inside_the_outline(sqlite_url: str) -> None:
    bootstrap.load_reference(sqlite_url)
    with db.engine(sqlite_url).connect() as conn:
        shapes = scene.shapes(conn, counties.resolve(conn))
        points = scene.facility_points(conn, counties.resolve(conn))
        outline = geo.boundary(registry.boundary_path(conn))
    areas = {f["properties"]["area"]: shape(f["geometry"]) for f in shapes["areas"]["features"]}
    assert list(areas) == ["urban", "irrigation", "mountain_dry", "pastoral"]  # registry order
    for p in points.itertuples():
        here = Point(p.longitude, p.latitude)
        assert min(areas, key=lambda a: areas[a].distance(here)) == p.area, p.code
    assert unary_union(list(areas.values())).area == pytest.approx(outline.area, rel=0.02)
    assert shapes["bbox"] == pytest.approx(outline.bounds, abs=1e-3)
    assert len(json.dumps(shapes)) < 20_000  # re-sent with every refresh of the map


def test_volumes_per_unit(tiny_url: str) -> None:
    with db.engine(tiny_url).connect() as conn:
        ids = dict(conn.execute(sa.select(Facility.code, Facility.id)).all())
        vol = scene.volumes(conn, MONTH)
    by_code = {code: vol.loc[i] for code, i in ids.items() if i in vol.index}
    assert {c: int(v["visits"]) for c, v in by_code.items()} == {"H": 4, "T1": 3, "V1": 2, "T2": 2, "V2": 1}
    assert (int(by_code["T1"]["ref_sent"]), int(by_code["T1"]["ref_in"])) == (1, 2)
    assert (int(by_code["H"]["adm_at"]), int(by_code["T2"]["adm_at"])) == (1, 1)


def test_doctors_sent_to_a_unit_in_the_year(tiny_url: str) -> None:
    with db.engine(tiny_url).connect() as conn:
        ids = dict(conn.execute(sa.select(Facility.code, Facility.id)).all())
        t1 = scene.doctors_hosted(conn, ids["T1"], dt.date(2026, 10, 31))
        t2 = scene.doctors_hosted(conn, ids["T2"], dt.date(2026, 10, 31))
        before = scene.doctors_hosted(conn, ids["T1"], dt.date(2026, 9, 30))
    assert {(r.kind, r.doctors, r.stints, r.days) for r in t1.itertuples()} == {("tour", 1, 1, 10),
                                                                                 ("rotation", 1, 1, 5)}
    assert set(t1["from_id"]) == {ids["H"]}
    assert [(r.kind, r.doctors, r.days) for r in t2.itertuples()] == [("stationed", 2, 27)]  # d2's 7 in October
    assert [(r.kind, r.days) for r in before.itertuples()] == [("rotation", 5)]


def test_dispatches_under_way_by_station_scene_and_stage(store_url: str) -> None:
    tiny.build(store_url)
    now = dt.datetime(2026, 11, 5, 10, 0)
    with db.engine(store_url).begin() as conn:
        ids = dict(conn.execute(sa.select(Facility.code, Facility.id)).all())

        def run(minutes_ago: int, lat: float, **stages: int) -> dict[str, object]:
            call = now - dt.timedelta(minutes=minutes_ago)
            times = {k: call + dt.timedelta(minutes=stages[k]) if k in stages else None
                     for k in ("dispatched_at", "arrived_at", "completed_at")}  # every row the same keys
            return {"facility_id": ids["T2"], "call_at": call, "latitude": lat, "longitude": 107.9, **times}

        events.record(conn, EmergencyDispatch, [
            run(5, 42.1), run(20, 42.1),  # two calls from one scene, no ambulance yet
            run(30, 42.2, dispatched_at=2),  # on the way
            run(50, 42.3, dispatched_at=2, arrived_at=40),  # at the scene
            run(90, 42.3, dispatched_at=2, arrived_at=40, completed_at=80),  # done: not under way
            run(60 * 13, 42.3),  # older than lib.events.live.UNDER_WAY_HOURS: a data gap, not a live run
        ])
        live = scene.dispatches_under_way(conn, now, counties.resolve(conn))
    got = [(r.latitude, r.stage, r.calls) for r in live.itertuples()]
    assert got == [(42.3, "on_scene", 1), (42.2, "en_route", 1), (42.1, "waiting", 2)]  # oldest call first
    assert set(live["station_id"]) == {ids["T2"]}
    assert live["first_call"].iloc[-1] == now - dt.timedelta(minutes=20)
