"""The county's clock, whatever the server's zone (issue #11 item 6)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from lib.events import write as events
from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.store import db
from lib.store.models import Facility, Visit
from tests.fixtures import tiny

PROBE = ("import datetime as dt, json; from lib import clock; "
         "print(json.dumps([clock.now().isoformat(), dt.datetime.now().isoformat()]))")


def _read_clocks(server_zone: str, county_zone: str | None = None) -> tuple[dt.datetime, dt.datetime]:
    env = {**os.environ, "TZ": server_zone}
    env.pop("COCKPIT_TZ", None)
    if county_zone:
        env["COCKPIT_TZ"] = county_zone
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=db.ROOT, capture_output=True, text=True,
                         check=True).stdout
    county, server = (dt.datetime.fromisoformat(x) for x in json.loads(out))
    return county, server


def test_today_is_the_countys_date_on_a_server_keeping_another_zone() -> None:
    county, server = _read_clocks("America/Los_Angeles")
    beijing = dt.datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    assert abs((county - beijing).total_seconds()) < 60
    assert abs((county - server).total_seconds() - 16 * 3600) < 3600 * 1.01  # 15 or 16 hours apart (DST)


def test_a_county_elsewhere_sets_its_zone() -> None:
    county, _ = _read_clocks("UTC", "Asia/Urumqi")
    urumqi = dt.datetime.now(ZoneInfo("Asia/Urumqi")).replace(tzinfo=None)
    assert abs((county - urumqi).total_seconds()) < 60


def test_an_event_at_23_51_on_the_last_day_belongs_to_that_month(store_url: str) -> None:
    tiny.build(store_url)
    late = dt.datetime(2026, 10, 31, 23, 51)
    with db.engine(store_url).begin() as conn:
        t1 = conn.execute(sa.select(Facility.id).where(Facility.code == "T1")).scalar_one()
        events.record(conn, Visit, [{"facility_id": t1, "ts": late, "kind": "outpatient", "is_tcm": False,
                                     "is_insured_resident": True, "cost": 50, "fund_paid": 30}])
    with db.engine(store_url).connect() as conn:
        engine = Engine(conn, today=tiny.TODAY)
        t1_scope = Scope("facility", ("T1",))
        october = engine.ratio("tcm_visit_share", t1_scope, Period("month", tiny.OCT))
        november = engine.ratio("tcm_visit_share", t1_scope, Period("month", dt.date(2026, 11, 1)))
    assert october.denominator == 4  # T1's three October visits and the one at 23:51 on the 31st
    assert november is None
