"""A registry that updates (issue #15 item 3): a second county beside the first, a loaded county brought to
its file with the difference listed, retired units kept with their history, all or nothing, and messages
that name what is wrong: a parent that does not exist, swapped coordinates, where a file was looked for."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib import registry
from lib.events import write as events
from lib.registry import settings
from lib.store import db
from lib.store.models import County, Destination, Facility, Visit
from tests.fixtures import tiny

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
XIAOHE = FIXTURES / "xiaohe_registry.toml"
RETIRED_ON = dt.date(2026, 11, 20)


def _copy(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """The test county's registry with ``edits`` applied, its boundary named where the copy can find it."""
    text = XIAOHE.read_text(encoding="utf-8").replace('"xiaohe.geojson"', repr(str(FIXTURES / "xiaohe.geojson")))
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "xiaohe.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _units(url: str) -> dict[str, tuple[str, dt.date | None]]:
    with db.engine(url).connect() as conn:
        rows = conn.execute(sa.select(Facility.code, Facility.name_zh, Facility.retired_on)
                            .join(County, County.id == Facility.county_id).where(County.code == "990101")).all()
    return {code: (name, retired) for code, name, retired in rows}


def _load_with_a_visit_at_v2(url: str) -> None:
    """The test county loaded, with one October visit at its unit XH-V2 (the one the updates retire)."""
    with db.engine(url).begin() as conn:
        registry.load(conn, XIAOHE)
        unit = conn.execute(sa.select(Facility.id).where(Facility.code == "XH-V2")).scalar_one()
        events.record(conn, Visit, [{"facility_id": unit, "home_facility_id": unit, "ts": dt.datetime(2026, 10, 3, 9),
                                     "kind": "outpatient", "is_tcm": False, "is_insured_resident": True,
                                     "cost": 20, "fund_paid": 10}])


def test_a_second_county_loads_beside_the_first_with_the_same_destination_code(store_url):
    tiny.build(store_url)  # 小旗, whose one destination is coded D1 too
    with db.engine(store_url).begin() as conn:
        summary = registry.load(conn, XIAOHE)
    assert not summary.updated
    assert summary.by_tier == {"county_hospital": 3, "tcm_hospital": 1, "thc": 3, "village_clinic": 3}
    with db.engine(store_url).connect() as conn:
        places = conn.execute(sa.select(County.code, Destination.code).join(County)
                              .order_by(County.code, Destination.code)).all()
        roles = dict(conn.execute(sa.select(Facility.code, Facility.role).where(Facility.code.like("XH-%"))).all())
        ours, theirs = settings.read(conn, "990101"), settings.read(conn, "000001")
    assert places == [("000001", "D1"), ("990101", "D1"), ("990101", "capital")]
    assert roles["XH-AUX"] == "auxiliary"
    assert roles["XH-PARTNER"] == "partner"
    assert roles["XH-T1"] == "member"
    assert (ours.self_zh, ours.self_en, ours.medicine, ours.has_border_port) == ("县", "county", "tcm", False)
    assert ours.watched_diseases == ("cancer", "stroke")
    assert ours.reporting_day == 10
    assert (theirs.self_zh, theirs.medicine, theirs.reporting_day) == ("旗", "tcm", settings.DEFAULT_REPORTING_DAY)


def test_an_update_lists_new_changed_and_retired_units_and_keeps_the_retired_ones_history(store_url, tmp_path):
    _load_with_a_visit_at_v2(store_url)
    v2 = _copy(tmp_path, ('name_zh = "平原乡卫生院"', 'name_zh = "平原镇卫生院"'),
               ('[[facility]]\ncode = "XH-V2"', '[[facility]]\ncode = "XH-V4"'),
               ('latitude = 35.14\nlongitude = 114.22', 'latitude = 35.12\nlongitude = 114.23'))
    with db.engine(store_url).begin() as conn:
        summary = registry.load(conn, v2, "en", today=RETIRED_ON)
    assert summary.updated
    assert summary.diff.new["facility"] == ["XH-V4"]
    assert summary.diff.retired["facility"] == ["XH-V2"]
    assert summary.diff.changed["facility"] == {"XH-T2": ["name_zh"]}
    assert summary.diff.lines("en") == ["units: new (1): XH-V4", "units: retired, history kept (1): XH-V2",
                                        "units XH-T2 changed: name_zh"]
    units = _units(store_url)
    assert units["XH-V2"] == ("西村卫生室", RETIRED_ON)
    with db.engine(store_url).connect() as conn:  # its residents are counted by the units still in the file
        served = conn.execute(sa.select(Facility.population_served).where(Facility.code == "XH-V2")).scalar_one()
    assert served == 0
    assert units["XH-T2"] == ("平原镇卫生院", None)
    assert units["XH-V4"][1] is None
    with db.engine(store_url).connect() as conn:
        visits = conn.execute(sa.select(sa.func.count()).select_from(Visit)
                              .where(Visit.facility_id == sa.select(Facility.id).where(Facility.code == "XH-V2")
                                     .scalar_subquery())).scalar_one()
    assert visits == 1
    with db.engine(store_url).begin() as conn:  # back in the file: back in service, nothing else changes
        again = registry.load(conn, XIAOHE, "en")
    assert again.diff.changed["facility"] == {"XH-T2": ["name_zh"], "XH-V2": ["retired_on", "population_served"]}
    assert again.diff.retired["facility"] == ["XH-V4"]


