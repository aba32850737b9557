"""The store goes away mid-session: the wall screen says so and recovers by itself when it returns.

PostgreSQL is reached through a TCP proxy the test cuts and restores; the app is never told.
"""

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import serve
from tests.browser.tcp_proxy import TcpProxy
from tests.conftest import PG_URL, _store
from tests.fixtures import tiny

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    store = _store("postgresql", tmp_path_factory.mktemp("pg"))
    url = next(store)
    tiny.build(url)
    proxy = TcpProxy(("127.0.0.1", 5432))
    proxy.start()
    via_proxy = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    assert via_proxy != url
    assert PG_URL in url
    with serve(via_proxy, tmp_path_factory.mktemp("server")) as server:
        yield server, proxy
    proxy.stop()
    next(store, None)


def test_banner_shows_while_the_store_is_unreachable_and_clears_after(browser: Browser, proxied):
    server, proxy = proxied
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{server.origin}/?kiosk=1&refresh=5&rotate=overview&period=2026-10")  # no rotation
    expect(page.locator("[data-testid='stMetric']").first).to_be_visible(timeout=30_000)
    banner = page.get_by_text("暂时无法连接数据库")
    expect(banner).to_have_count(0)
    proxy.stop()
    expect(banner).to_be_visible(timeout=60_000)  # within a refresh after the 15 s live cache expires
    proxy.start()
    expect(banner).to_have_count(0, timeout=60_000)
    expect(page.locator("[data-testid='stMetric']").first).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    page.close()
