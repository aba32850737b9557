"""A deep link is the very first request a freshly started server sees (a kiosk reconnecting to /map).

With a ``pages/`` folder beside app.py, Streamlit runs such a first request through its legacy v1
wrapper, which executes pages/map.py without app.py (see ui/frame.py). Each case here therefore gets
its own server, and nothing else may talk to that server first: add no other tests to this module.
The "must not happen": Streamlit's auto-generated sidebar page list. These servers turn it back on
(.streamlit/config.toml hides it as a second line of defence), so the frame alone has to prevent it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from lib import i18n
from tests.browser.conftest import AppServer, serve, wait_for_app_run
from ui.frame import FRAME_KEY

pytestmark = pytest.mark.browser


@pytest.fixture
def cold_server(reference_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """A server that has not served a single page yet."""
    with serve(reference_store, tmp_path_factory.mktemp("cold"), "--client.showSidebarNavigation=true") as server:
        yield server


@pytest.mark.parametrize(
    ("query", "lang", "kiosk"),
    [("", "zh", False), ("?kiosk=1&lang=en", "en", True)],
    ids=["plain", "kiosk-en"],
)
def test_first_request_to_map_goes_through_the_frame(
    cold_server: AppServer, page: Page, query: str, lang: str, kiosk: bool
) -> None:
    page.goto(f"{cold_server.origin}/map{query}")
    wait_for_app_run(page)
    expect(page.locator(f".st-key-{FRAME_KEY}")).to_be_visible()  # app.py's frame ran
    expect(page.get_by_role("heading", level=1)).to_have_text(i18n.t("page.map", lang))
    expect(page).to_have_title(f"{i18n.t('page.map', lang)} · {i18n.t('app.short', lang)}")
    # Same page, same parameters (a wall adds its shape, ?screen=WxH, once it has run).
    expect(page).to_have_url(re.compile(re.escape(f"{cold_server.origin}/map{query}") + r"(&screen=\d+x\d+)?$"))
    expect(page.get_by_test_id("stTopNav")).to_have_count(0 if kiosk else 1)
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0)
