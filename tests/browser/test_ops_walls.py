"""The sinking, capacity and plan pages on a wall (#13 item 8): every section of each fits 1920×1080 and
the first fits 3840×2160, with no scrollbar, no error element and no request to another host.

A wall shows a long page one section at a time ("本页 2 / 4"), moving on every ``every`` seconds (10 at
least, lib.kiosk.LIMITS): the test waits for each marker in turn and measures the page it shows.
"""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import SCREENS, charts_drawn_js, serve, wait_ms
from tests.conftest import make_demo_store

pytestmark = pytest.mark.browser
PAGES = ("sinking", "capacity", "plan")
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


def _open(new_page, app_server, name: str, width: int, height: int) -> tuple[Page, list[str]]:
    page = new_page(width, height)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if f":{app_server.port}" not in r.url
            and not r.url.startswith("data:") else None)
    page.goto(f"{app_server.origin}/{name}?kiosk=1&rotate={name}&every=10")
    expect(page).to_have_url(re.compile(f"screen={width}x{height}"), timeout=wait_ms(1.5))
    return page, outside


def _fits(page: Page, what: str) -> None:
    """Laid out (no skeleton, every chart drawn, fonts in), then no overflow either way and no error."""
    expect(page.locator("[data-testid='stSkeleton']")).to_have_count(0)
    page.wait_for_function(charts_drawn_js(some=False), timeout=wait_ms())
    page.evaluate("() => document.fonts.ready.then(() => true)")
    overflow = page.evaluate(_SIZES_JS)
    assert all(x <= 0 for x in overflow), f"{what} scrolls: {overflow}"
    assert page.locator("[data-testid='stException'], [data-testid='stAlertContentError']").count() == 0, what


@pytest.mark.parametrize("name", PAGES)
def test_every_section_fits_a_1080_wall(new_page, app_server, name):
    page, outside = _open(new_page, app_server, name, 1920, 1080)
    pager = page.locator(".kiosk-pager")
    expect(pager).to_contain_text("1 /", timeout=wait_ms(2))
    count = int(pager.inner_text().split("/")[-1])
    SCREENS.mkdir(parents=True, exist_ok=True)
    for shown in range(1, count + 1):
        expect(pager).to_contain_text(f"{shown} / {count}", timeout=wait_ms(2))
        _fits(page, f"{name} section {shown} of {count}")
        page.screenshot(path=SCREENS / f"{name}-wall-1920x1080-{shown}-zh.png")
    assert outside == []


@pytest.mark.parametrize("name", PAGES)
def test_first_section_fits_a_2160_wall(new_page, app_server, name):
    page, outside = _open(new_page, app_server, name, 3840, 2160)
    expect(page.locator(".kiosk-pager")).to_contain_text("1 /", timeout=wait_ms(2))
    _fits(page, name)
    page.screenshot(path=SCREENS / f"{name}-wall-3840x2160-1-zh.png")
    assert outside == []
