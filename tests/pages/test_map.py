"""The map and referral pages in AppTest: the deck spec (layers by id, no basemap), arcs that add up to
the KPI engine's referral counts, the facility profile, the live and border-port layers.

Most cases read the tiny county (tests/fixtures/tiny.py, both stores) for October 2026; the border
port needs the reference registry, the live layer a store of its own with an ambulance on the road.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from lib import clock, i18n
from lib.events import write as events
from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.store import bootstrap, db
from lib.store.models import EmergencyDispatch, Facility
from tests.fixtures import tiny
from ui import kiosk, maps, mapview

OCTOBER = Period("month", dt.date(2026, 10, 1))
NO_BASEMAP = "__MAP_STYLE__"  # pydeck's sentinel: with no mapProvider the frontend mounts no basemap


def _deck(at: AppTest) -> dict[str, Any]:
    charts = at.get("deck_gl_json_chart")
    assert len(charts) == 1
    return json.loads(charts[0].proto.json)


def _layers(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {layer["id"]: layer for layer in spec["layers"]}


def _engine_values(url: str, code: str, scopes: list[Scope]) -> dict[str, Any]:
    with db.engine(url).connect() as conn:
        values = Engine(conn, today=clock.today()).compute([code], scopes, OCTOBER, compare=False)
    return {v.scope.codes[0]: v for v in values}


def test_map_deck_has_its_layers_and_no_basemap(tiny_url: str, open_page: Any) -> None:
    spec = _deck(open_page(tiny_url, "map", period="2026-10"))
    assert spec["mapStyle"] == NO_BASEMAP
    assert spec.get("mapProvider") is None  # pydeck's default "carto" would fetch a style and tiles
    # No port, no ambulance; labels drawn last, over the dots.
    assert list(_layers(spec)) == ["areas", "outline", "facilities", "area-labels"]
    assert len(json.dumps(spec)) < 1_000_000


def test_dots_take_the_status_colour_of_the_engines_value(tiny_url: str, open_page: Any) -> None:
    at = open_page(tiny_url, "map", period="2026-10", indicator="cost_per_visit")
    dots = {r["code"]: r for r in _layers(_deck(at))["facilities"]["data"]}
    want = _engine_values(tiny_url, "cost_per_visit", [Scope("facility", (c,)) for c in dots])
    assert {c: d["fill"][:3] for c, d in dots.items()} == {c: maps.STATUS_RGB[want[c].status] for c in dots}
    assert {want[c].status for c in dots} >= {"met", "missed"}  # the tiny county has both
    assert dots["H"]["r"] == max(d["r"] for d in dots.values())  # the busiest unit is the largest dot
    assert dots["H"]["tip"].startswith("旗医院\n")
    assert i18n.fmt_value(want["H"].value, "money", "zh") in dots["H"]["tip"]


@pytest.mark.parametrize("params", [{}, {"area": "pastoral"}, {"community": "c1", "tier": "thc"}],
                         ids=["county", "pastoral", "community-thc"])
def test_arc_volumes_equal_the_engines_referral_counts(tiny_url: str, open_page: Any, params: dict[str, str]) -> None:
    at = open_page(tiny_url, "referrals", period="2026-10", **params)
    arcs = _layers(_deck(at))["referrals"]["data"]
    shown = {d: sum(a["n"] for a in arcs if a["dir"] == d) for d in ("up", "down", "out")}
    with db.engine(tiny_url).connect() as conn:
        engine = Engine(conn, today=clock.today())
        units = engine.units
        keep = units["area"].eq(params["area"]) if "area" in params else \
            units["peer_group"].eq(params["tier"]) if "tier" in params else units["code"].notna()
        scope = Scope("facilities", tuple(units.loc[keep, "code"]))
        want = {"up": engine.value("up_referrals", scope, OCTOBER),
                "down": engine.value("down_referrals", scope, OCTOBER),
                "out": engine.sums(scope, OCTOBER)["ref_sent:out"]}
    assert shown == want
    assert sum(shown.values()) > 0
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[i18n.t("ref.out_referrals", "zh")] == str(int(want["out"]))


def test_referral_deck_places_destinations_and_has_no_basemap(tiny_url: str, open_page: Any) -> None:
    spec = _deck(open_page(tiny_url, "referrals", period="2026-10", lang="en"))
    assert (spec["mapStyle"], spec.get("mapProvider")) == (NO_BASEMAP, None)
    layers = _layers(spec)
    assert list(layers) == ["areas", "outline", "facilities", "referrals", "destinations", "area-labels",
                            "destination-labels"]
    (dest,) = layers["destination-labels"]["data"]
    assert dest["t"].startswith("Linhe")
    (out,) = [a for a in layers["referrals"]["data"] if a["dir"] == "out"]
    assert out["t"] == layers["destinations"]["data"][0]["p"]
    assert out["tip"] == "THC two → Linhe\nOut of county, referrals: 1"


def test_direction_and_disease_from_the_url(tiny_url: str, open_page: Any) -> None:
    arcs = _layers(_deck(open_page(tiny_url, "referrals", period="2026-10", dir="down,out")))["referrals"]["data"]
    assert sorted(a["dir"] for a in arcs) == ["down", "out"]
    arcs = _layers(_deck(open_page(tiny_url, "referrals", period="2026-10", disease="cancer")))["referrals"]["data"]
    assert arcs == []


def test_leakage_and_trend_charts(tiny_url: str, open_page: Any) -> None:
    at = open_page(tiny_url, "referrals", period="2026-10")
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert len(specs) == 2  # out-of-county admissions by disease, out_of_county_rate per area
    assert specs[0]["layer"][0]["encoding"]["x"]["title"] == i18n.t("ref.leakage.axis", "zh")
    assert len(at.dataframe) == 1  # origin × destination


def test_profile_opens_from_the_url(tiny_url: str, open_page: Any) -> None:
    at = open_page(tiny_url, "map", period="2026-10", facility="T1")
    assert [h.value for h in at.subheader] == ["一号卫生院"]
    tables = [df.value for df in at.dataframe]
    referrals = tables[1]
    assert sorted(zip(referrals["方向"], referrals["类型"], referrals["对方机构"], referrals["人次"], strict=True)) == [
        ("转入", "上转", "一号卫生室", 1), ("转入", "下转", "旗医院", 1), ("转出", "上转", "旗医院", 1)]
    doctors = tables[2]
    assert sorted(zip(doctors["方式"], doctors["天数"], strict=True)) == [("巡诊", 10), ("轮岗", 5)]
    assert len(at.get("vega_lite_chart")) == 1  # its 12-month trend


def test_profile_opens_from_the_facility_selectbox(tiny_url: str, open_page: Any) -> None:
    at = open_page(tiny_url, "map", period="2026-10", lang="en")
    assert not at.subheader
    at.selectbox(key="map-facility").set_value("T2").run()
    assert at.query_params["facility"] == "T2"
    assert [h.value for h in at.subheader] == ["THC two"]


def test_layer_toggles(tiny_url: str, open_page: Any) -> None:
    at = open_page(tiny_url, "map", period="2026-10")
    at.button_group(key="map-layers").set_value(["facilities"]).run()
    layers = _layers(_deck(at))
    assert "area-labels" not in layers
    assert not layers["areas"]["pickable"]  # the outline stays, in one quiet tone


def test_border_port_is_marked(sqlite_url: str, open_page: Any) -> None:
    bootstrap.load_reference(sqlite_url)
    layers = _layers(_deck(open_page(sqlite_url, "map")))
    with db.engine(sqlite_url).connect() as conn:
        port = conn.execute(sa.select(Facility.longitude, Facility.latitude).where(Facility.is_border_port)).one()
    (ring,) = layers["border-port"]["data"]
    assert ring["p"] == [port.longitude, port.latitude]
    assert layers["port-label"]["data"][0]["t"] == "边境口岸"


def test_ambulances_under_way_are_drawn_live(sqlite_url: str, open_page: Any) -> None:
    tiny.build(sqlite_url)
    now = clock.now()
    with db.engine(sqlite_url).begin() as conn:
        t2 = conn.execute(sa.select(Facility.id).where(Facility.code == "T2")).scalar_one()
        events.record(conn, EmergencyDispatch, [
            {"facility_id": t2, "call_at": now - dt.timedelta(minutes=m), "latitude": 42.1, "longitude": 108.0,
             "dispatched_at": now - dt.timedelta(minutes=1), "arrived_at": None, "completed_at": None}
            for m in (3, 8)])
    layers = _layers(_deck(open_page(sqlite_url, "map", lang="en")))
    (scene,) = layers["dispatches"]["data"]
    assert scene["p"] == [108.0, 42.1]
    assert scene["tip"].startswith("Ambulance from THC two: on the way\n2 call(s), 8 min")
    assert layers["dispatch-routes"]["data"][0]["s"] == [107.95, 41.98]


def test_a_wall_shows_the_map_then_the_table_in_pages(tiny_url: str, open_page: Any, monkeypatch: Any) -> None:
    """A wall never scrolls: the map alone, then the table WALL_ROWS rows at a time (ui/kiosk.sections)."""
    monkeypatch.setattr(mapview, "WALL_ROWS", 2)
    at = open_page(tiny_url, "map", period="2026-10", kiosk="1")
    assert at.session_state[kiosk.SECTIONS_KEY] == 4  # the map, then 5 units in tables of 2, 2, 1
    assert len(at.dataframe) == 0
    assert _deck(at)
    shown = []
    for section in (1, 2, 3):
        at.session_state[kiosk.SECTION_KEY] = section
        at.run()
        assert not at.get("deck_gl_json_chart")
        shown += at.dataframe[0].value.iloc[:, 0].tolist()
    assert shown == ["旗医院", "一号卫生院", "二号卫生院", "一号卫生室", "二号卫生室"]


@pytest.mark.parametrize(("screen", "sections"), [("1920x1080", 3), ("3840x1080", 2), ("5760x1080", 1)])
def test_a_spliced_wall_shows_more_sections_side_by_side(tiny_url: str, open_page: Any, screen: str,
                                                         sections: int) -> None:
    at = open_page(tiny_url, "referrals", period="2026-10", kiosk="1", screen=screen)
    assert at.session_state[kiosk.SECTIONS_KEY] == sections
