"""The map and referral pages in Chromium: drawn with no request beyond the app's own host, and a click
on a facility dot opens its profile.

The store is the tiny county (tests/fixtures/tiny.py) instead of the bare reference registry, so
October 2026 has facilities with volumes, referral arcs and an out-of-county destination to draw.
The "must not happen": any request to another host (a basemap style, tiles, fonts).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from lib import i18n
from lib.maps import scene
from lib.store import counties, db
from tests.browser.conftest import wait_for_app_run, wait_ms
from tests.conftest import make_store, wait_until
from tests.fixtures import tiny
from ui import maps, mapview
from ui.frame import Frame

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's server reads the tiny county (overrides tests/browser/conftest.py's registry-only store)."""
    with make_store("sqlite", tmp_path_factory.mktemp("tiny"), fill=tiny.build) as url:
        yield url


def _pixels(canvas: Locator) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(canvas.screenshot())).convert("RGB"), dtype=int)


def _drawn(canvas: Locator, colour: list[int] | None = None) -> np.ndarray:
    """The canvas once deck.gl has drawn on it: many pixels differ from its corner (the empty background),
    and, if given, some pixels carry ``colour`` (an arc's). WebGL pixels cannot be read from the page,
    so this polls screenshots; it returns the last one after 1.5 base timeouts, for the caller to judge."""
    shot: list[np.ndarray] = []

    def drawn() -> bool:
        shot[:] = [_pixels(canvas)]
        px = shot[0]
        busy = (np.abs(px - px[0, 0]).sum(axis=2) > 30).mean()
        return busy > 0.05 and (colour is None or (np.abs(px - np.array(colour)).sum(axis=2) < 40).sum() > 20)

    wait_until(drawn, wait_ms(1.5) / 1000, every=0.25)
    return shot[0]


def _canvas(page: Page) -> Locator:
    canvas = page.locator("[data-testid='stDeckGlJsonChart'] canvas").first
    expect(canvas).to_be_visible()
    return canvas


def test_both_pages_draw_without_leaving_the_host(open_app: Callable[[str], Page], outside_requests: list[str]) -> None:
    page = open_app("/map?period=2026-10")
    px = _drawn(_canvas(page), maps.STATUS_RGB[None])
    assert (np.abs(px - px[0, 0]).sum(axis=2) > 30).mean() > 0.05, "the map canvas stayed blank"
    assert px.reshape(-1, 3).std(axis=0).sum() > 20
    page = open_app("/referrals?period=2026-10")
    px = _drawn(_canvas(page), maps.DIRECTION_RGB["out"])
    near_out = (np.abs(px - np.array(maps.DIRECTION_RGB["out"])).sum(axis=2) < 40).sum()
    assert near_out > 20, "no out-of-county arc was drawn"
    assert (np.abs(px - px[0, 0]).sum(axis=2) > 30).mean() > 0.05
    expect(page.locator("[data-testid='stException']")).to_have_count(0)
    assert outside_requests == []


def _pixel_of(canvas: Locator, lon: float, lat: float, view: object) -> tuple[float, float]:
    """Where deck.gl draws (lon, lat): Web Mercator around the view's centre at the canvas's centre."""
    box = canvas.bounding_box()
    assert box is not None
    scale = 512 * 2 ** view.zoom  # type: ignore[attr-defined]

    def merc(y: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(y) / 2))

    x = box["x"] + box["width"] / 2 + (lon - view.longitude) / 360 * scale  # type: ignore[attr-defined]
    y = box["y"] + box["height"] / 2 - (merc(lat) - merc(view.latitude)) / (2 * math.pi) * scale  # type: ignore[attr-defined]
    return x, y


def test_clicking_a_facility_opens_its_profile(open_app: Callable[[str], Page], reference_store: str,
                                                outside_requests: list[str]) -> None:
    with db.engine(reference_store).connect() as conn:
        points, shapes = scene.facility_points(conn, counties.resolve(conn)), scene.shapes(conn, counties.resolve(conn))
    top = points.iloc[-1]  # drawn last, so nothing covers the centre of its dot
    page = open_app("/map?period=2026-10&lang=en")
    canvas = _canvas(page)
    _drawn(canvas)
    x, y = _pixel_of(canvas, top.longitude, top.latitude, mapview.view(Frame("en", kiosk=False), shapes))
    page.mouse.move(x, y)
    tooltip = page.locator(".deck-tooltip")
    expect(tooltip).to_contain_text(top.name_en)
    expect(tooltip).to_contain_text(top.tier_en)
    page.mouse.click(x, y)
    expect(page).to_have_url(re.compile(f"[?&]facility={top.code}(&|$)"))
    wait_for_app_run(page)
    profile = page.locator(".st-key-facility-profile")
    expect(profile.get_by_role("heading", level=3)).to_have_text(top.name_en)
    expect(profile).to_contain_text(i18n.t("map.profile.referrals", "en", period="2026-10"))
    assert outside_requests == []
