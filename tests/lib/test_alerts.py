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
from lib.alerts import config, outbox, syndromic
from lib.alerts.robots import Channel
from lib.demo import outbreak
from lib.events import write
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
    return dataclasses.replace(config.load(), channels=channels, quiet=None, link_base="http://cockpit.local")


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
