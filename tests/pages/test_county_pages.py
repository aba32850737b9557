"""Every page of a county that is not the reference one (the invented 小河县: a 县, a plain TCM hospital, no
border port, its own areas) opens without an exception and shows none of the reference county's words; the
reference county keeps its own."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator

import pytest
from google.protobuf.json_format import MessageToDict
from streamlit.testing.v1 import AppTest

from lib import registry
from lib.demo import build
from lib.scoring import score
from lib.store import bootstrap, db
from tests.conftest import make_store
from tests.lib.test_county_neutral import REFERENCE_WORDS, XIAOHE
from ui.frame import PAGES

# On a page, lowercase "banner" is also a widget's key (meeting-banner): the word is looked for as a word.
PAGE_WORDS = (*(w for w in REFERENCE_WORDS if w != "banner"), " banner")


def _xiaohe_with_demo(url: str) -> None:
    with db.engine(url).begin() as conn:
        registry.load(conn, XIAOHE)
    build.generate(db.engine(url), county="990101", months=3)


@pytest.fixture(scope="module")
def xiaohe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with make_store("sqlite", tmp_path_factory.mktemp("xiaohe"), fill=_xiaohe_with_demo) as url:
        yield url


def _texts(node: object) -> Iterator[str]:
    """Everything a run drew, as text: each element's message, charts' and maps' specs included."""
    proto = getattr(node, "proto", None)
    if proto is not None:
        drawn = json.dumps(MessageToDict(proto), ensure_ascii=False)
        yield drawn
        yield drawn.encode().decode("unicode_escape", errors="ignore")  # specs nested as escaped JSON
    children = getattr(node, "children", {})
    for child in children.values() if isinstance(children, dict) else children:
        yield from _texts(child)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("page", [p.name for p in PAGES])
def test_every_page_speaks_as_the_county(xiaohe_url: str, open_page: Callable[..., AppTest], page: str,
                                         lang: str) -> None:
    at = open_page(xiaohe_url, page, lang=lang)
    shown = "\n".join(_texts(at._tree))
    assert [w for w in PAGE_WORDS if w in shown] == []


@pytest.mark.parametrize(("page", "own"), [("referrals", "全县"), ("map", "地貌分区"), ("rankings", "县级医院"),
                                         ("data", "每月 10 日前报送上月数据（小河县医共体实施方案）")])
def test_pages_use_the_county_s_own_words(xiaohe_url: str, open_page: Callable[..., AppTest], page: str,
                                          own: str) -> None:
    shown = "\n".join(_texts(open_page(xiaohe_url, page)._tree))
    assert own in shown


def test_the_assessment_ranks_members_and_auxiliary_hospitals_not_partners(xiaohe_url: str) -> None:
    with db.engine(xiaohe_url).connect() as conn:
        scores = score.draft(conn, dt.date(2026, 11, 1), trend_months=2)
    assert "XH-AUX" in set(scores.units["facility_code"])
    assert "XH-PARTNER" not in set(scores.units["facility_code"])


@pytest.fixture(scope="module")
def reference_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with make_store("sqlite", tmp_path_factory.mktemp("reference"), fill=bootstrap.load_reference) as url:
        yield url


@pytest.mark.parametrize(("page", "own"), [("map", "三区分区"), ("map", "边境口岸"), ("referrals", "全旗"),
                                         ("referrals", "000号文件§二(二)3"), ("public_health", "中蒙医"),
                                         ("public_health", "★ 山旱区以医康养为特色任务（000号文件）")])
def test_the_reference_county_keeps_its_own_words(reference_url: str, open_page: Callable[..., AppTest], page: str,
                                                  own: str) -> None:
    shown = "\n".join(_texts(open_page(reference_url, page)._tree))
    assert own in shown
