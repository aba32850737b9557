"""Wall-screen mode in Chromium: fits 1920×1080 and 3840×2160 with no scrollbar, no error element and no
outside request; rotates through its playlist keeping the URL's settings.

Kiosk pages rerun fragments every few seconds, so the script state never settles on "notRunning" for
long: these tests wait for content (tests/browser/conftest.wait_for_app_run suits still pages).
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENS, charts_drawn_js, serve, wait_ms
from tests.conftest import make_demo_store

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    """A small demo store whose last month is this month, so every tile has figures."""
    with make_demo_store(tmp_path_factory.mktemp("kiosk")) as url, \
            serve(url, tmp_path_factory.mktemp("server")) as server:
        yield server


def _laid_out(page: Page) -> None:
    """Wait until the page has drawn: no skeleton, every chart's canvas or svg attached, fonts loaded."""
    expect(page.locator("[data-testid='stSkeleton']")).to_have_count(0)
    page.wait_for_function(charts_drawn_js(some=True), timeout=wait_ms())
    page.evaluate("() => document.fonts.ready.then(() => true)")


# Text the browser shortened with an ellipsis ("Primary-care first cont…").
_CUT_TEXT_JS = """() => [...document.querySelectorAll('[data-testid=stMain] *')].filter(e =>
    e.textContent.trim() && getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1
).map(e => e.textContent.trim().slice(0, 60))"""


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1920, 1080), (3840, 2160), (3840, 1080)])
def test_kiosk_fits_the_screen(new_page, app_server, width, height):
    """The overview on a wall of each shape: no scrollbar, no error, no help icon, no outside request, no
    text cut with an ellipsis, once the wall has told the server its shape."""
    page = new_page(width, height)
    outside = []
    page.on("request", lambda r: outside.append(r.url) if f":{app_server.port}" not in r.url
            and not r.url.startswith("data:") else None)
    page.goto(f"{app_server.origin}/?kiosk=1")
    expect(page.locator("div[class*='st-key-tile-']")).to_have_count(10, timeout=wait_ms(1.5))
    expect(page).to_have_url(re.compile(f"screen={width}x{height}"))  # the wall tells the server its shape
    page.reload()  # what the wall's next refresh does: a run that knows the shape
    expect(page.locator("div[class*='st-key-tile-']")).to_have_count(10, timeout=wait_ms(1.5))
    _laid_out(page)  # let the charts lay out
    _assert_fits(page, f"overview-wall-{width}x{height}-zh")
    assert outside == []


def _assert_fits(page: Page, shot: str) -> None:
    """Screenshot ``shot``; then no scrollbar, error element, header, help icon or text cut with an ellipsis."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / f"{shot}.png")
    sizes = page.evaluate("""() => {
        const main = document.querySelector('[data-testid=stMain]');
        const doc = document.scrollingElement;
        return {doc: [doc.scrollWidth, doc.clientWidth, doc.scrollHeight, doc.clientHeight],
                main: [main.scrollWidth, main.clientWidth, main.scrollHeight, main.clientHeight]};
    }""")
    for name, (sw, cw, sh, ch) in sizes.items():
        assert sw <= cw, f"{name} scrolls sideways ({shot}): {sizes}"
        assert sh <= ch, f"{name} scrolls down ({shot}): {sizes}"
    assert page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count() == 0
    assert page.locator("[data-testid='stHeader']").is_hidden()
    assert page.locator("[data-testid='stTooltipIcon']:visible").count() == 0  # nothing to hover on a wall
    assert page.evaluate(_CUT_TEXT_JS) == []


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
def test_the_centres_wall_fits_the_screen_stage_by_stage(new_page, app_server, width, height):
    """The ten information centres on a wall: five panels at a time (the two stages of 000 主要目标), each
    part fitting the screen with nothing cut, and nothing fetched from outside."""
    page = new_page(width, height)
    outside = []
    page.on("request", lambda r: outside.append(r.url) if f":{app_server.port}" not in r.url
            and not r.url.startswith("data:") else None)
    panels, pager = page.locator("div[class*='st-key-centre-']"), page.locator(".kiosk-pager")
    for part in (1, 2):  # each part opened directly (?section=N), not after the wall's timer
        page.goto(f"{app_server.origin}/centres?kiosk=1&rotate=centres&every=3600&screen={width}x{height}"
                  f"&section={part}")
        expect(pager).to_have_text(f"本页 {part} / 2", timeout=wait_ms(2))
        expect(panels).to_have_count(5, timeout=wait_ms(1.5))
        _laid_out(page)
        _assert_fits(page, f"centres-wall-{width}x{height}-part{part}-zh")
    assert outside == []


def test_kiosk_rotates_through_its_playlist(new_page, app_server):
    """Overview, then referrals section by section (a wall never scrolls), then back to the overview."""
    page = new_page(1920, 1080)
    page.goto(f"{app_server.origin}/?kiosk=1&lang=en&rotate=overview,referrals&every=10")
    expect(page).to_have_url(re.compile(r"/referrals\?.*kiosk=1"), timeout=wait_ms(2))
    assert "lang=en" in page.url
    assert "rotate=overview%2Creferrals" in page.url
    pager = page.locator(".kiosk-pager")
    for shown in ("Part 1 / 3", "Part 2 / 3", "Part 3 / 3"):
        expect(pager).to_have_text(shown, timeout=wait_ms(1.5))
        assert page.evaluate("() => document.scrollingElement.scrollHeight <= innerHeight"), shown
    expect(page).to_have_url(re.compile(r"/\?.*kiosk=1"), timeout=wait_ms(2))


def _connected(page) -> None:
    expect(page.locator("[data-testid='stApp'][data-test-connection-state='CONNECTED']")).to_be_attached(
        timeout=wait_ms(1.5))
    expect(page.locator("div[class*='st-key-tile-']")).to_have_count(10, timeout=wait_ms(1.5))


def test_watchdog_reloads_a_wall_that_lost_its_connection(new_page, app_server):
    page = new_page(1920, 1080)
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
    with page.expect_event("load", timeout=wait_ms(2)):
        pass  # the watchdog reloads after 10 s of disconnection (the health check answers)
    cut["on"] = False
    page.reload()  # Streamlit's own back-off may be mid-wait; a reload reconnects at once
    _connected(page)


def test_wall_reloads_itself_at_the_daily_time(new_page, app_server):
    page = new_page(1920, 1080)
    page.goto(f"{app_server.origin}/?kiosk=1&rotate=overview")
    _connected(page)
    soon = page.evaluate("() => new Date(Date.now() + 8000).toTimeString().slice(0, 8)")
    page.goto(f"{app_server.origin}/?kiosk=1&rotate=overview&reload={soon}")
    _connected(page)
    with page.expect_event("load", timeout=wait_ms(1.5)):
        pass
    _connected(page)
