"""Rule breaches kept and worked (lib.alerts.breaches) on the tiny county, on SQLite and PostgreSQL: one row
per topic however often a check finds it, the check keeping what it queues, every step of the work kept
with who, when and why, and the steps the workflow refuses."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib import registry
from lib.alerts import __main__ as runner
from lib.alerts import breaches, config, rules
from lib.alerts.robots import Channel
from lib.alerts.workflow import StepRefused
from lib.events import live
from lib.kpi import measures
from lib.store import counties, db
from lib.store.models import AlertBreach
from tests.conftest import BACKENDS, make_store
from tests.fixtures import tiny
from tests.lib.conftest import Robot
from tests.lib.test_county_neutral import XIAOHE

# V2's referral of 5 October was never accepted: a backlog at V2 over a window reaching back to it
BACKLOG = {"name": "V2转诊积压", "kind": "referral_backlog", "scope": "unit:V2", "hours": 24 * 3650, "limit": 0}
STALE = {"name": "数据中断", "kind": "stale", "minutes": 60}  # the tiny county's last event is of early November
NOW = dt.datetime.combine(tiny.TODAY, dt.time(9))


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with make_store(request.param, tmp_path, fill=tiny.build) as url:
        yield url


def _settings(*raw: dict, channels: tuple[Channel, ...] = ()) -> config.Settings:
    return dataclasses.replace(config.load(), channels=channels, quiet=None, rules=rules.parse(list(raw), "test"))


def _rows(url: str) -> list[tuple]:
    with db.engine(url).connect() as conn:
        b = AlertBreach
        return [tuple(r) for r in conn.execute(sa.select(b.topic, b.scope, b.state, b.first_seen, b.last_seen,
                                                         b.lines_zh, b.lines_en).order_by(b.topic))]


def test_a_check_keeps_what_it_finds_once_per_topic(store: str, robot: str) -> None:
    settings = _settings(BACKLOG, STALE, channels=(Channel("运营群", "wecom", f"{robot}/wecom?key=K"),))
    first = runner.check(store, settings)
    assert first["breaches"] == 2
    again = runner.check(store, settings)
    assert again["breaches"] == 2
    rows = _rows(store)
    assert [(topic.rsplit(":", 1)[0], scope, state) for topic, scope, state, *_ in rows] == [
        ("rule:000001:V2转诊积压", "facility:V2", "open"), ("rule:000001:数据中断", "county", "open")]
    with db.engine(store).connect() as conn:  # kept what was sent, and sent what was kept
        sent = sorted(conn.execute(sa.text("SELECT topic FROM alert_outbox WHERE sent_at IS NOT NULL")).scalars())
    assert sent == [topic for topic, *_ in rows]
    assert len(Robot.received) == 2
    backlog = rows[0]
    assert backlog[5].startswith("近 87600 小时有 1 例转诊未被接收")
    assert backlog[6].startswith("referrals of the last 87600 hours not accepted: 1")


def test_a_breach_found_again_is_seen_again_and_keeps_its_state(store: str) -> None:
    later = NOW + dt.timedelta(minutes=5)
    with db.engine(store).begin() as conn:
        (backlog,) = rules.evaluate(conn, rules.parse([BACKLOG], "test"), NOW)
        assert breaches.record(conn, [backlog], NOW) == 1
        breaches.respond(conn, 1, "acknowledged", by="运营中心 王", note="", now=NOW)
        worse = dataclasses.replace(backlog, lines={"zh": ("积压 2 例",), "en": ("2 waiting",)})
        assert breaches.record(conn, [worse], later) == 0  # the same topic: no new row
    ((topic, _, state, first_seen, last_seen, zh, en),) = _rows(store)
    assert topic == backlog.topic
    assert (state, first_seen, last_seen) == ("acknowledged", NOW, later)
    assert (zh, en) == ("积压 2 例", "2 waiting")  # the lines as last seen


def test_acknowledging_and_closing_are_kept_and_closing_says_why(store: str) -> None:
    with db.engine(store).begin() as conn:
        breaches.record(conn, rules.evaluate(conn, rules.parse([BACKLOG], "test"), NOW), NOW)
        with pytest.raises(StepRefused, match="no_name"):
            breaches.respond(conn, 1, "acknowledged", by=" ", note="", now=NOW)
        breaches.respond(conn, 1, "acknowledged", by="运营中心 王", note="", now=NOW)
        with pytest.raises(StepRefused, match="no_note"):
            breaches.respond(conn, 1, "closed", by="运营中心 王", note="  ", now=NOW)
        with pytest.raises(StepRefused, match="not_allowed") as refused:
            breaches.respond(conn, 1, "open", by="运营中心 王", note="x", now=NOW)
        assert (refused.value.state, refused.value.allowed) == ("acknowledged", ("closed",))
        with pytest.raises(StepRefused, match="not_found"):
            breaches.respond(conn, 99, "closed", by="运营中心 王", note="x", now=NOW)
        closed_at = NOW + dt.timedelta(hours=1)
        breaches.respond(conn, 1, "closed", by="运营中心 王", note="已电话督促二号卫生院接收", now=closed_at)
        with pytest.raises(StepRefused, match="not_allowed"):  # closed is closed
            breaches.respond(conn, 1, "acknowledged", by="运营中心 王", note="", now=closed_at)
        steps = breaches.history(conn, 1)
        state, by, note = conn.execute(sa.text("SELECT state, state_by, note FROM alert_breach")).one()
    assert steps[["state", "by", "note"]].to_dict("records") == [
        {"state": "acknowledged", "by": "运营中心 王", "note": ""},
        {"state": "closed", "by": "运营中心 王", "note": "已电话督促二号卫生院接收"}]
    assert [pd_ts.to_pydatetime() for pd_ts in steps["at"]] == [NOW, closed_at]
    assert (state, by, note) == ("closed", "运营中心 王", "已电话督促二号卫生院接收")


def test_listed_by_scope_open_first(store: str) -> None:
    with db.engine(store).begin() as conn:
        found = rules.evaluate(conn, rules.parse([BACKLOG, STALE], "test"), NOW)
        breaches.record(conn, found, NOW)
        stale_id = conn.execute(sa.text("SELECT id FROM alert_breach WHERE scope = 'county'")).scalar_one()
        breaches.respond(conn, stale_id, "closed", by="信息科", note="接口已恢复", now=NOW)
        ids = dict(conn.execute(sa.text("SELECT code, id FROM facility")).all())
        since, county = tiny.TODAY - dt.timedelta(days=28), counties.resolve(conn, None)
        assert breaches.listed(conn, since, county)["scope"].tolist() == ["facility:V2", "county"]  # open first
        assert breaches.listed(conn, since, county, open_only=True)["scope"].tolist() == ["facility:V2"]
        # T1's township holds no V2: only the county-wide breach concerns it
        assert breaches.listed(conn, since, county, [ids["T1"], ids["V1"]])["scope"].tolist() == ["county"]
        assert breaches.listed(conn, since, county, [ids["T2"], ids["V2"]])["scope"].tolist() == [
            "facility:V2", "county"]
        # a closed breach last seen before the window is no longer listed; an open one always is
        later = tiny.TODAY + dt.timedelta(days=1)
        assert breaches.listed(conn, later, county)["scope"].tolist() == ["facility:V2"]


def _tiny_and_xiaohe(url: str) -> None:
    """The tiny county (events) and 小河县 beside it (its registry only: no event has ever come in)."""
    tiny.build(url)
    with db.engine(url).begin() as conn:
        registry.load(conn, XIAOHE)


@pytest.fixture(params=BACKENDS)
def two_counties(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with make_store(request.param, tmp_path, fill=_tiny_and_xiaohe) as url:
        yield url


def test_each_county_is_judged_on_its_own_and_lists_its_own(two_counties: str, robot: str) -> None:
    later = dict(STALE, name="小河数据中断", county="990101", minutes=1)
    settings = _settings(BACKLOG, STALE, later, channels=(Channel("区卫健委群", "wecom", f"{robot}/wecom?key=K"),
                                                          Channel("小河县群", "wecom", f"{robot}/xiaohe?key=XH",
                                                                  counties=("990101",))))
    settings = dataclasses.replace(settings, link_base="http://cockpit.local")
    assert runner.check(two_counties, settings)["breaches"] == 4
    with db.engine(two_counties).connect() as conn:
        kept = conn.execute(sa.text("SELECT c.code, b.topic, b.scope FROM alert_breach b JOIN county c "
                                    "ON c.id = b.county_id ORDER BY b.topic")).all()
        tiny_county, xiaohe = counties.resolve(conn, "000001"), counties.resolve(conn, "990101")
        since = tiny.TODAY - dt.timedelta(days=28)
        listed = {c.code: breaches.listed(conn, since, c)["rule"].tolist() for c in (tiny_county, xiaohe)}
    # V2 is the tiny county's: the backlog is judged there only; the stale feed in each county; a rule that
    # names 小河县 only there. 小河县 never had an event: its feed is stale, whatever the tiny county's
    assert [(code, topic.rsplit(":", 1)[0], scope) for code, topic, scope in kept] == [
        ("000001", "rule:000001:V2转诊积压", "facility:V2"), ("000001", "rule:000001:数据中断", "county"),
        ("990101", "rule:990101:小河数据中断", "county"), ("990101", "rule:990101:数据中断", "county")]
    assert sorted(listed["000001"]) == ["V2转诊积压", "数据中断"]
    assert sorted(listed["990101"]) == ["小河数据中断", "数据中断"]
    # the region's group gets all four; 小河县's own group only 小河县's two
    by_group = {path: sorted(body["markdown"]["content"].splitlines()[0] for p, body in Robot.received if p == path)
                for path in ("/wecom", "/xiaohe")}
    assert by_group["/xiaohe"] == ["**规则预警 · 小河县 · 小河数据中断**", "**规则预警 · 小河县 · 数据中断**"]
    assert len(by_group["/wecom"]) == 4
    titles = by_group["/wecom"]
    assert titles[0] == "**规则预警 · 小旗 · V2转诊积压**"
    assert "**规则预警 · 小河县 · 数据中断**" in titles
    links = {line for path, body in Robot.received if path == "/wecom"
             for line in body["markdown"]["content"].splitlines() if "cockpit.local" in line}
    assert any("county=990101" in line for line in links)
    assert any("county=000001" in line for line in links)


def test_the_feed_of_one_county_does_not_keep_the_others_fresh(two_counties: str) -> None:
    with db.engine(two_counties).connect() as conn:
        latest = live.data_as_of(conn)
        just_after = latest + dt.timedelta(minutes=5)
        stale = rules.evaluate(conn, rules.parse([STALE], "test"), just_after)
        tiny_ids = list(measures.facilities(conn, counties.resolve(conn, "000001").id).index)
        assert live.data_as_of(conn, tiny_ids) == latest
    assert [b.county.code for b in stale] == ["990101"]
