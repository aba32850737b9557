"""The sinking page's figures on the tiny county, worked by hand (tests/fixtures/tiny.py), both stores.

October 2026, counted to 31 October: an eligible doctor owes 30 × 10/12 = 25 days. d1 (H, intermediate)
served 20 days at T2 in March and 5 at T1 in September: 25, on track. d2 (H, senior) served 10 at T1
from 2 October and 7 of a 30-day stationed stint at T2 from 25 October: 17, 8 short. d3 is junior.
"""

import datetime as dt

import pandas as pd
import pytest

from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.ops import sinking
from lib.store import db
from tests.fixtures import tiny

OCTOBER = Period("month", dt.date(2026, 10, 1))


def test_each_doctor_against_the_pro_rated_thirty_days(engine):
    page = sinking.build(engine, Scope(), OCTOBER, None)
    assert (page.as_of, page.owed) == (dt.date(2026, 10, 31), 25.0)
    doctors = page.doctors.set_index("code")[["days", "owed", "short", "on_track"]]
    assert doctors.to_dict("records") == [
        {"days": 17.0, "owed": 25.0, "short": 8.0, "on_track": False},  # d2, furthest behind first
        {"days": 25.0, "owed": 25.0, "short": 0.0, "on_track": True},  # d1
    ]
    assert set(page.doctors["staff_key"]) == {"d2", "d1"}  # staff keys only, as stored


@pytest.mark.parametrize("scope", [Scope(), Scope("community", ("c1",)), Scope("facility", ("H",))])
def test_the_doctor_table_adds_up_to_the_indicator(engine, scope):
    """Same eligibility and days as sinking_days_compliance: its numerator and denominator."""
    ids = None if scope.kind == "county" else [int(i) for i in engine.facility_ids(scope)]
    page = sinking.build(engine, scope, OCTOBER, ids)
    [kpi] = engine.compute(["sinking_days_compliance"], [scope], OCTOBER)
    assert (page.doctors["on_track"].sum(), len(page.doctors)) == (kpi.numerator, kpi.denominator) == (1, 2)
    [hospital] = page.hospitals.to_dict("records")
    assert (hospital["code"], hospital["eligible"], hospital["on_track"], hospital["behind"], hospital["short"],
            hospital["compliance"]) == ("H", 2, 1, 1, 8.0, 0.5)


def test_hosts_days_received_and_stationed_attendings(engine):
    page = sinking.build(engine, Scope(), OCTOBER, None)
    hosts = page.hosts.set_index("code")
    # T1: d2's 10-day tour; T2: 7 October days of d2's stint, who is stationed there on 31 October.
    assert hosts["days"].to_dict() == {"T1": 10, "T2": 7}
    assert hosts["stationed"].to_dict() == {"T1": 0, "T2": 1}
    assert hosts["covered"].to_dict() == {"T1": False, "T2": True}
    coverage = page.headline["township_attending_coverage"]
    assert hosts["covered"].mean() == coverage.value == 0.5
    assert page.headline["sinking_days_hosted"].value == hosts["days"].sum() == 17


def test_roster_months_serve_by_day_and_leave_an_unreported_plan_missing(engine):
    page = sinking.build(engine, Scope(), OCTOBER, None)
    roster = page.roster.set_index("month")
    assert roster.loc[dt.date(2026, 10, 1), "executed"] == 17
    assert roster.loc[dt.date(2026, 9, 1), "executed"] == 5
    assert roster.loc[dt.date(2026, 3, 1), "executed"] == 20
    assert roster.loc[dt.date(2026, 10, 1), "rostered"] == 7  # d2's 10-day tour was not on the roster
    assert roster["planned"].isna().all()  # no roster reported: missing, never 0
    assert len(roster) == sinking.ROSTER_MONTHS


def test_a_month_in_progress_counts_to_today(engine):
    page = sinking.build(engine, Scope(), Period("month", dt.date(2026, 11, 1)), None)
    assert page.as_of == tiny.TODAY
    d2 = page.doctors.iloc[0]
    assert d2["days"] == 17 + 5  # 1–5 November of the stationed stint
    assert page.roster.set_index("month").loc[dt.date(2026, 11, 1), "executed"] == 5


def test_a_scope_without_sending_hospitals_has_no_doctors(engine):
    scope = Scope("area", ("pastoral",))
    page = sinking.build(engine, scope, OCTOBER, [int(i) for i in engine.facility_ids(scope)])
    assert page.doctors.empty
    assert page.hospitals.empty
    assert page.roster.empty
    assert pd.Series(page.hosts["code"]).tolist() == ["T2"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_on_the_demo_county_the_table_is_the_indicator_and_rosters_are_reported(demo_stores, backend):
    """The demo (shared scale-0.02 store of test_demo/test_kpi_parity): a year of stints per doctor, a
    roster reported by each sending hospital, and the per-doctor table still the indicator's figures."""
    from tests.lib.test_kpi_parity import TODAY

    with db.engine(demo_stores(backend, scale=0.02, today=TODAY).url).connect() as conn:
        engine = Engine(conn, today=TODAY)
        period = Period("ytd", dt.date(TODAY.year, TODAY.month, 1) - dt.timedelta(days=1))
        page = sinking.build(engine, Scope(), period, None)
        [kpi] = engine.compute(["sinking_days_compliance"], [Scope()], period)
    assert (page.doctors["on_track"].sum(), len(page.doctors)) == (kpi.numerator, kpi.denominator)
    assert 0 < kpi.value < 1  # in February some are on track, many not yet
    assert len(page.hospitals) == 3
    reported = page.roster.dropna(subset=["planned"])
    assert len(reported) >= 3 * 10  # three hospitals, most months of the last twelve
    assert (reported["planned"] >= reported["rostered"]).mean() > 0.9  # a roster plans what its stints serve
