"""The rankings and meeting pages on the tiny county (AppTest): what the screen shows is what the files hold.

October 2026 of tests/fixtures/tiny.py under the default weights. The page computes its draft with
today's clock; the test's own draft (lib.scoring) reads the same store a moment later, so both hold
the same numbers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.proto.Block_pb2 import Block as BlockProto
from streamlit.testing.v1 import AppTest

from lib import i18n
from lib.scoring import exports, score, snapshot, tables, weights
from lib.store import db
from lib.store.models import Facility, MonthlyReport
from tests.conftest import make_store
from tests.fixtures import tiny
from ui import kiosk, meeting, rankings

MONTH = "2026-10"


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The tiny county, built once for the tests that only read it (nothing published)."""
    with make_store("sqlite", tmp_path_factory.mktemp("rankings"), fill=tiny.build) as url:
        yield url


@pytest.fixture
def store(tmp_path: Path) -> Iterator[str]:
    """The tiny county in a store of the test's own, for the tests that publish or add reports."""
    with make_store("sqlite", tmp_path, fill=tiny.build) as url:
        yield url


def late_report(url: str) -> None:
    """V1's patient survey for October, arriving after the deadline: 95 points of satisfaction to score."""
    with db.engine(url).begin() as conn:
        v1 = conn.execute(sa.select(Facility.id).where(Facility.code == "V1")).scalar_one()
        conn.execute(sa.insert(MonthlyReport).values(facility_id=v1, month=tiny.OCT, metric="satisfaction_patient",
                                                     value=95, received_at=dt.datetime(2026, 11, 21, 9)))


def _draft(url: str) -> score.Scores:
    with db.engine(url).connect() as conn:
        return score.draft(conn, tiny.OCT)


def _leagues(at: AppTest) -> list[pd.DataFrame]:
    """The league tables (selectable, so keyed "league-<group>"), in page order."""
    return [df.value for df in at.dataframe if "-league-" in df.proto.id]


def test_league_tables_match_the_excel_export(shared, open_page):
    at = open_page(shared, "rankings", period=MONTH)
    assert [s.value for s in at.subheader][:3] == ["旗级医院", "卫生院", "村卫生室"]
    shown = _leagues(at)
    assert len(shown) == 3
    workbook = openpyxl.load_workbook(io.BytesIO(exports.excel(_draft(shared), "zh")))
    assert workbook.sheetnames == ["说明", "旗级医院", "卫生院", "村卫生室", "指标明细"]
    for frame, sheet in zip(shown, ["旗级医院", "卫生院", "村卫生室"], strict=True):
        rows = list(workbook[sheet].iter_rows(values_only=True))
        headers = tables.headers("zh")
        assert list(rows[0]) == [headers[c] for c in tables.LEAGUE_COLUMNS]
        screen = frame[list(tables.LEAGUE_COLUMNS)].astype(object).where(frame.notna(), None)
        # A spreadsheet keeps no empty strings: an empty cell reads back as None.
        assert [[None if v == "" else v for v in r] for r in screen.itertuples(index=False)] == \
            [list(r) for r in rows[1:]], sheet


def test_ordering_is_stable_across_refreshes(shared, open_page):
    at = open_page(shared, "rankings", period=MONTH)
    first = [f["code"].tolist() for f in _leagues(at)]
    at.run()
    assert [f["code"].tolist() for f in _leagues(at)] == first
    draft = _draft(shared)
    assert first == [tables.league(draft, g, "zh")["code"].tolist() for g in draft.groups]  # rank, then code


def test_a_unit_is_explained_with_its_indicators_and_waterfall(shared, open_page):
    at = open_page(shared, "rankings", period=MONTH, unit="T1")
    assert _dialogs(at) == ["一号卫生院：得分说明"]  # over the page, where the row was clicked
    detail = next(df.value for df in at.dataframe if "dimension" in df.value.columns)
    expected = tables.detail(_draft(shared), "zh", code="T1")
    assert detail["indicator"].tolist() == expected["indicator"].tolist()
    assert detail["points"].tolist() == pytest.approx(expected["points"].tolist(), nan_ok=True)
    assert {"value", "target", "rule", "weight", "effective_weight", "previous_value", "delta", "state"} <= \
        set(detail.columns)
    assert [e for e in at.main if getattr(e, "type", None) == "vega_lite_chart"]  # the waterfall


