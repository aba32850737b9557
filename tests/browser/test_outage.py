"""The store goes away mid-session: the wall screen says so and recovers by itself when it returns.

PostgreSQL is reached through a TCP proxy the test cuts and restores; the app is never told.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import serve, wait_ms
from tests.browser.tcp_proxy import TcpProxy
from tests.conftest import PG_URL, make_store
from tests.fixtures import tiny

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    with make_store("postgresql") as url:
        tiny.build(url)
        proxy = TcpProxy(("127.0.0.1", 5432))
        proxy.start()
        via_proxy = proxy.route(url)
        assert via_proxy != url
        assert PG_URL in url
        try:
            with serve(via_proxy, tmp_path_factory.mktemp("server")) as server:
                yield server, proxy
        finally:
            proxy.stop()


def test_banner_shows_while_the_store_is_unreachable_and_clears_after(new_page, proxied):
    server, proxy = proxied
    page = new_page(1920, 1080)
    page.goto(f"{server.origin}/?kiosk=1&refresh=5&rotate=overview&period=2026-10")  # no rotation
    expect(page.locator("[data-testid='stMetric']").first).to_be_visible(timeout=wait_ms(1.5))
    banner = page.get_by_text("暂时无法连接数据库")
    expect(banner).to_have_count(0)
    proxy.stop()
    expect(banner).to_be_visible(timeout=wait_ms(3))  # within a refresh after the 15 s live cache expires
    proxy.start()
    expect(banner).to_have_count(0, timeout=wait_ms(3))
    expect(page.locator("[data-testid='stMetric']").first).to_be_visible()
    assert page.locator("[data-testid='stException']").count() == 0
