"""The operations pages on a wall (#13 item 8): every section of each fits 1920×1080 and the first fits
3840×2160, with no scrollbar, no error element and no request to another host; and the insurance and
public-health pages on a desk in English. Screenshots go to test-artefacts/screens/.

A wall shows a long page one section at a time ("本页 2 / 4"); ``?section=N`` starts it at part N, so the
test opens each part directly instead of waiting for the wall's timer. The month shown is the last
complete one, so every chart has its data.
"""

import pytest
from playwright.sync_api import Page, expect

from lib import clock
from lib.kpi.period import add_months, first_of_month
from tests.browser.conftest import SCREENS, charts_drawn_js, serve, wait_for_app_run, wait_ms
from tests.conftest import make_demo_store

pytestmark = pytest.mark.browser
PAGES = ("sinking", "capacity", "plan", "insurance", "public_health")
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"
_SIZES_JS = """() => {
    const main = document.querySelector('[data-testid=stMain]');
    const doc = document.scrollingElement;
    return [doc.scrollWidth - doc.clientWidth, doc.scrollHeight - doc.clientHeight,
            main.scrollWidth - main.clientWidth, main.scrollHeight - main.clientHeight];
}"""


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    """A small demo store whose last month is this month."""
    with make_demo_store(tmp_path_factory.mktemp("ops-walls")) as url, \
            serve(url, tmp_path_factory.mktemp("server")) as server:
        yield server


def _outside(page: Page, port: int) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if f":{port}" not in r.url and not r.url.startswith("data:")
            else None)
    return seen


def _show(page: Page, origin: str, name: str, width: int, height: int, section: int) -> None:
    last_month = f"{add_months(first_of_month(clock.today()), -1):%Y-%m}"
    page.goto(f"{origin}/{name}?kiosk=1&rotate={name}&every=3600&screen={width}x{height}&period={last_month}"
              f"&section={section}")
    wait_for_app_run(page)


def _fits(page: Page, what: str) -> None:
    """Laid out (no skeleton, every chart drawn, fonts in), then no overflow either way and no error."""
    expect(page.locator("[data-testid='stSkeleton']")).to_have_count(0)
    page.wait_for_function(charts_drawn_js(some=False), timeout=wait_ms())
    page.evaluate("() => document.fonts.ready.then(() => true)")
    overflow = page.evaluate(_SIZES_JS)
    assert all(x <= 0 for x in overflow), f"{what} scrolls: {overflow}"
    assert page.locator(ERRORS).count() == 0, what


def _pager(page: Page) -> tuple[int, int]:
    """(section shown, sections) from the wall's marker; (1, 1) for a page that fits on one screen."""
    pager = page.locator(".kiosk-pager b")
    if pager.count() == 0:
        return 1, 1
    text = page.locator(".kiosk-pager").inner_text()
    return int(pager.inner_text()), int(text.split("/")[-1])


@pytest.mark.parametrize("name", PAGES)
def test_every_section_fits_a_1080_wall(new_page, app_server, name):
    page = new_page(1920, 1080)
    outside = _outside(page, app_server.port)
    SCREENS.mkdir(parents=True, exist_ok=True)
    _show(page, app_server.origin, name, 1920, 1080, 1)
    _, count = _pager(page)
    for section in range(1, count + 1):
        if section > 1:
            _show(page, app_server.origin, name, 1920, 1080, section)
        assert _pager(page) == (section, count)
        _fits(page, f"{name} section {section} of {count}")
        page.screenshot(path=SCREENS / f"{name}-wall-1920x1080-{section}-zh.png")
    assert outside == []


@pytest.mark.parametrize("name", PAGES)
def test_first_section_fits_a_2160_wall(new_page, app_server, name):
    page = new_page(3840, 2160)
    outside = _outside(page, app_server.port)
    _show(page, app_server.origin, name, 3840, 2160, 1)
    _fits(page, name)
    page.screenshot(path=SCREENS / f"{name}-wall-3840x2160-1-zh.png")
    assert outside == []


@pytest.mark.parametrize("name", ["insurance", "public_health"])
def test_the_desk_page_draws_in_english(new_page, app_server, name):
    page = new_page(1920, 1080)
    outside = _outside(page, app_server.port)
    page.goto(f"{app_server.origin}/{name}?lang=en")
    page.get_by_role("heading", level=1).first.wait_for(timeout=wait_ms(3))
    wait_for_app_run(page)
    page.wait_for_function(charts_drawn_js(some=False), timeout=wait_ms(3))
    page.screenshot(path=SCREENS / f"{name}-desk-1920x1080-en.png", full_page=True)
    assert page.locator(ERRORS).count() == 0
    assert page.get_by_text("Traceback").count() == 0
    assert outside == []
