"""The store down from the start, or cut mid-session: every page shows one banner, never a traceback,
and draws again once the store answers (AppTest; tests/browser/test_outage.py does it in Chromium).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lib import i18n
from tests.browser.tcp_proxy import TcpProxy
from tests.fixtures import tiny
from ui.frame import PAGES

NOBODY_LISTENS = "postgresql+psycopg://postgres@127.0.0.1:9/test"  # the discard port: refused at once
UNREACHABLE = {lang: i18n.t("banner.unreachable", lang) for lang in i18n.LANGS}


def _banners(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


@pytest.fixture
def down() -> Iterator[str]:
    st.cache_data.clear()
    st.cache_resource.clear()
    yield NOBODY_LISTENS
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.parametrize("page", [p.name for p in PAGES])
@pytest.mark.parametrize(("lang", "kiosk"), [("zh", "0"), ("en", "1")])
def test_every_page_says_the_store_is_down_from_the_start(down: str, open_page: Callable[..., AppTest], page: str,
                                                         lang: str, kiosk: str) -> None:
    at = open_page(down, page, lang=lang, kiosk=kiosk)
    assert _banners(at) == [UNREACHABLE[lang]]


@pytest.fixture
def proxied(pg_url: str) -> Iterator[tuple[TcpProxy, str]]:
    """The tiny county on PostgreSQL (SQLite has no connection to cut), behind a proxy the test cuts, and
    the store's URL through it."""
    tiny.build(pg_url)
    proxy = TcpProxy(("127.0.0.1", 5432))
    proxy.start()
    yield proxy, proxy.route(pg_url)
    proxy.stop()
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.mark.slow  # ten pages on PostgreSQL behind a proxy: CI runs it, the fast lane leaves it out
@pytest.mark.parametrize("page", [p.name for p in PAGES])
def test_every_page_survives_a_cut_mid_session_and_recovers(proxied: tuple[TcpProxy, str],
                                                            open_page: Callable[..., AppTest], page: str) -> None:
    proxy, url = proxied
    at = open_page(url, page, period="2026-10")
    assert UNREACHABLE["zh"] not in _banners(at)
    at.run()  # a second run draws what every later one does (the first may show start-up progress)
    drawn = len(at.main.children)

    proxy.stop()
    st.cache_data.clear()  # as if every cached figure had outlived its TTL
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert _banners(at).count(UNREACHABLE["zh"]) == 1

    proxy.start()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert UNREACHABLE["zh"] not in _banners(at)
    assert len(at.main.children) == drawn
