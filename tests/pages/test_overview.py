"""The overview shows the KPI engine's values for the chosen scope and month (tiny county, both stores)."""

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from lib import clock, i18n
from lib.kpi.engine import Engine, Scope
from lib.kpi.headline import HEADLINE
from lib.kpi.period import Period
from lib.store import db
from lib.store.models import Facility, RegisterCount
from tests.fixtures import tiny
from ui import palette
from ui.frame import Frame
from ui.overview import sparkline


def _expected(url: str, scope: Scope, lang: str) -> dict[str, str]:
    with db.engine(url).connect() as conn:
        engine = Engine(conn, today=clock.today())
        values = engine.compute(HEADLINE, [scope], Period("month", dt.date(2026, 10, 1)))
    return {i18n.t(f"kpi.short.{v.code}", lang): i18n.fmt_value(v.value, v.unit, lang) for v in values}


def _shown(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_headline_tiles_show_the_engines_values(tiny_url, open_page, lang):
    at = open_page(tiny_url, None, period="2026-10", lang=lang)
    expected = _expected(tiny_url, Scope(), lang)
    shown = _shown(at)
    assert expected  # the county scope has headline values
    assert {k: shown.get(k) for k in expected} == expected
    # The tiny county's October, worked out by hand in tests/lib/test_kpi.py: 7 of 11 resident visits.
    assert shown[i18n.t("kpi.short.primary_visit_share", lang)] == "63.6%"


def test_area_filter_changes_scope_and_drops_county_only_tiles(tiny_url, open_page):
    at = open_page(tiny_url, None, period="2026-10", area="pastoral")
    shown = _shown(at)
    # Pastoral residents' visits, wherever made (issue #11 item 7): 2 of 3 at T2 and V2, one at H.
    assert shown[i18n.t("kpi.short.primary_visit_share", "zh")] == "66.7%"
    assert i18n.t("kpi.short.fund_execution", "zh") not in shown  # the envelope is county-wide


def test_a_tile_says_whom_it_counts(tiny_url, open_page):
    """An area's primary-care share counts its residents wherever treated; the tile's help says so."""
    at = open_page(tiny_url, None, period="2026-10", area="pastoral", lang="en")
    label = i18n.t("kpi.short.primary_visit_share", "en")
    [metric] = [m for m in at.metric if m.label == label]
    assert i18n.t("kpi.basis.resident", "en") in metric.help


def test_unknown_filter_values_are_ignored_with_a_notice(tiny_url, open_page):
    at = open_page(tiny_url, None, period="2026-10", area="grassland")
    assert any("area" in w.value for w in at.warning)
    assert _shown(at)[i18n.t("kpi.short.primary_visit_share", "zh")] == "63.6%"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_tile_names_the_units_whose_report_is_missing(sqlite_url, open_page, lang):
    tiny.build(sqlite_url)
    with db.engine(sqlite_url).begin() as conn:
        v2 = conn.execute(sa.select(Facility.id, Facility.name_zh, Facility.name_en).where(Facility.code == "V2")).one()
        conn.execute(sa.delete(RegisterCount).where(RegisterCount.facility_id == v2.id))
    at = open_page(sqlite_url, None, period="2026-10", lang=lang)
    name = v2.name_en if lang == "en" else v2.name_zh
    assert i18n.t("kpi.missing_units", lang, names=name) in [c.value for c in at.caption]
    assert _shown(at)[i18n.t("kpi.short.htn_managed_rate", lang)] == "75.0%"  # V1's 30 of 40, V2 left out


@pytest.mark.parametrize(("direction", "change", "expected"), [
    ("up", 0.00001, {"delta": "0.0 个百分点", "delta_color": "off", "delta_arrow": "off"}),  # reads as zero
    ("down", -0.00001, {"delta": "0.0 个百分点", "delta_color": "off", "delta_arrow": "off"}),
    ("up", 0.012, {"delta": "+1.2 个百分点", "delta_color": "normal"}),  # better: green
    ("down", 0.012, {"delta": "+1.2 个百分点", "delta_color": "inverse"}),  # worse: red
    ("on_track", 0.089, {"delta": "+8.9 个百分点", "delta_color": "off"}),  # the fund rises by design: grey
    ("up", None, {"delta": None}),
])
def test_a_change_is_coloured_by_what_it_means(direction, change, expected):
    assert palette.delta(direction, change, "pct", "zh") == expected


def _zoom(at: AppTest) -> float:
    [deck] = at.get("deck_gl_json_chart")
    return json.loads(deck.proto.json)["initialViewState"]["zoom"]


@pytest.mark.parametrize(("screen", "zoom_step", "rows"), [
    ("1920x1080", 0, [5, 5]), ("3840x2160", 1, [5, 5]), ("3840x1080", 0, [10]),
])
def test_a_wall_fills_its_screen(tiny_url, open_page, screen, zoom_step, rows):
    """A 2160-line wall draws its map twice the size (one zoom step closer, as its type doubles); a spliced
    3840×1080 wall keeps the size and puts every tile in one row."""
    desk = open_page(tiny_url, None, period="2026-10")
    at = open_page(tiny_url, None, period="2026-10", kiosk="1", screen=screen)
    assert _zoom(at) - _zoom(desk) == pytest.approx(zoom_step, abs=0.02)
    assert [len(r) for r in _tile_rows(at)] == rows


def _tile_rows(at: AppTest) -> list[list[str]]:
    """The overview's tile rows (containers keyed overview-tiles-N), each with its tiles' keys."""
    rows = []

    def walk(node: object) -> None:
        key = getattr(getattr(node, "proto", None), "id", "") or ""
        children = getattr(node, "children", {})
        if "overview-tiles-" in key:
            rows.append([k for k in (getattr(getattr(c, "proto", None), "id", "") for c in children.values())
                         if "tile-" in k])
            return
        for child in children.values():
            walk(child)

    walk(at._tree)
    return rows


@pytest.mark.parametrize("points", [[0.2, 0.5, 0.4], [0.93, 0.93, 0.93], [0.0, 0.0, 3.0]])
def test_a_sparkline_names_its_scales_domains(points):
    """Vega warns ("Infinite extent") when a scale must find its extent in rows drawn later (issue #14):
    the tile's sparkline gives both domains, wide enough for every point, even for a flat line."""
    spec = sparkline(Frame(lang="zh", kiosk=False), points)
    low, high = spec["encoding"]["y"]["scale"]["domain"]
    assert spec["encoding"]["x"]["scale"]["domain"] == [0, len(points) - 1]
    assert low < high
    assert low <= min(points)
    assert max(points) <= high
