"""The meeting never presents a month that is not over, or one with no data, as an assessment (#9)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lib import clock, i18n
from lib.store import bootstrap
from tests.conftest import make_store


@pytest.fixture(scope="module")
def registry_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The reference county with no events and no reports: read it, never write."""
    folder: Path = tmp_path_factory.mktemp("registry-only")
    with make_store("sqlite", folder, fill=bootstrap.load_reference) as url:
        yield url


@pytest.mark.parametrize("period", ["2999-12", "this month"])
def test_a_month_not_over_is_not_presented(registry_only: str, open_page: Callable[..., AppTest], period: str) -> None:
    today = clock.today()  # read when the test runs: a month computed at collection may have ended since
    at = open_page(registry_only, "meeting", period=f"{today:%Y-%m}" if period == "this month" else period, lang="zh")
    month = i18n.fmt_month(today.replace(day=1), "zh")
    assert [w.value for w in at.warning] == [i18n.t("meeting.not_over", "zh", month=month)]
    assert len(at.table) == 0
    assert len(at.dataframe) == 0


@pytest.mark.parametrize("page", ["meeting", "rankings"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_month_without_data_says_so(registry_only: str, open_page: Callable[..., AppTest], lang: str,
                                      page: str) -> None:
    at = open_page(registry_only, page, period="1900-01", lang=lang)
    month = i18n.fmt_month(dt.date(1900, 1, 1), lang)
    assert [w.value for w in at.warning] == [i18n.t("score.no_data", lang, month=month)]
    assert len(at.table) == 0
    assert len(at.dataframe) == 0
