"""The public health, TCM and elderly-care page's content (lib.ops.public_health) on the tiny county.

October 2026 (tests/fixtures/tiny.py). Every tile is the engine's value; the per-area and per-unit
figures are worked by hand below. The tiny county has no mountain-dry area: no 医康养 mission area.
"""

import datetime as dt

import pytest

from lib.kpi.engine import Scope
from lib.kpi.period import Period
from lib.ops import public_health

OCTOBER = Period("month", dt.date(2026, 10, 1))


@pytest.fixture(scope="module")
def view(engine):
    return public_health.page(engine, Scope(), OCTOBER)


def test_every_tile_is_the_engines_value(engine, view):
    for section, codes in public_health.SECTIONS.items():
        shown = {tile.value.code: tile.value for tile in view.tiles[section]}
        assert shown == {v.code: v for v in engine.compute(codes, [Scope()], OCTOBER)}, section
    counts = engine.compute(public_health.ELDERLY_COUNTS, [Scope()], OCTOBER, compare=False)
    assert view.elderly_counts == {v.code: v for v in counts}
    management = {tile.value.code: tile.value.value for tile in view.tiles["management"]}
    assert management["htn_managed_rate"] == pytest.approx(42 / 60)
    assert management["key_population_screenings"] == 17


def test_tcm_share_by_area_and_by_hospital_and_township_centre(view):
    # Urban: H 1 TCM of 4, T1 1 of 3, V1 0 of 2 = 2 of 9; pastoral: T2 1 of 2, V2 1 of 1 = 2 of 3.
    by_area = view.tcm_by_area.set_index("code")
    assert by_area[["numerator", "denominator"]].to_dict("index") == {
        "urban": {"numerator": 2, "denominator": 9}, "pastoral": {"numerator": 2, "denominator": 3}}
    assert by_area["target"].isna().all()  # the tiny county sets no TCM target: the chart draws 20% itself
    by_unit = view.tcm_by_unit.set_index("code")["value"].to_dict()
    assert by_unit == pytest.approx({"H": 1 / 4, "T1": 1 / 3, "T2": 1 / 2})  # village clinics are not listed


def test_elderly_care_per_area(view):
    rows = view.elderly_by_area.set_index("area")
    assert rows.loc["urban", list(public_health.ELDERLY)].tolist() == pytest.approx(
        [110, 10, 1.0, 3 / 6, 0.6, 1.0, 1.0])  # T1 60 + V1 50; T1's beds, 6 of 10 used; V1 8/8; T1 3/6
    assert rows.loc["pastoral", list(public_health.ELDERLY)].tolist() == pytest.approx(
        [40, 20, 4 / 5, 2 / 4, 0.75, 0.0, 0.0])
    assert not rows["mission"].any()
    assert view.mission_area is None


def test_a_scope_lists_only_its_areas_and_units(engine):
    view = public_health.page(engine, Scope("area", ("pastoral",)), OCTOBER)
    assert list(view.tcm_by_area["code"]) == ["pastoral"]
    assert list(view.tcm_by_unit["code"]) == ["T2"]
    assert view.elderly_counts["elderly_population"].value == 40
    assert view.elderly_counts["care_beds"].value == 20
    assert "tcm_master_studios" not in {tile.value.code for tile in view.tiles["tcm"]}  # a county figure


def test_missing_reports_are_named_not_zero(view):
    assert view.elderly_counts["elderly_population"].missing_units == ("V2",)
    assert view.elderly_counts["elderly_population"].value == 150  # the others' 60 + 50 + 40
