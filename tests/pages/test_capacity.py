"""The capacity page shows the engine's figures for the filters (tiny county, both stores)."""

import datetime as dt

import pytest

from lib import i18n
from lib.kpi.engine import Engine
from lib.ops.capacity import HEADLINE
from lib.store import db
from tests.fixtures import tiny
from tests.pages.conftest import engine_tiles


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_indicators_emr_and_thcs(tiny_url, open_page, lang):
    at = open_page(tiny_url, "capacity", period="2026-10", lang=lang)
    expected = engine_tiles(tiny_url, HEADLINE, lang, dt.date(2026, 10, 1), tiny.TODAY)
    shown = {m.label: m.value for m in at.metric}
    assert expected == shown
    assert "40.0" in shown.values()  # gp_per_10k, worked by hand in tests/lib
    emr, thcs = (df.value for df in at.dataframe)
    assert emr[["level", "target"]].values.tolist() == [[5, 6]]
    assert thcs["ambulances"].tolist() == [1, 2]
    assert thcs["staffed"].tolist() == [i18n.t("sink.no", lang), i18n.t("sink.yes", lang)]
    assert i18n.t("cap.no_training", lang) in [i.value for i in at.info]


def test_a_carried_report_says_its_month(tiny_url, open_page, monkeypatch):
    """November runs (the county's today is 5 November in the fixture's clock): reports are October's."""
    monkeypatch.setattr("lib.clock.today", lambda: tiny.TODAY)
    at = open_page(tiny_url, "capacity", period="2026-11", lang="en")
    emr, thcs = (df.value for df in at.dataframe)
    note = i18n.t("ops.as_of", "en", month=i18n.fmt_month(dt.date(2026, 10, 1), "en"))
    assert emr["note"].tolist() == [note]
    assert thcs["note"].tolist() == [note, note]


def test_area_filter(tiny_url, open_page):
    at = open_page(tiny_url, "capacity", period="2026-10", area="pastoral")
    [thcs] = [df.value for df in at.dataframe]  # no hospital in the pastoral area: an info, not an empty table
    assert i18n.t("cap.no_hospitals", "zh") in [i.value for i in at.info]
    assert thcs["ambulances"].tolist() == [2]


def test_reports_too_old_read_no_data_and_name_their_units(tiny_url, open_page, monkeypatch):
    """February 2027: October's reports are past the carry window. No value (never 0), units named."""
    monkeypatch.setattr("lib.clock.today", lambda: dt.date(2027, 2, 10))
    at = open_page(tiny_url, "capacity", period="2027-02", lang="en")
    with db.engine(tiny_url).connect() as conn:
        name = Engine(conn, today=tiny.TODAY).catalogue.at["thc_ambulance_coverage", "name_en"]
    [ambulances] = [m for m in at.metric if m.label == name]
    assert ambulances.value == i18n.t("ops.no_data", "en")
    captions = " ".join(c.value for c in at.caption)
    assert i18n.t("kpi.missing_units", "en", names="THC one, THC two") in captions
    emr, thcs = (df.value for df in at.dataframe)
    assert thcs["ambulances"].isna().all()
    assert thcs["note"].tolist() == [i18n.t("ops.not_reported", "en")] * 2
    assert emr["note"].tolist() == [i18n.t("ops.not_reported", "en")]
