"""Early warning end to end on the tiny county (lib.alerts): three quiet years raise nothing; an outbreak
injected through the ingest path raises one signal naming its township, sent once to a local WeCom
robot and never again; a robot that is down gets each message exactly once when it is back."""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from lib import clock
from lib.alerts import __main__ as runner
from lib.alerts import config, outbox, rules, syndromic
from lib.alerts.robots import Channel
from lib.demo import outbreak
from lib.events import live, write
from lib.problems import InputError
from lib.scoring import snapshot
from lib.store import db
from lib.store.models import Visit
from tests.conftest import BACKENDS, make_store
from tests.fixtures import tiny
from tests.lib.conftest import Robot

YEARS = 3


def _quiet_years(url: str) -> None:
    """The tiny county with two fever visits a day at T1 and one at V2 for three years up to yesterday."""
    tiny.build(url)
    today = clock.today()
    with db.engine(url).begin() as conn:
        ids = dict(conn.execute(sa.text("SELECT code, id FROM facility")).all())
        first = today.replace(year=today.year - YEARS) - dt.timedelta(days=21)
        days = [first + dt.timedelta(days=i) for i in range((today - first).days)]
        rows = [{"facility_id": ids[unit], "ts": dt.datetime.combine(day, dt.time(9 + n)), "kind": "outpatient",
                 "is_tcm": False, "is_insured_resident": True, "cost": 50, "fund_paid": 25, "syndrome": "fever_resp"}
                for day in days for unit, per_day in (("T1", 2), ("V2", 1)) for n in range(per_day)]
        write.record(conn, Visit, rows)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with make_store(request.param, tmp_path, fill=_quiet_years) as url:
        yield url


def _settings(*channels: Channel) -> config.Settings:
    return dataclasses.replace(config.load(), channels=channels, quiet=None, link_base="http://cockpit.local",
                               rules=())


def _signals(url: str) -> list[tuple]:
    with db.engine(url).connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(
            "SELECT f.code, s.syndrome, s.count, s.threshold, s.method FROM alert_signal s "
            "JOIN facility f ON f.id = s.facility_id"))]


def test_quiet_years_raise_nothing_and_an_outbreak_is_sent_once(store: str, robot: str) -> None:
    settings = _settings(Channel("卫健委群", "wecom", f"{robot}/wecom?key=K"))
    quiet = runner.check(store, settings)
    assert quiet["findings"] == 0  # every 7-day block was 14 at T1 and 7 at T2: P80 14 and 7, nothing above
    assert Robot.received == []

    assert outbreak.inject(store, "V1", "fever_resp", cases=12, days=2) == 12  # V1 is in T1's township
    first = runner.check(store, settings)
    assert first["raised"] == 1
    assert first["sent"] == 1
    (code, syndrome, count, threshold, method), = _signals(store)
    assert (code, syndrome, method) == ("T1", "fever_resp", "mpm")
    assert threshold == 14
    assert count >= 14 + 10  # the last 7 days' 14 (today's so far may be fewer) and the 12 cases
    (path, body), = Robot.received
    assert path == "/wecom"
    assert "一号卫生院" in body["markdown"]["content"]  # the township named in Chinese
    assert "发热伴呼吸道症状" in body["markdown"]["content"]
    assert "http://cockpit.local/map?area=urban" in body["markdown"]["content"]

    again = runner.check(store, settings)
    assert (again["raised"], again["sent"]) == (0, 0)
    assert len(Robot.received) == 1


