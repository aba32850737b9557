"""The insurance fund page in AppTest on the tiny county (both stores): the figures are lib.ops.insurance's
(themselves the KPI engine's where an indicator), in Chinese and English, under the shared filters."""

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from lib import clock, i18n
from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.ops import insurance
from lib.store import db
from ui import kiosk

OCTOBER = Period("month", dt.date(2026, 10, 1))


def _view(url: str, scope: Scope) -> insurance.Insurance:
    with db.engine(url).connect() as conn:
        return insurance.page(Engine(conn, today=clock.today()), scope, OCTOBER)


def _shown(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_execution_is_shown_three_ways_against_the_elapsed_year(tiny_url, open_page, lang):
    at = open_page(tiny_url, "insurance", period="2026-10", lang=lang)
    view, shown = _view(tiny_url, Scope()), _shown(at)
    ex = view.execution
    assert shown[i18n.t("ins.rate.claims_rate", lang)] == i18n.fmt_pct(4_110 / 90_000, lang) == "4.6%"
    assert shown[i18n.t("ins.rate.settled_rate", lang)] == i18n.fmt_pct(ex.settled_rate, lang)
    assert shown[i18n.t("ins.rate.paid_rate", lang)] == i18n.fmt_pct(ex.paid_rate, lang)
    assert shown[i18n.t("ins.rate.elapsed", lang)] == "83.3%"  # 304 of 365 days
    assert shown[i18n.t("ins.amount", lang)] == i18n.fmt_money(90_000, lang)
    assert shown[i18n.t("ins.projected", lang)] == i18n.fmt_money(view.projection.projected, lang)
    assert any(c.value.startswith(i18n.t("ins.method.flat", lang)[:6]) for c in at.caption)  # the method is stated
    assert at.title[0].value == i18n.t("page.insurance", lang)


def test_spending_tiles_follow_the_area_filter_while_the_envelope_stays_the_countys(tiny_url, open_page):
    at = open_page(tiny_url, "insurance", period="2026-10", area="pastoral")
    shown = _shown(at)
    view = _view(tiny_url, Scope("area", ("pastoral",)))
    for tile in view.indicators:
        v = tile.value
        label = i18n.t(f"kpi.short.{v.code}", "zh") if f"kpi.short.{v.code}" in i18n.CATALOGUE else tile.name_zh
        assert shown[label] == i18n.fmt_value(v.value, v.unit, "zh"), v.code
    assert shown[i18n.t("ins.in_county", "zh")] == i18n.fmt_money(390, "zh")
    assert shown[i18n.t("ins.out_county", "zh")] == i18n.fmt_money(1_500, "zh")
    assert shown[i18n.t("ins.rate.claims_rate", "zh")] == "4.6%"
    assert i18n.t("ins.county_wide", "zh") in [c.value for c in at.caption]


def test_the_ledger_table_lists_the_payments(tiny_url, open_page):
    at = open_page(tiny_url, "insurance", period="2026-10", lang="en")
    book = at.dataframe[0].value
    assert list(book["kind"])[:2] == ["Prepayment", "Monthly settlement"]
    assert book["H"].iloc[0] == 7_500


def test_a_year_without_a_budget_says_so(tiny_url, open_page):
    at = open_page(tiny_url, "insurance", period="2025-10", lang="en")
    assert i18n.t("ins.no_budget", "en") in [i.value for i in at.info]


def test_a_wall_shows_one_part_at_a_time(tiny_url, open_page):
    at = open_page(tiny_url, "insurance", period="2026-10", kiosk="1")
    assert at.session_state[kiosk.SECTIONS_KEY] == 3
    assert i18n.t("ins.rate.claims_rate", "zh") in _shown(at)
    at.session_state[kiosk.SECTION_KEY] = 2
    at.run()
    assert not at.exception
    assert i18n.t("ins.rate.claims_rate", "zh") not in _shown(at)
    assert i18n.t("ins.in_county", "zh") in _shown(at)