def _dialogs(at: AppTest) -> list[str]:
    """Titles of the open dialogs."""
    found = []

    def walk(node: object) -> None:
        proto = getattr(node, "proto", None)  # the tree's root has none; some blocks hold an element's
        if isinstance(proto, BlockProto) and proto.WhichOneof("type") == "dialog":
            found.append(proto.dialog.title)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def test_rank_intervals_funnel_and_rules_are_shown(store, open_page):
    with db.engine(store).begin() as conn:  # lenient rules, so the tiny county's units are ranked
        weights.store(conn, dataclasses.replace(weights.read_file(), min_coverage=0.1, min_dimensions=1), by="test")
    at = open_page(store, "rankings", period=MONTH)
    draft = _draft(store)
    assert draft.units["rank"].notna().sum() >= 3
    for frame, group in zip(_leagues(at), draft.groups, strict=True):
        assert frame["interval"].tolist() == tables.league(draft, group, "zh")["interval"].tolist()
        pairs = zip(frame["rank"], frame["interval"], strict=True)
        assert all(i == "" if pd.isna(r) else re.fullmatch(r"\d+–\d+", i) for r, i in pairs)
    groups = [g for g in draft.groups if tables.funnel_indicators(draft, g)]
    assert at.selectbox(key="rankings-funnel-group").options == [i18n.t(f"peer.{g}", "zh") for g in groups]
    codes = tables.funnel_indicators(draft, groups[0])
    assert len(at.selectbox(key="rankings-funnel-indicator").options) == len(codes) > 0
    assert [e for e in at.main if getattr(e, "type", None) == "vega_lite_chart"]  # the funnel (no unit opened)
    assert i18n.t("rankings.rules.text", "zh") in [m.value for m in at.markdown]
    at.selectbox(key="rankings-funnel-group").set_value(groups[-1]).run()
    assert not at.exception


def test_published_version_first_and_the_draft_labelled_apart(store, open_page):
    with db.engine(store).begin() as conn:
        snapshot.publish(conn, tiny.OCT, by="运营发展中心")
    at = open_page(store, "rankings", period=MONTH)
    assert any("已发布第1版" in s.value for s in at.success)
    assert any("一致" in c.value for c in at.caption)  # the draft matches what was published
    at.button_group(key="rankings-view").set_value("draft").run()
    assert any("实时草稿（未发布）" in w.value for w in at.warning)


def test_a_new_version_shows_what_it_changed(store, open_page):
    with db.engine(store).begin() as conn:
        snapshot.publish(conn, tiny.OCT, by="运营发展中心", now=dt.datetime(2026, 11, 20, 9))
    late_report(store)
    with db.engine(store).begin() as conn:
        assert snapshot.publish(conn, tiny.OCT, by="运营发展中心").version == 2
    at = open_page(store, "rankings", period=MONTH)
    assert any("第1版（运营发展中心" in c.value and "第2版" in c.value for c in at.caption)
    assert [e.label for e in at.expander if "替代" in e.label] == ["第2版替代第1版：1家单位的得分或排名不同"]
    assert any("已发布第2版" in s.value for s in at.success)


def test_publishing_from_the_page(store, open_page):
    at = open_page(store, "rankings", period=MONTH)
    at.text_input[0].set_value("王主任")
    at.button(key="rankings-publish-go").click().run()
    assert not at.exception
    assert [s.value for s in at.success][-1] == i18n.t("rankings.publish.done", "zh", v=1)
    with db.engine(store).connect() as conn:
        assert snapshot.versions(conn, tiny.OCT)[0].published_by == "王主任"


def test_english_headers_and_filters(shared, open_page):
    at = open_page(shared, "rankings", period=MONTH, lang="en", area="pastoral")
    assert [s.value for s in at.subheader][:2] == ["Township health centres", "Village clinics"]
    assert [f["code"].tolist() for f in _leagues(at)] == [["T2"], ["V2"]]  # H, T1, V1 are urban


def test_meeting_steps_through_the_slides(shared, open_page):
    at = open_page(shared, "meeting", period=MONTH)
    assert [h.value for h in at.header] == ["小旗2026年10月成员单位考核"]
    assert any("草稿" in e.value for e in at.error)  # not published yet: the draft, labelled
    assert any("共5家成员单位参加考核" in m.value for m in at.markdown)
    at.button(key="meeting-next").click().run()
    assert [h.value for h in at.header] == ["旗级医院排名 · 2026年10月"]
    assert at.table[0].value.iloc[0]["单位"] == "旗医院"
    at.button(key="meeting-next").click().run()
    assert [h.value for h in at.header] == ["卫生院排名 · 2026年10月"]
    at.button(key="meeting-prev").click().run()
    assert [h.value for h in at.header] == ["旗级医院排名 · 2026年10月"]
    assert at.query_params["slide"] == "1"  # the slide is in the URL: a link reopens it


