"""The insurance fund and public-health pages on walls in Chromium (issue #13 item 8): every section at
1920×1080 and 3840×2160 with no scrollbar, no error element and no outside request, and each page on a
desk at 1920×1080; screenshots under test-artefacts/screens/.

The wall's one timer moves to the next section after ``every`` seconds (at least 10), so each size
watches its page go round once.
"""

import pytest
from playwright.sync_api import Page, expect

from lib import clock
from lib.kpi.period import add_months, first_of_month
from tests.browser.conftest import SCREENS, charts_drawn_js, serve, wait_for_app_run, wait_ms
from tests.conftest import make_demo_store

pytestmark = pytest.mark.browser

SECTIONS = 3  # both pages: ui.insurance.draw and ui.public_health.draw
ERRORS = "[data-testid='stException'], [data-testid='stAlertContentError']"


@pytest.fixture(scope="module")
def app_server(tmp_path_factory):
    """A small demo store whose last month is this month, with the fund, screening and elderly-care data."""
    with make_demo_store(tmp_path_factory.mktemp("walls")) as url, \
            serve(url, tmp_path_factory.mktemp("server")) as server:
        yield server


def _outside(page: Page, port: int) -> list[str]:
    seen: list[str] = []
    page.on("request", lambda r: seen.append(r.url) if f":{port}" not in r.url and not r.url.startswith("data:")
            else None)
    return seen


def _fits(page: Page, where: str) -> None:
    sizes = page.evaluate("""() => {
        const main = document.querySelector('[data-testid=stMain]');
        const doc = document.scrollingElement;
        return {doc: [doc.scrollWidth, doc.clientWidth, doc.scrollHeight, doc.clientHeight],
                main: [main.scrollWidth, main.clientWidth, main.scrollHeight, main.clientHeight]};
    }""")
    for name, (sw, cw, sh, ch) in sizes.items():
        assert sw <= cw, f"{name} scrolls sideways at {where}: {sizes}"
        assert sh <= ch, f"{name} scrolls down at {where}: {sizes}"


@pytest.mark.parametrize("name", ["insurance", "public_health"])
@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
def test_every_section_fits_the_wall(new_page, app_server, name, width, height):
    page = new_page(width, height)
    outside = _outside(page, app_server.port)
    last_month = f"{add_months(first_of_month(clock.today()), -1):%Y-%m}"  # complete: every chart has data
    page.goto(f"{app_server.origin}/{name}?kiosk=1&rotate={name}&every=10&screen={width}x{height}&period={last_month}")
    for section in range(1, SECTIONS + 1):
        # One marker showing this section (a rerun may briefly hold the old marker beside the new).
        page.wait_for_function(f"""() => {{ const b = [...document.querySelectorAll('.kiosk-pager b')];
            return b.length === 1 && b[0].textContent === '{section}'; }}""", timeout=wait_ms(2))
        expect(page.locator("[data-testid='stSkeleton']")).to_have_count(0)
        page.wait_for_function(charts_drawn_js(some=True), timeout=wait_ms())
        page.evaluate("() => document.fonts.ready.then(() => true)")
        SCREENS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENS / f"{name}-wall-{width}x{height}-part{section}-zh.png")
        where = f"{name} part {section} at {width}×{height}"
        _fits(page, where)
        assert page.locator(ERRORS).count() == 0, where
    assert outside == []


@pytest.mark.parametrize("name", ["insurance", "public_health"])
def test_the_desk_page_draws_in_english(new_page, app_server, name):
    page = new_page(1920, 1080)
    outside = _outside(page, app_server.port)
    page.goto(f"{app_server.origin}/{name}?lang=en")
    page.get_by_role("heading", level=1).first.wait_for(timeout=wait_ms(3))
    wait_for_app_run(page)
    page.wait_for_function(charts_drawn_js(some=False), timeout=wait_ms(3))
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENS / f"{name}-desk-1920x1080-en.png", full_page=True)
    assert page.locator(ERRORS).count() == 0
    assert page.get_by_text("Traceback").count() == 0
    assert outside == []
