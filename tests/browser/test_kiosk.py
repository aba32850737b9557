"""Wall-screen mode in Chromium: fits 1920×1080 and 3840×2160 with no scrollbar, no error element and no
outside request; rotates through its playlist keeping the URL's settings.

Kiosk pages rerun fragments every few seconds, so the script state never settles on "notRunning" for
long: these tests wait for content (tests/browser/conftest.wait_for_app_run suits still pages).
"""

import datetime as dt
import re

import pytest
from playwright.sync_api import Browser, expect

from lib import db, schema
from lib.demo import generate
from tests.browser.conftest import serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    """A small demo store whose last month is this month, so every tile has figures."""
    url = f"sqlite:///{tmp_path_factory.mktemp('kiosk') / 'cockpit.db'}"
    schema.upgrade(url)
    generate(db.engine(url), scale=0.02, today=dt.date.today())
    db.engine(url).dispose()
    with serve(url, tmp_path_factory.mktemp("server")) as server:
        yield server


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
def test_kiosk_fits_the_screen(browser: Browser, app_server, tmp_path, width, height):
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    outside = []
    page.on("request", lambda r: outside.append(r.url) if f":{app_server.port}" not in r.url
            and not r.url.startswith("data:") else None)
    page.goto(f"{app_server.origin}/?kiosk=1")
    expect(page.locator("div[class*='st-key-tile-']")).to_have_count(10, timeout=30_000)
    page.wait_for_timeout(1500)  # let the charts lay out
    page.screenshot(path=tmp_path / f"kiosk-{width}x{height}.png")
    sizes = page.evaluate("""() => {
        const main = document.querySelector('[data-testid=stMain]');
        const doc = document.scrollingElement;
        return {doc: [doc.scrollWidth, doc.clientWidth, doc.scrollHeight, doc.clientHeight],
                main: [main.scrollWidth, main.clientWidth, main.scrollHeight, main.clientHeight]};
    }""")
    for name, (sw, cw, sh, ch) in sizes.items():
        assert sw <= cw, f"{name} scrolls sideways at {width}×{height}: {sizes}"
        assert sh <= ch, f"{name} scrolls down at {width}×{height}: {sizes}"
    assert page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count() == 0
    assert page.locator("[data-testid='stHeader']").is_hidden()
    assert outside == []
    context.close()


def test_kiosk_rotates_through_its_playlist(browser: Browser, app_server):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{app_server.origin}/?kiosk=1&lang=en&rotate=overview,referrals&every=10")
    expect(page).to_have_url(re.compile(r"/referrals\?.*kiosk=1"), timeout=40_000)
    assert "lang=en" in page.url
    assert "rotate=overview%2Creferrals" in page.url
    expect(page).to_have_url(re.compile(r"/\?.*kiosk=1"), timeout=40_000)
    page.close()


def _connected(page) -> None:
    expect(page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']")).to_be_attached(
        timeout=30_000)
    expect(page.locator("div[class*='st-key-tile-']")).to_have_count(10, timeout=30_000)


def test_watchdog_reloads_a_wall_that_lost_its_connection(browser: Browser, app_server):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    cut = {"on": False}

    def stream(ws) -> None:
        if cut["on"]:
            ws.close()  # the server is up, but this tab cannot reach its session
        else:
            ws.connect_to_server()
            sockets.append(ws)

    sockets = []
    page.route_web_socket(re.compile(r"/_stcore/stream"), stream)
    page.goto(f"{app_server.origin}/?kiosk=1&rotate=overview&watchdog=10")
    _connected(page)
    cut["on"] = True
    for ws in sockets:
        ws.close()
    expect(page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']")).to_have_count(0)
    with page.expect_event("load", timeout=40_000):
        pass  # the watchdog reloads after 10 s of disconnection (the health check answers)
    cut["on"] = False
    page.reload()  # Streamlit's own back-off may be mid-wait; a reload reconnects at once
    _connected(page)
    page.close()


def test_wall_reloads_itself_at_the_daily_time(browser: Browser, app_server):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.goto(f"{app_server.origin}/?kiosk=1&rotate=overview")
    _connected(page)
    soon = page.evaluate("() => new Date(Date.now() + 8000).toTimeString().slice(0, 8)")
    page.goto(f"{app_server.origin}/?kiosk=1&rotate=overview&reload={soon}")
    _connected(page)
    with page.expect_event("load", timeout=30_000):
        pass
    _connected(page)
    page.close()
