"""The meeting never presents a month that is not over, or one with no data, as an assessment (#9)."""

from __future__ import annotations

import datetime as dt

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lib import i18n
from lib.store import bootstrap, db


@pytest.fixture
def registry_only(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The reference county with no events and no reports."""
    bootstrap.load_reference(sqlite_url)
    monkeypatch.setenv("COCKPIT_DB_URL", sqlite_url)
    st.cache_data.clear()
    st.cache_resource.clear()
    return sqlite_url


def _meeting(period: str, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(db.ROOT / "app.py"), default_timeout=60)
    at.query_params["period"] = period
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/meeting.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("period", ["2999-12", f"{dt.date.today():%Y-%m}"])
def test_a_month_not_over_is_not_presented(registry_only: str, period: str) -> None:
    at = _meeting(period)
    month = i18n.fmt_month(dt.date.today().replace(day=1), "zh")
    assert [w.value for w in at.warning] == [i18n.t("meeting.not_over", "zh", month=month)]
    assert len(at.table) == 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_month_without_data_says_so(registry_only: str, lang: str) -> None:
    at = _meeting("1900-01", lang)
    month = i18n.fmt_month(dt.date(1900, 1, 1), lang)
    assert [w.value for w in at.warning] == [i18n.t("meeting.no_data", lang, month=month)]
    assert len(at.table) == 0
