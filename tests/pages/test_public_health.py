"""The public health, TCM and elderly-care page in AppTest on the tiny county (both stores): every tile is
lib.ops.public_health's (the KPI engine's), in Chinese and English, under the shared filters."""

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from lib import clock, i18n
from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.ops import public_health
from lib.store import db
from ui import kiosk

OCTOBER = Period("month", dt.date(2026, 10, 1))


def _expected(url: str, scope: Scope, lang: str) -> dict[str, str]:
    with db.engine(url).connect() as conn:
        view = public_health.page(Engine(conn, today=clock.today()), scope, OCTOBER)
    out = {}
    for tiles in view.tiles.values():
        for tile in tiles:
            v = tile.value
            key = f"kpi.short.{v.code}"
            label = i18n.t(key, lang) if key in i18n.CATALOGUE else (tile.name_en if lang == "en" else tile.name_zh)
            out[label] = i18n.fmt_value(v.value, v.unit, lang)
    for code in public_health.ELDERLY_COUNTS:  # beside the elderly-care table
        v = view.elderly_counts.get(code)
        out[i18n.t(f"kpi.short.{code}", lang)] = i18n.fmt_value(None if v is None else v.value, "count", lang)
    return out


def _shown(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_tile_shows_the_engines_value(tiny_url, open_page, lang):
    at = open_page(tiny_url, "public_health", period="2026-10", lang=lang)
    expected = _expected(tiny_url, Scope(), lang)
    assert _shown(at) == expected
    assert expected[i18n.t("kpi.short.key_population_screenings", lang)] == "17"
    assert expected[i18n.t("kpi.short.elderly_visit_rate", lang)] == "92.3%"  # 12 of 13
    assert at.title[0].value == i18n.t("page.public_health", lang)


@pytest.mark.parametrize("params", [{"area": "pastoral"}, {"community": "c1", "tier": "thc"}],
                         ids=["pastoral", "community-thc"])
def test_filters_change_the_scope(tiny_url, open_page, params):
    at = open_page(tiny_url, "public_health", period="2026-10", **params)
    with db.engine(tiny_url).connect() as conn:
        engine = Engine(conn, today=clock.today())
        units = engine.units
        keep = units["area"].eq(params["area"]) if "area" in params else \
            units["community"].eq(params["community"]) & units["peer_group"].eq(params["tier"])
    scope = Scope("area", (params["area"],)) if "area" in params else \
        Scope("facilities", tuple(units.loc[keep, "code"]))
    assert _shown(at) == _expected(tiny_url, scope, "zh")


def test_a_report_never_filed_reads_no_data_not_zero(tiny_url, open_page):
    """V2 never reports its residents aged 60+: on its own it has no value ("—"), never 0."""
    at = open_page(tiny_url, "public_health", period="2026-10", area="pastoral", tier="village_clinic")
    assert _shown(at)[i18n.t("kpi.short.elderly_population", "zh")] == i18n.MISSING


def test_the_elderly_table_lists_each_area(tiny_url, open_page):
    at = open_page(tiny_url, "public_health", period="2026-10", lang="en")
    table = at.dataframe[0].value
    assert list(table["area"]) == ["Urban", "Pastoral"]
    assert list(table["elderly_population"]) == ["110", "40"]
    assert i18n.t("ph.elderly.no_mission", "en") in [c.value for c in at.caption]


def test_a_wall_shows_one_section_at_a_time(tiny_url, open_page):
    at = open_page(tiny_url, "public_health", period="2026-10", kiosk="1")
    assert at.session_state[kiosk.SECTIONS_KEY] == 3
    for section in (1, 2):
        at.session_state[kiosk.SECTION_KEY] = section
        at.run()
        assert not at.exception
    assert i18n.t("kpi.short.care_beds", "zh") in _shown(at)
    assert i18n.t("kpi.short.htn_managed_rate", "zh") not in _shown(at)
