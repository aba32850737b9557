"""Two counties in one store (issue #15 item 5): the tiny 小旗 (loaded first, hand-made events) and the invented
小河县 (its demo). Every page of either opens from ``?county=``; a county's figures, scores and words are the
same as in a store that holds it alone; the switcher in the header moves every page to the other county."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
from shapely.geometry import shape
from streamlit.testing.v1 import AppTest

from lib import clock, registry
from lib.access import accounts, sessions
from lib.alerts import breaches, rules
from lib.demo import build
from lib.kpi import region
from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.scoring import score, snapshot
from lib.store import counties, db
from tests.conftest import make_store
from tests.fixtures import tiny
from tests.lib.test_county_neutral import XIAOHE
from tests.pages.test_county_pages import PAGE_WORDS, _texts
from ui import access
from ui.frame import PAGES

XIAOHE_CODE, TINY_CODE = "990101", "000001"
TINY_WORDS = ("一号卫生院", "THC one", "旗医院", "Clinic one")  # its name is in the switcher, rightly
MONTH = dt.date(2026, 10, 1)
DEMO_DAY = dt.date(2026, 11, 20)


def _xiaohe(url: str) -> None:
    """小河县 and its demo, as of a fixed day (the demo's draws depend on how much of today has passed)."""
    with db.engine(url).begin() as conn:
        registry.load(conn, XIAOHE)
    build.generate(db.engine(url), county=XIAOHE_CODE, months=3, today=DEMO_DAY)


def _both(url: str) -> None:
    tiny.build(url)
    _xiaohe(url)


@pytest.fixture(scope="module")
def both_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with make_store("sqlite", tmp_path_factory.mktemp("both"), fill=_both) as url:
        yield url


@pytest.fixture(scope="module")
def xiaohe_alone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with make_store("sqlite", tmp_path_factory.mktemp("xiaohe-alone"), fill=_xiaohe) as url:
        yield url


@pytest.fixture(scope="module")
def tiny_alone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with make_store("sqlite", tmp_path_factory.mktemp("tiny-alone"), fill=tiny.build) as url:
        yield url


def _county_values(url: str, county: str | None) -> dict[tuple[str, str], float | None]:
    """Every indicator of the county, at county scope and per unit, for the month."""
    with db.engine(url).connect() as conn:
        engine = Engine(conn, county=county)
        scopes = [Scope(), *(Scope("facility", (c,)) for c in engine.units["code"])]
        return {(v.code, v.scope.label): v.value
                for v in engine.compute(None, scopes, Period("month", MONTH), compare=False)}


@pytest.mark.parametrize(("county", "alone"), [(XIAOHE_CODE, "xiaohe_alone"), (None, "tiny_alone")])
def test_a_county_s_figures_do_not_change_when_another_joins_the_store(both_url: str, county: str | None,
                                                                       alone: str,
                                                                       request: pytest.FixtureRequest) -> None:
    mixed, own = _county_values(both_url, county), _county_values(request.getfixturevalue(alone), county)
    assert mixed.keys() == own.keys()
    assert [k for k in own if mixed[k] != pytest.approx(own[k], nan_ok=True)] == []
    assert any(v is not None for v in own.values())


def test_each_county_scores_and_publishes_its_own_units(both_url: str, xiaohe_alone: str) -> None:
    with db.engine(both_url).begin() as conn:
        mixed = score.draft(conn, MONTH, county=XIAOHE_CODE, trend_months=2)
        first = score.draft(conn, MONTH, trend_months=2)
        outcomes = [snapshot.publish(conn, MONTH, by="test", county=c, now=dt.datetime(2026, 11, 20, 9))
                    for c in (TINY_CODE, XIAOHE_CODE)]
        versions = {c: snapshot.versions(conn, MONTH, c) for c in (TINY_CODE, XIAOHE_CODE)}
        published = snapshot.load(conn, MONTH, county=XIAOHE_CODE)
    with db.engine(xiaohe_alone).connect() as conn:
        own = score.draft(conn, MONTH, trend_months=2)
    assert set(first.units["facility_code"]) == {"H", "T1", "T2", "V1", "V2"}
    assert (mixed.county_zh, first.county_zh) == ("小河县", "小旗")
    assert mixed.units[["facility_code", "total", "rank"]].equals(own.units[["facility_code", "total", "rank"]])
    assert [o.version for o in outcomes] == [1, 1]
    assert {c: [v.version for v in vs] for c, vs in versions.items()} == {TINY_CODE: [1], XIAOHE_CODE: [1]}
    assert set(published.units["facility_code"]) == set(own.units["facility_code"])


def test_an_unknown_county_is_named_with_the_loaded_ones(both_url: str) -> None:
    with db.engine(both_url).connect() as conn, pytest.raises(counties.UnknownCountyError) as found:
        Engine(conn, county="123456")
    assert all(code in str(found.value) for code in ("123456", TINY_CODE, XIAOHE_CODE))


@pytest.mark.parametrize("page", [p.name for p in PAGES])
def test_every_page_of_the_second_county_shows_only_it(both_url: str, open_page: Callable[..., AppTest],
                                                       page: str) -> None:
    shown = "\n".join(_texts(open_page(both_url, page, county=XIAOHE_CODE)._tree))
    assert [w for w in (*PAGE_WORDS, *TINY_WORDS) if w in shown] == []


def test_the_switcher_moves_to_the_other_county_and_drops_its_filters(both_url: str,
                                                                      open_page: Callable[..., AppTest]) -> None:
    at = open_page(both_url, None, area="pastoral")
    switch = at.selectbox(key="county-switch")
    assert (switch.value, switch.options) == (TINY_CODE, ["小旗", "小河县"])
    switch.set_value(XIAOHE_CODE).run()
    assert not at.exception
    assert (at.query_params.get("county"), at.query_params.get("area")) == (XIAOHE_CODE, None)
    assert "小河县" in "\n".join(_texts(at._tree))


def test_a_link_to_a_county_not_in_the_store_shows_the_first_and_says_so(both_url: str,
                                                                         open_page: Callable[..., AppTest]) -> None:
    at = open_page(both_url, "overview", county="123456")
    assert any("county=123456" in w.value for w in at.warning)
    assert at.selectbox(key="county-switch").value == TINY_CODE


def test_a_store_with_one_county_draws_no_switcher(tiny_alone: str, open_page: Callable[..., AppTest]) -> None:
    at = open_page(tiny_alone, None)
    assert [s for s in at.selectbox if s.key == "county-switch"] == []


def test_the_region_compares_each_county_on_its_own_figures_and_targets(both_url: str) -> None:
    with db.engine(both_url).connect() as conn:
        compared = region.compare(conn, Period("month", MONTH))
        own = {c: {v.code: v for v in Engine(conn, county=c).compute(region.HEADLINE, [Scope()],
                                                                      Period("month", MONTH))}
               for c in (TINY_CODE, XIAOHE_CODE)}
    assert [c.county.code for c in compared.counties] == [TINY_CODE, XIAOHE_CODE]
    for c in compared.counties:
        assert {k: (v.value, v.target, v.status) for k, v in c.values.items()} == \
            {k: (v.value, v.target, v.status) for k, v in own[c.county.code].items()}
        x0, y0, x1, y1 = shape(c.outline).bounds
        lon0, lat0, lon1, lat1 = compared.bbox
        assert (lon0 <= x0 + 1e-3, lat0 <= y0 + 1e-3, lon1 >= x1 - 1e-3, lat1 >= y1 - 1e-3) == (True,) * 4


def test_the_region_page_lists_every_county_with_a_link_to_its_overview(both_url: str,
                                                                        open_page: Callable[..., AppTest]) -> None:
    at = open_page(both_url, "region")
    shown = at.dataframe[0].value
    assert list(shown.iloc[:, 0]) == ["小旗", "小河县"]
    assert list(shown.iloc[:, 1]) == [f"./?county={TINY_CODE}", f"./?county={XIAOHE_CODE}"]
    assert len(at.get("deck_gl_json_chart")) == 1


def test_the_region_page_of_a_one_county_store_says_how_to_add_one(tiny_alone: str,
                                                                   open_page: Callable[..., AppTest]) -> None:
    at = open_page(tiny_alone, "region", lang="en")
    assert any("registry" in i.value for i in at.info)


def test_a_user_confined_to_a_county_sees_only_it_whatever_the_url(both_url: str, open_page: Callable[..., AppTest],
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    with db.engine(both_url).begin() as conn:
        if "xh-boss" not in set(accounts.listed(conn)["name"]):
            accounts.add(conn, "xh-boss", "leader", "pastures green 42", county=XIAOHE_CODE, by="test",
                         now=dt.datetime(2026, 11, 20, 9))
    monkeypatch.setenv("COCKPIT_AUTH", "on")
    at = open_page(both_url, "overview", county=TINY_CODE,
                   session={access.SESSION_KEY: sessions.start("xh-boss", clock.now())})
    shown = "\n".join(_texts(at._tree))
    assert "平原" in shown  # 小河县's areas in the filter bar, not the tiny county's 牧区
    assert [w for w in (*TINY_WORDS, "牧区") if w in shown] == []
    assert any(f"county={TINY_CODE}" in w.value for w in at.warning)  # the link's county, said to be ignored
    assert [s for s in at.selectbox if s.key == "county-switch"] == []
    region_page = open_page(both_url, "region", session={access.SESSION_KEY: sessions.start("xh-boss", clock.now())})
    links = region_page.dataframe[0].value.iloc[:, 1]
    assert list(links.fillna("")) == ["", f"./?county={XIAOHE_CODE}"]  # a link to its own county only


def test_each_countys_alerts_page_lists_its_own_breaches(both_url: str, open_page: Callable[..., AppTest]) -> None:
    stale = rules.parse([{"name": "数据中断", "kind": "stale", "minutes": 1}], "test")
    now = dt.datetime.combine(DEMO_DAY, dt.time(23, 59))
    with db.engine(both_url).begin() as conn:
        breaches.record(conn, [b for b in rules.evaluate(conn, stale, now) if b.county.code == TINY_CODE], now)
    tiny_page = "\n".join(_texts(open_page(both_url, "alerts", county=TINY_CODE)._tree))
    xiaohe_page = "\n".join(_texts(open_page(both_url, "alerts", county=XIAOHE_CODE)._tree))
    assert "数据中断" in tiny_page
    assert "数据中断" not in xiaohe_page


def test_the_admin_page_makes_accounts_of_the_county_shown(both_url: str, open_page: Callable[..., AppTest],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    with db.engine(both_url).begin() as conn:
        if "region-ops" not in set(accounts.listed(conn)["name"]):
            accounts.add(conn, "region-ops", "ops_centre", "pastures green 42", by="test",
                         now=dt.datetime(2026, 11, 20, 9))
    monkeypatch.setenv("COCKPIT_AUTH", "on")
    at = open_page(both_url, "admin", county=XIAOHE_CODE,
                   session={access.SESSION_KEY: sessions.start("region-ops", clock.now())})
    assert set(at.selectbox(key="admin-add-area").options) >= {"平原", "山区"}  # 小河县's areas, offered
    at.text_input(key="admin-add-name").input("plain-clerk")
    at.selectbox(key="admin-add-role").set_value("area_staff")
    at.selectbox(key="admin-add-area").set_value("plain")
    at.text_input(key="admin-add-password").input("pastures green 42")
    at.button(key="admin-add-go").click().run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    with db.engine(both_url).connect() as conn:
        made = accounts.viewer(conn, "plain-clerk")
    assert (made.county, made.units) == (XIAOHE_CODE, frozenset({"XH-AUX", "XH-T2", "XH-V1", "XH-V2"}))
