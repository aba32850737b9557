"""Two app processes against one store serve the same figures (issue #15 item 7): at region scale several
``streamlit run`` processes stand behind a reverse proxy with sticky sessions (README, "Deployment at
region scale"); each keeps its own caches, and all of them read one PostgreSQL store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from lib import i18n
from tests.browser.conftest import serve, wait_for_app_run
from tests.conftest import make_store
from tests.fixtures import tiny

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def one_store() -> Iterator[str]:
    with make_store("postgresql", fill=tiny.build) as url:
        yield url


def tiles(page: Page, origin: str) -> dict[str, str]:
    """The overview's headline tiles for October 2026, label → value, as the browser shows them."""
    page.goto(origin + "/?period=2026-10&lang=en")
    wait_for_app_run(page)
    metrics = page.locator("[data-testid='stMetric']")
    return {metrics.nth(i).get_by_test_id("stMetricLabel").inner_text().strip():
            metrics.nth(i).get_by_test_id("stMetricValue").inner_text().strip() for i in range(metrics.count())}


def test_two_processes_one_store_same_figures(one_store: str, tmp_path: Path,
                                              new_page: Callable[..., Page]) -> None:
    with serve(one_store, tmp_path) as first, serve(one_store, tmp_path) as second:
        assert first.pid != second.pid
        seen = [tiles(new_page(), server.origin) for server in (first, second)]
    assert seen[0] == seen[1]
    assert seen[0][i18n.t("kpi.short.primary_visit_share", "en")] == "63.6%"  # tests/lib/test_kpi.py by hand
