"""Registry loading: the reference county, another county, and every rejection case named by row."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from lib import registry
from lib.registry import geo
from lib.store import db
from lib.store.models import County, Facility

DATA = Path(__file__).resolve().parents[2] / "data"

MINIMAL = """
[county]
code = "999999"
name_zh = "测试旗"
name_en = "Test Banner"
resident_population = 1000
insured_residents = 900
boundary = "{boundary}"

[[area]]
code = "urban"
name_zh = "城区"
name_en = "Urban"

[[community]]
code = "c1"
name_zh = "医共体"
name_en = "Community"

[[facility]]
code = "H1"
name_zh = "医院"
name_en = "Hospital"
tier = "county_hospital"
area = "urban"
community = "c1"
lead = true
latitude = 41.57
longitude = 108.52
coord_source = "estimated"

[[facility]]
code = "T1"
name_zh = "卫生院"
name_en = "THC"
tier = "thc"
area = "urban"
community = "c1"
latitude = 41.20
longitude = 107.90
coord_source = "estimated"

[[facility]]
code = "V1"
name_zh = "卫生室"
name_en = "Village clinic"
tier = "village_clinic"
area = "urban"
community = "c1"
parent = "T1"
latitude = 41.21
longitude = 107.91
coord_source = "estimated"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "registry.toml"
    path.write_text(text.replace("{boundary}", str(DATA / "boundaries" / "150824.geojson")), encoding="utf-8")
    return path


def _facility_count(url: str) -> int:
    with db.engine(url).connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(Facility)).scalar_one()


def test_reference_registry_loads_with_the_structure_of_seed_000(store_url):
    with db.engine(store_url).begin() as conn:
        summary = registry.load(conn, registry.DEFAULT_REGISTRY)
    # seed 000 §二(一)1: 8 + 7 THCs (2 of them sub-centres), 41 + 5 village clinics, 4 county-level units.
    assert summary.by_tier["thc"] + summary.by_tier["sub_centre_thc"] == 15
    assert summary.by_tier["sub_centre_thc"] == 2
    assert summary.by_tier["village_clinic"] == 46
    assert summary.areas == 4
    assert summary.communities == 2
    with db.engine(store_url).connect() as conn:
        per_community = dict(conn.execute(sa.text(
            "SELECT c.code, count(*) FROM facility f JOIN community c ON c.id = f.community_id "
            "WHERE f.tier_code IN ('thc', 'sub_centre_thc') GROUP BY c.code")).all())
        border = conn.execute(sa.select(Facility.name_zh).where(Facility.is_border_port)).scalars().all()
        orphans = conn.execute(sa.text(
            "SELECT count(*) FROM facility WHERE tier_code = 'village_clinic' AND parent_id IS NULL")).scalar_one()
    assert per_community == {"renmin": 8, "mengzhong": 7}
    assert border == ["甘其毛都镇卫生院"]
    assert orphans == 0


def test_every_reference_point_lies_inside_the_banner_boundary(sqlite_url):
    with db.engine(sqlite_url).begin() as conn:
        registry.load(conn, registry.DEFAULT_REGISTRY)
        boundary = registry.boundary_path(conn)
        points = conn.execute(sa.select(Facility.code, Facility.latitude, Facility.longitude)).all()
    assert boundary.name == "150824.geojson"
    outside = [code for code, lat, lon in points if not geo.contains(boundary, lat, lon)]
    assert outside == []


def test_a_second_county_with_its_own_areas_loads(sqlite_url):
    with db.engine(sqlite_url).begin() as conn:
        summary = registry.load(conn, DATA / "registries" / "zhalaiteqi.toml")
        areas = set(conn.execute(sa.text("SELECT code FROM area")).scalars())
    assert summary.county == "152223"
    assert areas == {"urban", "farming", "pastoral"}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (('tier = "thc"', 'tier = "hospice"'), "[[facility]] #2 (code 'T1'): unknown tier 'hospice'"),
        (('area = "urban"\ncommunity = "c1"\nparent', 'area = "grassland"\ncommunity = "c1"\nparent'),
         "[[facility]] #3 (code 'V1'): unknown area 'grassland'"),
        (('code = "V1"', 'code = "T1"'), "[[facility]]: duplicate code 'T1' (rows: 2)"),
        (('parent = "T1"\n', ""), "[[facility]] #3 (code 'V1'): a village clinic needs a parent THC"),
        (('parent = "T1"', 'parent = "H1"'), "[[facility]] #3 (code 'V1'): parent 'H1' is not a township"),
        (("latitude = 41.21\nlongitude = 107.91", "latitude = 40.0\nlongitude = 107.91"),
         "[[facility]] #3 (code 'V1'): point (40.0, 107.91) lies outside the county boundary 150824.geojson"),
        (("lead = true\n", ""), "[[community]] 'c1': no facility is marked lead = true"),
        (('latitude = 41.57', 'latitude = "north"'), "[[facility]] #1 (code 'H1'): latitude must be a number"),
        (('name_en = "THC"\n', ""), "[[facility]] #2 (code 'T1'): missing name_en"),
    ],
)
def test_bad_rows_are_named_and_nothing_is_written(sqlite_url, tmp_path, edit, expected):
    old, new = edit
    assert old in MINIMAL
    path = _write(tmp_path, MINIMAL.replace(old, new, 1))
    with pytest.raises(registry.RegistryError) as err, db.engine(sqlite_url).begin() as conn:
        registry.load(conn, path, "en")
    assert any(p.startswith(expected) for p in err.value.problems), err.value.problems
    assert str(path) in str(err.value)
    assert _facility_count(sqlite_url) == 0


def test_minimal_registry_loads_and_links_parent(sqlite_url, tmp_path):
    with db.engine(sqlite_url).begin() as conn:
        registry.load(conn, _write(tmp_path, MINIMAL))
        parent = conn.execute(sa.text(
            "SELECT p.code FROM facility v JOIN facility p ON p.id = v.parent_id WHERE v.code = 'V1'")).scalar_one()
    assert parent == "T1"


def test_loading_the_same_county_twice_changes_nothing(sqlite_url, tmp_path):
    """A loaded county is updated by its file (tests/lib/test_registry_update.py); the same file is no change."""
    path = _write(tmp_path, MINIMAL)
    with db.engine(sqlite_url).begin() as conn:
        registry.load(conn, path)
    with db.engine(sqlite_url).begin() as conn:
        again = registry.load(conn, path)
    assert again.updated
    assert again.diff.empty
    with db.engine(sqlite_url).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(County)).scalar_one() == 1


def test_invalid_toml_is_reported_with_the_file(sqlite_url, tmp_path):
    path = _write(tmp_path, "[county\ncode = 1")
    with pytest.raises(registry.RegistryError, match="cannot read"), db.engine(sqlite_url).begin() as conn:
        registry.load(conn, path, "en")


def test_cli_exits_2_and_prints_the_problem(sqlite_url, tmp_path, capsys):
    path = _write(tmp_path, MINIMAL.replace('tier = "thc"', 'tier = "hospice"'))
    assert registry.main(["load", str(path), "--lang", "en", "--db", sqlite_url]) == 2
    assert "unknown tier 'hospice'" in capsys.readouterr().err
    assert registry.main(["load", str(_write(tmp_path, MINIMAL)), "--db", sqlite_url]) == 0