def test_a_robot_that_is_down_gets_each_message_once_when_back(store: str, robot: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    down = _settings(Channel("卫健委群", "wecom", f"http://127.0.0.1:{closed}/wecom"))
    outbreak.inject(store, "T2", "fever_resp", cases=15, days=1)
    first = runner.check(store, down)
    assert (first["raised"], first["sent"], first["failed"]) == (1, 0, 1)
    up = _settings(Channel("卫健委群", "wecom", f"{robot}/wecom?key=K"))
    engine = db.engine(store)
    now = clock.now()
    assert outbox.deliver(engine, up, now)["sent"] == 0  # not yet: it waits its back-off
    assert outbox.deliver(engine, up, now + dt.timedelta(minutes=2))["sent"] == 1
    assert outbox.deliver(engine, up, now + dt.timedelta(minutes=30))["sent"] == 0
    assert len(Robot.received) == 1
    with engine.connect() as conn:
        attempts, error = conn.execute(sa.text("SELECT attempts, last_error FROM alert_outbox")).one()
    assert attempts == 2
    assert "ConnectionError" in error


def test_quiet_hours_hold_messages_back() -> None:
    settings = dataclasses.replace(config.load(), quiet=(dt.time(22), dt.time(7)))
    assert settings.quiet_at(dt.datetime(2026, 10, 5, 23, 30))
    assert settings.quiet_at(dt.datetime(2026, 10, 6, 6, 59))
    assert not settings.quiet_at(dt.datetime(2026, 10, 6, 7, 0))


def test_townships_group_village_clinics_with_their_thc(store: str) -> None:
    with db.engine(store).connect() as conn:
        from lib.kpi import measures

        units = measures.facilities(conn)
    township = syndromic.township_of(units)
    code = units["code"]
    assert {code[u]: code[t] for u, t in township.items()} == {"H": "H", "T1": "T1", "V1": "T1", "T2": "T2",
                                                               "V2": "T2"}


def test_a_published_month_is_sent_once_as_its_briefing(store: str, robot: str) -> None:
    with db.engine(store).begin() as conn:
        snapshot.publish(conn, tiny.OCT, by="运营发展中心", now=clock.now())
    settings = _settings(Channel("卫健委群", "wecom", f"{robot}/wecom?key=K"))
    first = runner.check(store, settings)
    assert (first["packs"], first["sent"]) == (1, 1)
    (_, body), = Robot.received
    content = body["markdown"]["content"]
    assert content.startswith("**小旗2026年10月成员单位考核已发布（第1版）**")
    assert "> 2026年10月共5家成员单位参加考核" in content  # the meeting's opening slide, line by line
    assert "http://cockpit.local/meeting?period=2026-10" in content
    assert runner.check(store, settings)["packs"] == 0
    assert len(Robot.received) == 1


def _rules(**raw: object) -> tuple[rules.Rule, ...]:
    return rules.parse([{"name": "r", **raw}], "test")


def test_threshold_rules_on_the_tiny_county(tiny_url: str) -> None:
    oct_5 = dt.datetime(2026, 10, 5, 13)  # the referrals of 5 October were sent at 10:00; one is not accepted
    with db.engine(tiny_url).connect() as conn:
        # in-county admissions missed their target in September and October (tests/lib/test_kpi.py), the
        # share of primary-care visits only in September
        nov_5 = dt.datetime.combine(tiny.TODAY, dt.time(9))
        missed = _rules(kind="missed_target", indicator="in_county_admission_share", months=2)
        assert [b.topic for b in rules.evaluate(conn, missed, nov_5)] == ["rule:000001:r:2026-10"]
        assert rules.evaluate(conn, _rules(kind="missed_target", indicator="primary_visit_share", months=2),
                              nov_5) == []
        backlog, = rules.evaluate(conn, _rules(kind="referral_backlog", hours=24, limit=0), oct_5)
        assert backlog.lines["zh"] == ("近 24 小时有 1 例转诊未被接收（上限 0）",)
        assert backlog.lines["en"] == ("referrals of the last 24 hours not accepted: 1 (limit 0)",)
        assert rules.evaluate(conn, _rules(kind="referral_backlog", hours=24, limit=1), oct_5) == []
        latest = live.data_as_of(conn)
        assert rules.evaluate(conn, _rules(kind="stale", minutes=60), latest + dt.timedelta(minutes=30)) == []
        assert len(rules.evaluate(conn, _rules(kind="stale", minutes=60), latest + dt.timedelta(hours=2))) == 1


def test_a_rule_file_with_mistakes_is_refused_with_each_named() -> None:
    with pytest.raises(InputError) as refused:
        rules.parse([{"name": "a", "kind": "sometimes"}, {"name": "b", "kind": "missed_target"},
                     {"name": "c", "kind": "stale", "scope": "township"}, {"name": "长" * 33, "kind": "stale"}],
                    "alerts.toml")
    assert len(refused.value.problems) == 4
    assert "at most 32 characters" in refused.value.problems[3]


def test_an_unreachable_store_is_said_once_to_the_groups(robot: str, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    settings = tmp_path / "alerts.toml"  # the shipped file with a channel to the local robot, as a county writes it
    settings.write_text(config.DEFAULT_FILE.read_text(encoding="utf-8") + "\n[[channel]]\nname = \"卫健委群\"\n"
                        'kind = "wecom"\nurl_env = "TEST_WECOM_URL"\n', encoding="utf-8")
    monkeypatch.setenv("COCKPIT_ALERTS_FILE", str(settings))
    monkeypatch.setenv("TEST_WECOM_URL", f"{robot}/wecom?key=K")
    with socket.socket() as probe:  # a PostgreSQL port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    assert runner.main(["check", "--db", f"postgresql://postgres@127.0.0.1:{closed}/test"]) == 1
    (_, body), = Robot.received
    assert "驾驶舱数据库无法连接" in body["markdown"]["content"]


def test_a_channel_takes_its_counties_alerts_and_a_bad_list_is_refused(tmp_path: Path) -> None:
    settings = tmp_path / "alerts.toml"
    channels = ('[[channel]]\nname = "小河县群"\nkind = "wecom"\nurl = "http://127.0.0.1:9/x"\ncounties = ["990101"]\n'
                '[[channel]]\nname = "区群"\nkind = "wecom"\nurl = "http://127.0.0.1:9/y"\n')
    settings.write_text(config.DEFAULT_FILE.read_text(encoding="utf-8") + "\n" + channels, encoding="utf-8")
    own, region = config.load(settings).channels
    assert (own.takes("990101"), own.takes("000001"), own.takes(None)) == (True, False, True)
    assert (region.takes("990101"), region.takes("000001")) == (True, True)
    settings.write_text(settings.read_text(encoding="utf-8").replace('["990101"]', '"990101"'), encoding="utf-8")
    with pytest.raises(InputError, match="counties '990101' is not a list of county codes"):
        config.load(settings)
