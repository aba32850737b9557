"""The month as files: the workbook opens with openpyxl and holds the screen's tables; the report prints in Chinese."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from html.parser import HTMLParser

import openpyxl
import pytest

from lib.scoring import exports, score, snapshot, tables
from lib.store import db
from tests.conftest import BACKENDS, make_store
from tests.fixtures import tiny

NOW = dt.datetime(2026, 11, 20, 9)


@pytest.fixture(scope="module", params=BACKENDS)
def published(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[score.Scores]:
    """The tiny county's October, published, on each backend: built once per module (the tests only read it)."""
    with make_store(request.param, tmp_path_factory.mktemp("exports"), fill=tiny.build) as url:
        with db.engine(url).begin() as conn:
            snapshot.publish(conn, tiny.OCT, by="运营发展中心", now=NOW)
        with db.engine(url).connect() as conn:
            scores = snapshot.load(conn, tiny.OCT)
        yield scores


def test_workbook_has_a_sheet_per_peer_group_and_the_detail(published):
    book = openpyxl.load_workbook(io.BytesIO(exports.excel(published, "zh")))
    assert book.sheetnames == ["说明", "旗级医院", "卫生院", "村卫生室", "指标明细"]
    about = [tuple(r) for r in book["说明"].iter_rows(values_only=True)]
    assert about[1][0] == "小旗2026年10月成员单位月度考核"
    assert "已发布第1版" in dict(about[2:])["版本"]
    for group, sheet in zip(published.groups, book.sheetnames[1:4], strict=True):
        rows = list(book[sheet].iter_rows(values_only=True))
        league = tables.league(published, group, "zh")
        assert [r[tables.LEAGUE_COLUMNS.index("code")] for r in rows[1:]] == league["code"].tolist()
        assert [r[tables.LEAGUE_COLUMNS.index("total")] for r in rows[1:]] == \
            pytest.approx(league["total"].tolist(), nan_ok=True)
    detail = list(book["指标明细"].iter_rows(values_only=True))
    assert len(detail) - 1 == len(published.items)
    points = detail[0].index("得分")
    assert sum(r[points] or 0 for r in detail[1:]) == pytest.approx(published.units["total"].sum(), abs=0.05)


def test_english_workbook(published):
    book = openpyxl.load_workbook(io.BytesIO(exports.excel(published, "en")))
    assert book.sheetnames == ["About", "County hospitals", "Township health centres", "Village clinics", "Detail"]
    assert next(book["Village clinics"].iter_rows(values_only=True))[:5] == \
        ("Rank", "95% interval", "Move", "Unit", "Total")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def test_printable_report_in_chinese_with_no_outside_resource(published):
    page = exports.report_html(published)
    parser = _Text()
    parser.feed(page)
    text = "".join(parser.parts)
    assert "<html lang=\"zh-CN\">" in page
    assert "小旗2026年10月成员单位月度考核" in text
    assert "已发布第1版" in text
    assert "运营发展中心" in text
    for heading in ("旗级医院", "卫生院", "村卫生室", "指标明细"):
        assert heading in text
    assert "@page" in page
    assert "break-before: page" in page
    assert "http" not in page  # prints offline: no font, script or stylesheet from elsewhere
    assert {"script", "link", "img"}.isdisjoint(parser.tags)


def test_file_names_follow_the_language_and_version(published):
    assert exports.file_name(published, "xlsx", "zh") == "小旗2026年10月成员单位考核（第1版）.xlsx"
    assert exports.file_name(published, "html", "en") == "Tiny Banner member-unit assessment Oct 2026 (v1).html"
    draft = score.Scores(**{**published.__dict__, "published": None})
    assert exports.file_name(draft, "xlsx", "zh") == "小旗2026年10月成员单位考核（草稿）.xlsx"
