"""Meeting mode in Chromium, as a new user would go through it: from the menu to the published month,
full screen, slide by slide with the buttons and the arrow keys, the live draft labelled apart, and
the month exported.

The store is the tiny county (tests/fixtures/tiny.py) with October 2026 published. The "must not
happen": any request to a host other than the app's own.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from lib.scoring import snapshot
from lib.store import db
from tests.browser.conftest import wait_for_app_run
from tests.conftest import make_store
from tests.fixtures import tiny

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's server reads the tiny county with October published (overrides the registry-only store)."""
    with make_store("sqlite", tmp_path_factory.mktemp("meeting"), fill=tiny.build) as url:
        with db.engine(url).begin() as conn:
            snapshot.publish(conn, tiny.OCT, by="运营发展中心", now=dt.datetime(2026, 11, 20, 9))
        db.engine(url).dispose()
        yield url


def _slide(page: Page, title: str) -> None:
    wait_for_app_run(page)
    expect(page.locator(".st-key-meeting-slide h2")).to_have_text(title)


def test_meeting_stepped_through_from_the_menu(open_app: Callable[[str], Page], outside_requests: list[str]) -> None:
    page = open_app("/")
    page.get_by_test_id("stTopNavSection").filter(has_text="每月考核").click()
    page.get_by_test_id("stTopNavDropdownLink").filter(has_text="月度考核会议").click()
    _slide(page, "小旗2026年10月成员单位考核")  # the latest published month, unasked
    expect(page.get_by_text("已发布第1版 · 2026年11月20日 09:00 · 运营发展中心")).to_be_visible()
    expect(page.locator(".st-key-meeting-slide li").first).to_contain_text("共5家成员单位参加考核")

    page.get_by_role("button", name="全屏放映").click()
    wait_for_app_run(page)
    expect(page.get_by_test_id("stHeader")).to_be_hidden()  # no menu, no app bar: the slide alone
    slides = [("下一页", "旗级医院排名 · 2026年10月"), ("ArrowRight", "卫生院排名 · 2026年10月"),
              ("PageDown", "村卫生室排名 · 2026年10月")]  # PageDown: what a presentation clicker sends
    for step, title in slides:
        if step in ("ArrowRight", "PageDown"):
            page.keyboard.press(step)
        else:
            page.get_by_role("button", name=step).click()
        _slide(page, title)
        expect(page.locator(".st-key-meeting-slide [data-testid='stTable']")).to_be_visible()
    expect(page.get_by_role("button", name="下一页")).to_be_disabled()  # the last slide
    expect(page.locator(".st-key-meeting-slide td").filter(has_text="一号卫生室")).to_be_visible()
    font = page.locator(".st-key-meeting-slide td").first.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert font >= 20  # large type, readable from the back of the room
    page.keyboard.press("ArrowLeft")
    _slide(page, "卫生院排名 · 2026年10月")
    page.keyboard.press("PageUp")
    _slide(page, "旗级医院排名 · 2026年10月")
    page.keyboard.press("ArrowRight")
    _slide(page, "卫生院排名 · 2026年10月")

    page.get_by_role("radio", name="实时草稿").click()  # the live draft, never mistaken for the published one
    wait_for_app_run(page)
    expect(page.get_by_text("草稿 · 未发布 · 仅供参考")).to_be_visible()
    _slide(page, "卫生院排名 · 2026年10月")

    with page.expect_download() as download:
        page.get_by_role("button", name="导出Excel").click()
    assert download.value.suggested_filename == "小旗2026年10月成员单位考核（草稿）.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    assert book.sheetnames == ["说明", "旗级医院", "卫生院", "村卫生室", "指标明细"]
    page.get_by_role("radio", name="已发布版本").click()
    expect(page.get_by_text("草稿 · 未发布 · 仅供参考")).to_have_count(0)  # the rerun has landed
    wait_for_app_run(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="导出打印版报告").click()
    assert download.value.suggested_filename == "小旗2026年10月成员单位考核（第1版）.html"
    assert "小旗2026年10月成员单位月度考核" in download.value.path().read_text(encoding="utf-8")

    expect(page.get_by_test_id("stException")).to_have_count(0)
    assert outside_requests == []


def test_clicking_a_row_explains_the_unit(open_app: Callable[[str], Page], outside_requests: list[str]) -> None:
    page = open_app("/rankings?period=2026-10")
    grid = page.locator(".st-key-league-thc [data-testid='stDataFrameResizable']")
    expect(grid).to_be_visible()
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    row = 35  # the grid's header and row height
    page.mouse.click(box["x"] + 15, box["y"] + row + row // 2)  # the first row's selection box
    wait_for_app_run(page)
    expect(page).to_have_url(re.compile(r"unit=T1"))  # the link now opens the explanation
    expect(page.get_by_role("heading", name="一号卫生院：得分说明")).to_be_visible()
    expect(page.locator(".st-key-explain-waterfall [data-testid='stVegaLiteChart']")).to_be_visible()
    expect(page.get_by_test_id("stException")).to_have_count(0)
    page.keyboard.press("Escape")  # closing the explanation takes the unit out of the link
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page).not_to_have_url(re.compile(r"unit=T1"))
    assert outside_requests == []