def test_a_refused_update_changes_nothing_and_names_a_parent_that_does_not_exist(sqlite_url, tmp_path):
    with db.engine(sqlite_url).begin() as conn:
        registry.load(conn, XIAOHE)
    before = _units(sqlite_url)
    bad = _copy(tmp_path, ('name_zh = "城关镇卫生院"', 'name_zh = "城关镇中心卫生院"'),
                ('parent = "XH-T3"', 'parent = "XH-T33"'))
    with pytest.raises(registry.RegistryError) as err, db.engine(sqlite_url).begin() as conn:
        registry.load(conn, bad, "en")
    assert err.value.problems == ["[[facility]] #10 (code 'XH-V3'): parent 'XH-T33' does not exist in this file "
                                  "(check the code for a typo)"]
    assert _units(sqlite_url) == before
    with pytest.raises(registry.RegistryError) as err, db.engine(sqlite_url).begin() as conn:
        registry.load(conn, bad)
    assert "上级机构 'XH-T33' 在本文件中不存在" in err.value.problems[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_swapped_coordinates_and_a_missing_boundary_are_explained(sqlite_url, tmp_path, lang):
    swapped = _copy(tmp_path, ("latitude = 35.50\nlongitude = 114.70", "latitude = 114.70\nlongitude = 35.50"),
                    ("latitude = 35.52\nlongitude = 114.72", "latitude = 114.72\nlongitude = 35.52"))
    with pytest.raises(registry.RegistryError) as err, db.engine(sqlite_url).begin() as conn:
        registry.load(conn, swapped, lang)
    hint = {"zh": "纬度与经度可能写反了", "en": "Latitude and longitude look swapped"}[lang]
    assert len(err.value.problems) == 2
    assert all(hint in p for p in err.value.problems)
    missing = _copy(tmp_path, (repr(str(FIXTURES / "xiaohe.geojson")), '"boundaries/nowhere.geojson"'))
    with pytest.raises(registry.RegistryError) as err, db.engine(sqlite_url).begin() as conn:
        registry.load(conn, missing, lang)
    places = [str(tmp_path / "boundaries" / "nowhere.geojson"), str(registry.DATA / "boundaries" / "nowhere.geojson")]
    assert len(err.value.problems) == 1
    assert all(place in err.value.problems[0] for place in places)


def test_a_unit_code_of_another_county_is_refused_by_name(sqlite_url, tmp_path):
    tiny.build(sqlite_url)
    clash = _copy(tmp_path, ('code = "XH-T1"', 'code = "T1"'))
    with pytest.raises(registry.RegistryError) as err, db.engine(sqlite_url).begin() as conn:
        registry.load(conn, clash, "en")
    assert err.value.problems == ["[[facility]] #5 (code 'T1'): unit code already used by another county in this "
                                  "store (000001 小旗): unit codes are unique in a store"]


def test_the_cli_shows_the_difference_and_a_failed_load_leaves_no_new_store(tmp_path, capsys):
    store = tmp_path / "new.db"
    url = f"sqlite:///{store}"
    bad = _copy(tmp_path, ('tier = "tcm_hospital"', 'tier = "hospice"'))
    assert registry.main(["load", str(bad), "--db", url]) == 2
    assert "未知的机构类别（tier）'hospice'" in capsys.readouterr().err
    assert not store.exists()
    assert registry.main(["load", str(XIAOHE), "--lang", "en", "--db", url]) == 0
    assert capsys.readouterr().out.startswith(  # the tiers by name, in the reader's language
        "loaded county 990101: facilities: 10 (General hospital 3, TCM hospital 1, Township health centre 3, "
        "Village clinic 3)")
    v2 = _copy(tmp_path, ('name_en = "Hills THC"', 'name_en = "Hills township health centre"'),
               ("reporting_day = 10", "reporting_day = 12"))
    assert registry.main(["load", str(v2), "--check", "--lang", "en", "--db", url]) == 0
    shown = capsys.readouterr().out
    assert "units XH-T3 changed: name_en" in shown
    assert "county 990101 changed: settings" in shown
    assert _units(url)["XH-T3"][0] == "山区乡卫生院"
    with db.engine(url).connect() as conn:  # --check wrote nothing
        assert conn.execute(sa.select(Facility.name_en).where(Facility.code == "XH-T3")).scalar_one() == "Hills THC"
    assert registry.main(["load", str(v2), "--db", url]) == 0
    assert "XH-T3 变更：name_en" in capsys.readouterr().out


def test_a_retired_unit_leaves_the_map_and_the_ranking_but_its_history_stays_in_the_totals(store_url, tmp_path):
    from lib.kpi import measures
    from lib.kpi.engine import Engine, Scope
    from lib.kpi.period import Period
    from lib.maps import scene
    from lib.scoring import score
    from lib.store import counties

    _load_with_a_visit_at_v2(store_url)
    with db.engine(store_url).begin() as conn:
        registry.load(conn, _copy(tmp_path, ('[[facility]]\ncode = "XH-V2"', '[[facility]]\ncode = "XH-V4"')),
                      today=RETIRED_ON)
    october, december = dt.date(2026, 10, 1), dt.date(2026, 12, 1)
    with db.engine(store_url).connect() as conn:
        xiaohe = counties.resolve(conn, "990101")
        drawn = set(scene.facility_points(conn, xiaohe, december)["code"])
        before = set(scene.facility_points(conn, xiaohe, october)["code"])
        units = measures.facilities(conn, xiaohe.id)
        visits = Engine(conn, county="990101").sums(Scope(), Period("month", october))["visits"]
        ranked = set(score.draft(conn, december, county="990101", trend_months=2).units["facility_code"])
        ranked_before = set(score.draft(conn, october, county="990101", trend_months=2).units["facility_code"])
    assert ("XH-V2" in drawn, "XH-V2" in before) == (False, True)
    assert "XH-V2" in set(units["code"])  # still a unit of the engine: its October visit is in the total
    assert visits == 1
    assert ("XH-V2" in ranked, "XH-V2" in ranked_before) == (False, True)
