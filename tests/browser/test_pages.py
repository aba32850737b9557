"""Every page in a real browser, by URL and through the navigation menu, without leaving the intranet.

The "must not happen" here: a request to any host but the app's own (CDN fonts, telemetry, tiles).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from lib import i18n
from tests.browser.conftest import SCREENS, wait_for_app_run
from ui.frame import DEFAULT_PAGE, FRAME_KEY, PAGES

pytestmark = pytest.mark.browser


def _assert_page(page: Page, name: str, lang: str) -> None:
    expect(page.locator(f".st-key-{FRAME_KEY}")).to_be_visible()
    expect(page.get_by_role("heading", level=1).first).to_have_text(i18n.t(f"page.{name}", lang))
    expect(page.get_by_test_id("stException")).to_have_count(0)


def test_every_page_by_url(open_app: Callable[[str], Page], outside_requests: list[str],
                           console_problems: list[str]) -> None:
    """Every page by the name rotate= uses ("/overview" too), and the default page at the root, with a
    quiet console (no warning, error or uncaught exception of the app's)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    for p in PAGES:
        page = open_app(f"/{p.name}")
        _assert_page(page, p.name, "zh")
        page.screenshot(path=SCREENS / f"{p.name}-desk-1600x900-zh.png")
    _assert_page(open_app("/"), DEFAULT_PAGE, "zh")
    assert outside_requests == []
    assert console_problems == []


def test_navigation_menu_in_english(open_app: Callable[[str], Page], outside_requests: list[str]) -> None:
    page = open_app("/?lang=en")
    for p in PAGES:
        page.get_by_test_id("stTopNavSection").filter(has_text=i18n.t(p.section, "en")).click()
        page.get_by_test_id("stTopNavDropdownLink").filter(has_text=i18n.t(f"page.{p.name}", "en")).click()
        wait_for_app_run(page)
        _assert_page(page, p.name, "en")
        expect(page).to_have_url(f"{page.url.split('?')[0]}?lang=en")  # the language survives the switch
    page.get_by_test_id("stButtonGroup").get_by_role("radio", name=i18n.t("lang.zh", "zh")).click()
    _assert_page(page, PAGES[-1].name, "zh")
    assert outside_requests == []
