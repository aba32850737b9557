"""The resources-sent-down page shows the engine's figures for the filters (tiny county, both stores)."""

import datetime as dt

import pytest

from lib import i18n
from lib.ops.sinking import HEADLINE
from tests.fixtures import tiny
from tests.pages.conftest import engine_tiles


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_indicators_hospitals_and_doctors(tiny_url, open_page, lang):
    at = open_page(tiny_url, "sinking", period="2026-10", lang=lang)
    expected = engine_tiles(tiny_url, HEADLINE, lang, dt.date(2026, 10, 1), tiny.TODAY)
    shown = {m.label: m.value for m in at.metric}
    assert expected == shown
    assert "50.0%" in shown.values()  # sinking_days_compliance, worked by hand in tests/lib  # d1 of d1 and d2
    hospitals, doctors, hosts = (df.value for df in at.dataframe)
    assert hospitals[["eligible", "on_track", "behind"]].iloc[0].tolist() == [2, 1, 1]
    assert doctors[["staff", "short"]].values.tolist() == [["d2", 8.0], ["d1", 0.0]]
    assert hosts["days"].tolist() == [10, 7]
    assert i18n.t("sink.roster.unreported", lang, months="")[:5] in " ".join(c.value for c in at.caption)


def test_pastoral_area_has_no_sending_hospital(tiny_url, open_page):
    at = open_page(tiny_url, "sinking", period="2026-10", area="pastoral", lang="en")
    infos = " ".join(i.value for i in at.info)
    assert i18n.t("sink.no_hospitals", "en") in infos
    assert i18n.t("sink.no_doctors", "en") in infos
    [hosts] = [df.value for df in at.dataframe]
    assert hosts["days"].tolist() == [7]  # T2 only


def test_peer_group_filter(tiny_url, open_page):
    at = open_page(tiny_url, "sinking", period="2026-10", tier="county_hospital", span="ytd")
    doctors = at.dataframe[1].value
    assert doctors["days"].tolist() == [17.0, 25.0]  # the year to October: the same days, counted to 31 October
