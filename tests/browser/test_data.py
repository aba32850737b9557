"""The data page in Chromium, as a township clerk would use it: download a template, send a GBK file with
a typo (refused, every problem listed, nothing written), send it corrected, confirm, and find it in the
audit. The store is the tiny county (tests/fixtures/tiny.py)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from lib import clock
from lib.kpi.period import add_months, first_of_month
from lib.store import db
from tests.browser.conftest import wait_for_app_run
from tests.conftest import make_store
from tests.fixtures import tiny

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def reference_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """This module's server reads (and the clerk writes to) the tiny county."""
    with make_store("sqlite", tmp_path_factory.mktemp("data"), fill=tiny.build) as url:
        yield url


def _send(page: Page, path: Path) -> None:
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    wait_for_app_run(page)


def test_a_clerk_sends_a_report(open_app: Callable[[str], Page], reference_store: str, tmp_path: Path,
                                outside_requests: list[str], console_problems: list[str]) -> None:
    page = open_app("/data")
    page.get_by_role("tab", name="下载模板").click()
    with page.expect_download() as download:
        page.locator(".st-key-template-surveys").get_by_role("button", name="XLSX").click()
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).worksheets[0]
    assert [c.value for c in sheet[1]][:4] == ["单位编码", "单位名称", "月份", "患者满意度"]
    assert sheet["A2"].value == "H"

    page.get_by_role("tab", name="上报月报").click()
    page.get_by_label("报送人").fill("一号卫生院 王会计")
    page.get_by_label("报送人").press("Enter")
    wait_for_app_run(page)
    bad = tmp_path / "满意度.csv"
    bad.write_bytes("单位编码,患者满意度\nT1,八十\nT9,80\n".encode("gbk"))
    _send(page, bad)
    expect(page.get_by_text("文件 满意度.csv 未被接收，发现 2 处问题，数据库未做任何更改：")).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()
    with db.engine(reference_store).connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM ingest_audit")).scalar_one() == 0

    good = tmp_path / "满意度-改.csv"
    good.write_bytes("单位编码,患者满意度\nT1,80\nT2,78\n".encode("gbk"))
    _send(page, good)
    expect(page.get_by_text("满意度-改.csv 校验通过：2 个单位、2 个数值")).to_be_visible()
    page.get_by_role("button", name="确认写入").click()
    wait_for_app_run(page)
    expect(page.get_by_text("满意度-改.csv 已接收")).to_be_visible()
    month = add_months(first_of_month(clock.today()), -1)
    with db.engine(reference_store).connect() as conn:
        written = conn.execute(sa.text("SELECT count(*) FROM monthly_report WHERE month = :m"), {"m": month})
        assert written.scalar_one() == 2
        audit = conn.execute(sa.text("SELECT by, channel, file_name, inserted FROM ingest_audit")).all()
    assert [tuple(a) for a in audit] == [("一号卫生院 王会计", "upload", "满意度-改.csv", 2)]

    page.get_by_role("tab", name="上报记录").click()
    expect(page.get_by_role("tabpanel", name="上报记录").get_by_test_id("stDataFrame")).to_be_visible()
    page.get_by_role("tab", name="数据质量").click()
    expect(page.get_by_text("未报（", exact=False)).to_be_visible()  # the tiny county misses months: named
    assert outside_requests == []
    assert console_problems == []
