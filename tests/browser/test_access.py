"""Sign-in in Chromium against a real server with COCKPIT_AUTH=on (tiny county): nothing before sign-in;
an area officer's pages, even opened with another area in the URL, name none of its units; the watermark
covers the page without taking clicks; a kiosk token opens its wall without a password."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lib import i18n
from lib.access import accounts, tokens
from lib.access.__main__ import PAGES
from lib.store import db
from tests.browser.conftest import AppServer, serve, wait_for_app_run
from tests.conftest import make_store
from tests.fixtures import tiny

pytestmark = pytest.mark.browser

PASSWORD = "pastures green 42"
NOW = dt.datetime(2026, 11, 5, 9)
URBAN_NAMES = ("旗医院", "一号卫生院", "一号卫生室")
TOKEN: dict[str, str] = {}


def _fill(url: str) -> None:
    tiny.build(url)
    with db.engine(url).begin() as conn:
        accounts.add(conn, "pastor", "area_staff", PASSWORD, area="pastoral", by="setup", now=NOW)
        accounts.add(conn, "t2-staff", "unit_staff", PASSWORD, unit="T2", by="setup", now=NOW)


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tiny county with a pastoral officer and a lobby screen's token."""
    with make_store("sqlite", tmp_path_factory.mktemp("tiny-access"), fill=_fill) as url:
        with db.engine(url).begin() as conn:
            TOKEN["lobby"] = tokens.add(conn, "lobby", "map?period=2026-10", area="pastoral", by="setup", now=NOW,
                                        pages=PAGES)
        yield url


@pytest.fixture(scope="module")
def app_server(reference_store: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    with serve(reference_store, Path(tmp_path_factory.mktemp("server")), env={"COCKPIT_AUTH": "on"}) as server:
        yield server


def _sign_in(page: Page, origin: str, path: str, user: str = "pastor") -> Page:
    page.goto(origin + path)
    wait_for_app_run(page)
    page.get_by_label(i18n.t("access.signin.name", "zh")).fill(user)
    page.get_by_label(i18n.t("access.signin.password", "zh")).fill(PASSWORD)
    page.get_by_role("button", name=i18n.t("access.signin.go", "zh")).click()
    wait_for_app_run(page)
    return page


def test_nothing_before_sign_in(page: Page, app_server: AppServer) -> None:
    page.goto(app_server.origin + "/map?period=2026-10")
    wait_for_app_run(page)
    expect(page.get_by_role("heading", level=1).first).to_have_text(i18n.t("access.signin.title", "zh"))
    expect(page.get_by_test_id("stDeckGlJsonChart")).to_have_count(0)
    assert [n for n in URBAN_NAMES if n in page.content()] == []


@pytest.mark.parametrize("path", ["/map?period=2026-10", "/map?period=2026-10&area=urban&facility=H",
                                  "/rankings?period=2026-10&unit=H", "/?period=2026-10&community=c1",
                                  "/data?period=2026-10", "/public_health?period=2026-10&area=urban"])
def test_an_area_officer_sees_no_other_areas_unit(page: Page, app_server: AppServer, path: str) -> None:
    _sign_in(page, app_server.origin, path)
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("heading", level=1).first).not_to_have_text(i18n.t("access.signin.title", "zh"))
    assert [n for n in URBAN_NAMES if n in page.content()] == []
    mark = page.locator(".cockpit-watermark")
    expect(mark).to_have_count(1)
    assert mark.evaluate("e => getComputedStyle(e).pointerEvents") == "none"
    assert mark.evaluate("e => getComputedStyle(e).position") == "fixed"


@pytest.mark.parametrize("path", ["/map?period=2026-10&facility=V2", "/rankings?period=2026-10&unit=V2",
                                  "/sinking?period=2026-10"])
def test_a_unit_officer_sees_no_other_unit(page: Page, app_server: AppServer, path: str) -> None:
    _sign_in(page, app_server.origin, path, "t2-staff")
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_role("heading", level=1).first).not_to_have_text(i18n.t("access.signin.title", "zh"))
    assert [n for n in (*URBAN_NAMES, "二号卫生室") if n in page.content()] == []


def test_tables_offer_no_csv_download_without_the_watermark(page: Page, app_server: AppServer) -> None:
    _sign_in(page, app_server.origin, "/map?period=2026-10")
    table = page.get_by_test_id("stDataFrame").first
    table.hover()
    expect(page.get_by_test_id("stElementToolbarButton").first).to_be_visible()
    download = page.locator('button[aria-label^="Download as CSV"]')
    expect(download).not_to_have_count(0)
    expect(download.first).to_be_hidden()


def test_the_sign_out_button_ends_the_session(page: Page, app_server: AppServer) -> None:
    _sign_in(page, app_server.origin, "/?period=2026-10")
    page.get_by_role("button", name=i18n.t("access.signout", "zh")).click()
    wait_for_app_run(page)
    expect(page.get_by_role("heading", level=1).first).to_have_text(i18n.t("access.signin.title", "zh"))


def test_a_kiosk_token_opens_its_wall_without_a_password(page: Page, app_server: AppServer) -> None:
    page.goto(f"{app_server.origin}/map?kiosk=1&token={TOKEN['lobby']}&every=3600")
    wait_for_app_run(page)
    expect(page.get_by_test_id("stDeckGlJsonChart")).to_have_count(1)
    expect(page.get_by_label(i18n.t("access.signin.password", "zh"))).to_have_count(0)
    assert [n for n in URBAN_NAMES if n in page.content()] == []
    page.goto(f"{app_server.origin}/map?kiosk=1&token=not-{TOKEN['lobby']}")
    wait_for_app_run(page)
    expect(page.get_by_text(i18n.t("access.kiosk.refused", "zh"))).to_be_visible()