def test_a_long_group_pages_across_slides(shared, open_page, monkeypatch):
    """Rows a projector cannot hold go to the next slide, titled "(i/n)"; PageDown (a clicker) steps too."""
    monkeypatch.setattr(meeting, "ROWS_PER_SLIDE", 1)
    at = open_page(shared, "meeting", period=MONTH)
    seen = []
    while not at.button(key="meeting-page-down").disabled:
        at.button(key="meeting-page-down").click().run()
        assert len(at.table[0].value) == 1
        seen.append((at.header[0].value, at.table[0].value.iloc[0]["单位"]))
    assert seen == [("旗级医院排名 · 2026年10月", "旗医院"),
                    ("卫生院排名 · 2026年10月（1/2）", "一号卫生院"), ("卫生院排名 · 2026年10月（2/2）", "二号卫生院"),
                    ("村卫生室排名 · 2026年10月（1/2）", "一号卫生室"),
                    ("村卫生室排名 · 2026年10月（2/2）", "二号卫生室")]
    at.button(key="meeting-page-up").click().run()
    assert at.header[0].value == "村卫生室排名 · 2026年10月（1/2）"


def test_a_wall_shows_a_league_board_paged_by_itself(shared, open_page, monkeypatch):
    """On a wall: no tables to scroll or click, a board per group in sections the wall steps through."""
    monkeypatch.setattr(rankings, "BOARD_ROWS", 1)
    at = open_page(shared, "rankings", period=MONTH, kiosk="1")
    assert at.session_state[kiosk.SECTIONS_KEY] == 5  # 1 county hospital, 2 THCs, 2 village clinics
    assert len(at.dataframe) == 0
    titles, rows = [], []
    for section in range(5):
        at.session_state[kiosk.SECTION_KEY] = section
        at.run()
        titles.append(at.subheader[0].value)
        board = next(h.proto.body for h in at.get("html") if "league-board" in h.proto.body)
        rows += re.findall(r"<td>([^<]+)</td>", board)
    assert titles == ["旗级医院", "卫生院（1/2）", "卫生院（2/2）", "村卫生室（1/2）", "村卫生室（2/2）"]
    assert rows == ["旗医院", "一号卫生院", "二号卫生院", "一号卫生室", "二号卫生室"]


def test_a_wall_shows_the_latest_published_month_unasked(store, open_page):
    """Early in a month the last one is still a draft with reports pending: a wall shows what was published."""
    with db.engine(store).begin() as conn:
        snapshot.publish(conn, tiny.OCT, by="运营发展中心", now=dt.datetime(2026, 11, 20, 9))
    at = open_page(store, "rankings", kiosk="1")
    assert any("已发布第1版" in c.value for c in at.caption)
    assert at.subheader[0].value == "旗级医院"


@pytest.mark.parametrize(("rank", "expected"), [(1, "1"), (2, "2="), (None, "未排名")])
def test_a_tie_on_the_board_reads_as_a_tie(rank, expected):
    ranks = pd.Series([1, 2, 2, None], dtype="Int64")
    assert rankings._board_rank(pd.NA if rank is None else rank, ranks, "未排名") == expected


def test_meeting_shows_the_published_version(store, open_page):
    with db.engine(store).begin() as conn:
        snapshot.publish(conn, tiny.OCT, by="运营发展中心", now=dt.datetime(2026, 11, 20, 9))
    at = open_page(store, "meeting")  # no month given: the latest published one
    assert [h.value for h in at.header] == ["小旗2026年10月成员单位考核"]
    assert any("已发布第1版" in s.value for s in at.success)


def test_every_text_key_used_by_the_assessment_exists():
    """A key typed wrong shows as the raw key on screen: every literal t("…") of these modules is catalogued."""
    sources = [*(db.ROOT / "lib" / "scoring").glob("*.py"),
               db.ROOT / "ui" / "rankings.py", db.ROOT / "ui" / "meeting.py"]
    used = {key for path in sources for key in re.findall(r'\bt\(\s*"([a-z_.]+)"', path.read_text("utf-8"))}
    assert len(used) > 40
    assert sorted(used - set(i18n.CATALOGUE)) == []


def test_a_missing_value_reads_as_a_dash_in_every_table(shared, open_page):
    """Streamlit writes "None" where a value is missing; the cockpit's tables write "—" (ui/grid.py)."""
    at = open_page(shared, "rankings", period=MONTH, unit="V1", lang="en")
    assert len(at.dataframe) >= 4
    assert any(df.value.isna().any().any() for df in at.dataframe)  # there is something missing to show
    assert {df.proto.placeholder for df in at.dataframe} == {i18n.MISSING}
    drawn_directly = [p.name for p in (db.ROOT / "ui").glob("*.py") if "st.dataframe(" in p.read_text("utf-8")]
    assert drawn_directly == []
