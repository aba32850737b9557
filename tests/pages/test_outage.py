"""The store down from the start, or cut mid-session: every page shows one banner, never a traceback,
and draws again once the store answers (AppTest; tests/browser/test_outage.py does it in Chromium).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lib import i18n
from lib.store import db
from tests.browser.tcp_proxy import TcpProxy
from tests.fixtures import tiny
from ui.frame import PAGES

NOBODY_LISTENS = "postgresql+psycopg://postgres@127.0.0.1:9/test"  # the discard port: refused at once
UNREACHABLE = {lang: i18n.t("banner.unreachable", lang) for lang in i18n.LANGS}


def _open(url: str, page: str, **params: str) -> AppTest:
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(db.ROOT / "app.py"), default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page != PAGES[0].name:
        at.switch_page(f"pages/{page}.py").run()
    return at


def _banners(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


@pytest.fixture
def down(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("COCKPIT_DB_URL", NOBODY_LISTENS)
    yield NOBODY_LISTENS
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("page", [p.name for p in PAGES])
@pytest.mark.parametrize(("lang", "kiosk"), [("zh", "0"), ("en", "1")])
def test_every_page_says_the_store_is_down_from_the_start(down: str, page: str, lang: str, kiosk: str) -> None:
    at = _open(down, page, lang=lang, kiosk=kiosk)
    assert not at.exception, [e.value for e in at.exception]
    assert _banners(at) == [UNREACHABLE[lang]]


@pytest.fixture
def proxied(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TcpProxy]:
    """The tiny county on PostgreSQL (SQLite has no connection to cut), behind a proxy the test cuts."""
    tiny.build(pg_url)
    proxy = TcpProxy(("127.0.0.1", 5432))
    proxy.start()
    monkeypatch.setenv("COCKPIT_DB_URL", pg_url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"))
    yield proxy
    proxy.stop()
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.slow  # ten pages on PostgreSQL behind a proxy: CI runs it, the fast lane leaves it out
@pytest.mark.parametrize("page", [p.name for p in PAGES])
def test_every_page_survives_a_cut_mid_session_and_recovers(proxied: TcpProxy, page: str) -> None:
    at = _open("", page, period="2026-10")
    assert not at.exception, [e.value for e in at.exception]
    assert UNREACHABLE["zh"] not in _banners(at)
    at.run()  # a second run draws what every later one does (the first may show start-up progress)
    drawn = len(at.main.children)

    proxied.stop()
    st.cache_data.clear()  # as if every cached figure had outlived its TTL
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _banners(at).count(UNREACHABLE["zh"]) == 1

    proxied.start()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert UNREACHABLE["zh"] not in _banners(at)
    assert len(at.main.children) == drawn
