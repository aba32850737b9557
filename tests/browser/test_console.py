"""Every page on a store with figures, at a desk and on a wall, with a quiet browser console (issue #14).

tests/browser/test_pages.py opens every page on the reference registry, where most charts have nothing
to draw; here the demo history fills them, so a chart that makes Vega warn ("Infinite extent for field
...", a scale left to find its extent in rows that arrive after the chart is drawn) fails the run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import AppServer, charts_drawn_js, serve, wait_ms
from tests.conftest import make_demo_store
from ui.frame import PAGES

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    """A server on a small demo store whose last month is this month (every tile and chart has figures)."""
    folder = tmp_path_factory.mktemp("demo")
    with make_demo_store(folder) as url, serve(url, folder) as server:
        yield server


def _drawn(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.wait_for_function(charts_drawn_js(some=False), timeout=wait_ms(3))


def test_every_page_at_a_desk_and_on_a_wall(open_app: Callable[[str], Page], console_problems: list[str]) -> None:
    for p in PAGES:
        _drawn(open_app(f"/{p.name}"))
        _drawn(open_app(f"/{p.name}?kiosk=1&rotate={p.name}&every=3600"))
    assert console_problems == []
