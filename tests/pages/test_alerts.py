"""The alerts page and the wall's ribbon (AppTest) on the tiny county: with one open signal at T1; and after
an outbreak injected as `python -m lib.demo outbreak` does and a check of the runner with two rules (a
referral backlog at V2, the data stale county-wide): the signal and the breaches listed, on the map, and
worked through the page's forms."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from lib import clock
from lib.alerts import __main__ as runner
from lib.alerts import breaches, config, rules, signals
from lib.alerts.workflow import StepRefused
from lib.demo import outbreak
from lib.store import bootstrap, db
from lib.store.models import AlertSignal
from tests.conftest import make_store
from tests.fixtures import tiny
from tests.lib.test_alerts_breaches import BACKLOG, STALE
from ui import maps


def _with_signal(url: str) -> None:
    tiny.build(url)
    bootstrap.bring_current(url)
    now = clock.now()
    with db.engine(url).begin() as conn:
        t1 = conn.execute(sa.text("SELECT id FROM facility WHERE code = 'T1'")).scalar_one()
        conn.execute(sa.insert(AlertSignal), {
            "facility_id": t1, "syndrome": "fever_resp", "day": now.date() - dt.timedelta(days=1), "count": 26,
            "expected": 14, "threshold": 14, "method": "mpm", "raised_at": now, "state": "new", "state_at": now,
            "state_by": "", "note": ""})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[str]:
    with make_store("sqlite", tmp_path, fill=_with_signal) as url:
        yield url


def test_the_page_lists_the_signal_and_records_a_step(store: str, open_page: Callable[..., AppTest]) -> None:
    at = open_page(store, "alerts")
    table = at.dataframe[0].value
    assert table["place"].tolist() == ["一号卫生院"]
    assert table["state"].tolist() == ["新信号"]
    assert (table["count"].tolist(), table["threshold"].tolist()) == ([26], [14])
    at.text_input(key="alerts-signal-by").input("疾控中心 李医生")
    at.button(key="alerts-signal-save").click().run()  # a new signal goes to "being verified"
    assert not at.exception
    assert [s.value for s in at.success] == ["已登记"]
    with db.engine(store).connect() as conn:
        state = conn.execute(sa.text("SELECT state, state_by FROM alert_signal")).one()
        assert tuple(state) == ("verifying", "疾控中心 李医生")
        assert signals.history(conn, 1)["state"].tolist() == ["verifying"]


def test_english_and_the_wall_ribbon(store: str, open_page: Callable[..., AppTest]) -> None:
    at = open_page(store, "alerts", lang="en")
    assert at.dataframe[0].value["place"].tolist() == ["THC one"]
    assert at.dataframe[0].value["syndrome"].tolist() == ["Fever with respiratory symptoms"]
    wall = open_page(store, None, kiosk="1")
    assert [e.value for e in wall.error] == ["预警（待处置 1）：一号卫生院 发热伴呼吸道症状"]


def test_closing_needs_a_note(store: str) -> None:
    with db.engine(store).begin() as conn:
        signals.respond(conn, 1, "verifying", by="李医生", note="", now=clock.now())
        with pytest.raises(StepRefused, match="no_note"):
            signals.respond(conn, 1, "dismissed", by="李医生", note=" ", now=clock.now())
        with pytest.raises(StepRefused, match="not_allowed"):
            signals.respond(conn, 1, "new", by="李医生", note="x", now=clock.now())
        signals.respond(conn, 1, "dismissed", by="李医生", note="同一家庭聚集，已排除", now=clock.now())
        assert signals.history(conn, 1)["state"].tolist() == ["verifying", "dismissed"]


def _outbreak_and_check(url: str) -> None:
    """40 fever cases at V1 (T1's township) today, then one check with the two rules and no channel."""
    tiny.build(url)
    bootstrap.bring_current(url)
    outbreak.inject(url, "V1", "fever_resp", cases=40, days=1)
    settings = dataclasses.replace(config.load(), channels=(), quiet=None, rules=rules.parse([BACKLOG, STALE], "t"))
    runner.check(url, settings)


@pytest.fixture
def checked(tmp_path: Path) -> Iterator[str]:
    with make_store("sqlite", tmp_path, fill=_outbreak_and_check) as url:
        yield url


def _layers(at: AppTest) -> dict[str, dict]:
    (chart,) = at.get("deck_gl_json_chart")
    spec = json.loads(chart.proto.json)
    assert spec["mapStyle"] == "__MAP_STYLE__"  # no basemap: nothing fetched (tests/browser/test_map.py)
    return {layer["id"]: layer for layer in spec["layers"]}


def test_breaches_listed_beside_the_signal_and_both_on_the_map(checked: str, open_page: Callable[..., AppTest]) -> None:
    at = open_page(checked, "alerts")
    signals_open, breaches_open = (d.value for d in at.dataframe)
    assert signals_open["place"].tolist() == ["一号卫生院"]
    assert breaches_open["rule"].tolist() == ["数据中断", "V2转诊积压"]  # both open, seen last together
    by_rule = breaches_open.set_index("rule")
    assert by_rule.loc["V2转诊积压", "scope"] == "二号卫生室"
    assert by_rule.loc["数据中断", "scope"] == "全旗"
    assert by_rule.loc["V2转诊积压", "what"].startswith("近 87600 小时有 1 例转诊未被接收")
    assert set(by_rule["state"]) == {"待处置"}
    layers = _layers(at)
    assert {"outline", "signals", "breaches"} <= set(layers)
    (dot,) = layers["signals"]["data"]
    assert (dot["code"], dot["p"], dot["fill"][:3]) == ("T1", [108.5, 41.58], maps.STATUS_RGB["missed"])
    assert dot["tip"].startswith("一号卫生院\n发热伴呼吸道症状：就诊")
    (ring,) = layers["breaches"]["data"]  # the county-wide breach has no one place: listed only
    assert (ring["code"], ring["p"]) == ("V2", [107.98, 42.0])
    assert ring["tip"].startswith("二号卫生室\nV2转诊积压：近 87600 小时")


def test_english_names_the_breach_in_english(checked: str, open_page: Callable[..., AppTest]) -> None:
    at = open_page(checked, "alerts", lang="en")
    by_rule = at.dataframe[1].value.set_index("rule")
    assert by_rule.loc["V2转诊积压", "scope"] == "Clinic two"
    assert by_rule.loc["数据中断", "scope"] == "Whole banner"  # the tiny county is a banner (小旗)
    assert by_rule.loc["V2转诊积压", "what"].startswith("referrals of the last 87600 hours not accepted: 1")
    assert set(by_rule["state"]) == {"Open"}


def _breach_id(url: str, rule: str) -> int:
    with db.engine(url).connect() as conn:
        return conn.execute(sa.text("SELECT id FROM alert_breach WHERE rule = :r"), {"r": rule}).scalar_one()


def test_a_breach_acknowledged_then_closed_with_a_note_through_the_page(
        checked: str, open_page: Callable[..., AppTest]) -> None:
    backlog = _breach_id(checked, "V2转诊积压")
    at = open_page(checked, "alerts")
    at.selectbox(key="alerts-breach").set_value(backlog)
    at.text_input(key="alerts-breach-by").input("运营中心 王")
    at.button(key="alerts-breach-save").click().run()  # the first step offered: acknowledged
    assert [s.value for s in at.success] == ["已登记"]
    at.selectbox(key="alerts-breach").set_value(backlog)
    at.segmented_control(key="alerts-breach-step").set_value("closed")
    at.button(key="alerts-breach-save").click().run()
    assert [e.value for e in at.error] == ["关闭（确认、排除）须写明依据"]
    at.selectbox(key="alerts-breach").set_value(backlog)
    at.segmented_control(key="alerts-breach-step").set_value("closed")
    at.text_area(key="alerts-breach-note").input("已督促二号卫生院接收")
    at.button(key="alerts-breach-save").click().run()
    assert not at.exception
    with db.engine(checked).connect() as conn:
        steps = breaches.history(conn, backlog)
    assert steps[["state", "by", "note"]].to_dict("records") == [
        {"state": "acknowledged", "by": "运营中心 王", "note": ""},
        {"state": "closed", "by": "运营中心 王", "note": "已督促二号卫生院接收"}]
    closed = at.dataframe[2].value  # signals open; breaches open; breaches closed
    assert closed["rule"].tolist() == ["V2转诊积压"]
    assert closed["note"].tolist() == ["已督促二号卫生院接收"]
    assert _layers(at)["breaches"]["data"] == []  # closed: off the map
