"""The definitions of issue #11, each on the tiny county (tests/fixtures/tiny.py) changed by one fact and
worked by hand: missing reports, stationed physicians, who owes days at the grassroots, the roster of
a period, small denominators of means.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.events import write as events
from lib.kpi import measures
from lib.kpi.engine import Engine, KpiValue, Scope
from lib.kpi.period import Period
from lib.store import db
from lib.store.models import Facility, MonthlyReport, RegisterCount, SinkingDeployment, Staff
from tests.fixtures import tiny

OCTOBER = Period("month", tiny.OCT)
COUNTY = Scope()


@pytest.fixture
def changed(store_url: str) -> Iterator[Callable[[Callable[[Connection, dict[str, int]], None]], Engine]]:
    """``changed(edit)``: the tiny county with ``edit(conn, ids)`` applied, and an engine on it."""
    tiny.build(store_url)
    with db.engine(store_url).connect() as conn:

        def _apply(edit: Callable[[Connection, dict[str, int]], None]) -> Engine:
            with conn.begin():
                edit(conn, dict(conn.execute(sa.select(Facility.code, Facility.id)).all()))
            return Engine(conn, today=tiny.TODAY)

        yield _apply


def _one(engine: Engine, code: str, scope: Scope = COUNTY, period: Period = OCTOBER) -> KpiValue:
    [value] = engine.compute([code], [scope], period)
    return value


def _unit(code: str) -> Scope:
    return Scope("facility", (code,))


def _drop_report(facility: str, metric: str) -> Callable[[Connection, dict[str, int]], None]:
    def edit(conn: Connection, ids: dict[str, int]) -> None:
        conn.execute(sa.delete(MonthlyReport).where(MonthlyReport.facility_id == ids[facility],
                                                    MonthlyReport.metric == metric))
    return edit


def test_a_status_report_never_filed_is_no_value_and_the_unit_is_named(changed) -> None:
    engine = changed(_drop_report("T2", "tcm_hall"))
    hall = _one(engine, "tcm_hall_coverage")
    assert (hall.numerator, hall.denominator, hall.missing_units) == (1, 1, ("T2",))  # T1 has one; T2 unknown
    pastoral = _one(engine, "tcm_hall_coverage", Scope("area", ("pastoral",)))  # T2 alone
    assert (pastoral.value, pastoral.status, pastoral.missing_units) == (None, None, ("T2",))  # not "no hall"
    assert _one(engine, "tcm_hall_coverage", Scope("area", ("urban",))).missing_units == ()


def test_an_emr_level_never_reported_is_no_value_not_level_0(changed) -> None:
    engine = changed(_drop_report("H", "emr_level"))
    level = _one(engine, "emr_level", _unit("H"))
    assert (level.value, level.status) == (None, None)


def test_a_stock_is_carried_forward_for_the_stated_months_and_labelled(changed) -> None:
    def september_only(conn: Connection, ids: dict[str, int]) -> None:
        conn.execute(sa.update(MonthlyReport).where(MonthlyReport.facility_id == ids["T2"],
                                                    MonthlyReport.metric == "ambulances")
                     .values(month=dt.date(2026, 8, 1)))

    engine = changed(september_only)
    october = _one(engine, "thc_ambulance_coverage")
    assert (october.value, october.as_of, october.missing_units) == (1.0, dt.date(2026, 8, 1), ())
    november = _one(engine, "thc_ambulance_coverage", period=Period("month", dt.date(2026, 11, 1)))
    assert (november.value, november.missing_units) == (1.0, ("T2",))  # T2's August report has lapsed
    later = Engine(engine.conn, today=dt.date(2027, 2, 5))
    january = _one(later, "thc_ambulance_coverage", period=Period("month", dt.date(2027, 1, 1)))
    assert january.value is None  # October is the last report anyone filed: three months on, it has lapsed
    assert set(january.missing_units) == {"T1", "T2"}


def test_a_register_return_missing_leaves_the_unit_out_and_names_it(changed) -> None:
    def v2_files_nothing(conn: Connection, ids: dict[str, int]) -> None:
        conn.execute(sa.delete(RegisterCount).where(RegisterCount.facility_id == ids["V2"]))

    htn = _one(changed(v2_files_nothing), "htn_managed_rate")
    assert (htn.numerator, htn.denominator, htn.missing_units) == (30, 40, ("V2",))  # V1's 30 of 40 alone


def test_the_running_month_reads_last_months_stocks_labelled_as_of(changed) -> None:
    engine = changed(lambda conn, ids: None)
    november = _one(engine, "htn_managed_rate", period=Period("month", dt.date(2026, 11, 1)))
    assert (november.numerator, november.denominator, november.as_of) == (42, 60, tiny.OCT)


def _stint(staff: str, host: str, start: dt.date, days: int, kind: str = "stationed"):
    def edit(conn: Connection, ids: dict[str, int]) -> None:
        staff_id = conn.execute(sa.select(Staff.id).where(Staff.staff_key == staff)).scalar_one()
        events.record(conn, SinkingDeployment, [{"staff_id": staff_id, "host_facility_id": ids[host],
                                                 "start_date": start, "days": days, "kind": kind}])
    return edit


def test_a_stationed_physician_is_counted_once_on_the_periods_last_day(changed) -> None:
    # d2 is on station at T2 from 25 October; a second posting at T1 from 28 October overlaps it: d2 is
    # one physician, counted at the posting started last.
    engine = changed(_stint("d2", "T1", dt.date(2026, 10, 28), 30))
    assert _one(engine, "stationed_physicians_per_10k").numerator == 1
    assert _one(engine, "stationed_physicians_per_10k", Scope("area", ("urban",))).numerator == 1
    assert _one(engine, "stationed_physicians_per_10k", Scope("area", ("pastoral",))).numerator == 0


def _staff(key: str, **values: object) -> Callable[[Connection, dict[str, int]], None]:
    def edit(conn: Connection, ids: dict[str, int]) -> None:
        conn.execute(sa.update(Staff).where(Staff.staff_key == key).values(**values))
    return edit


@pytest.mark.parametrize("change", [{"is_leader": True}, {"department": "imaging"}, {"department": "ultrasound"},
                                    {"department": "laboratory"}, {"specialty_class": "public_health"},
                                    {"end_date": dt.date(2026, 9, 30)}])
def test_who_owes_days_at_the_grassroots(changed, change: dict) -> None:
    # d1 and d2 are H's intermediate+ clinicians (1 of 2 on track); a leader, an auxiliary doctor, a
    # public-health doctor or one who left is not counted (000 §二(六)1).
    sinking = _one(changed(_staff("d2", **change)), "sinking_days_compliance")
    assert (sinking.numerator, sinking.denominator) == (1, 1)


def test_the_mch_centres_clinicians_owe_days_too(changed) -> None:
    def mch_doctor(conn: Connection, ids: dict[str, int]) -> None:
        conn.execute(sa.update(Facility).where(Facility.code == "H").values(tier_code="mch_centre"))

    sinking = _one(changed(mch_doctor), "sinking_days_compliance")
    assert (sinking.numerator, sinking.denominator) == (1, 2)


def test_gps_are_registered_ones_on_the_roster_of_the_period(changed) -> None:
    def roster(conn: Connection, ids: dict[str, int]) -> None:
        conn.execute(sa.update(Staff).where(Staff.staff_key == "g1").values(licensed=False))
        conn.execute(sa.update(Staff).where(Staff.staff_key == "g2").values(end_date=dt.date(2026, 10, 15)))
        conn.execute(sa.update(Staff).where(Staff.staff_key == "g3").values(start_date=dt.date(2026, 11, 1)))

    engine = changed(roster)
    assert _one(engine, "gp_per_10k").numerator == 1  # g4 (g1 unregistered, g2 left mid-October, g3 came later)
    assert _one(engine, "gp_per_10k", period=Period("month", tiny.SEP)).numerator == 2  # g2 and g4


def test_a_mean_over_few_admissions_is_flagged_like_a_rate(changed) -> None:
    cost = _one(changed(lambda conn, ids: None), "cost_per_admission", _unit("H"))
    assert cost.denominator == 1
    assert cost.small_denominator


def test_the_tiers_owing_a_stock_follow_every_write_of_reports_and_registers(store_url: str) -> None:
    """Which tiers owe a stock report is kept on write (migration 0019), whoever writes: plain SQL here."""
    tiny.build(store_url)
    m, r = MonthlyReport, RegisterCount
    with db.engine(store_url).begin() as conn:
        ids = dict(conn.execute(sa.select(Facility.code, Facility.id)).all())
        tier = dict(conn.execute(sa.select(Facility.code, Facility.tier_code)).all())

        def owed(stock: str) -> frozenset[str]:
            return measures.reporting_tiers(conn).get(stock, frozenset())

        assert owed("rep_emr_level") == {tier["H"]}
        conn.execute(sa.insert(m).values(facility_id=ids["T1"], month=tiny.OCT, metric="emr_level", value=2,
                                         received_at=dt.datetime(2026, 11, 3)))
        assert owed("rep_emr_level") == {tier["H"], tier["T1"]}
        conn.execute(sa.update(m).where(m.facility_id == ids["T1"], m.metric == "emr_level")
                     .values(facility_id=ids["V1"]))
        assert owed("rep_emr_level") == {tier["H"], tier["V1"]}  # no THC row of it left
        assert owed("reg_htn") == {tier["V1"]}
        conn.execute(sa.update(r).where(r.facility_id == ids["V1"], r.register == "htn").values(register="copd"))
        assert owed("reg_copd") == owed("man_copd") == {tier["V1"]}
        assert owed("reg_htn") == {tier["V2"]}  # V2's return still holds it
        conn.execute(sa.delete(r).where(r.register == "htn"))
        conn.execute(sa.delete(m).where(m.metric == "emr_level"))
        assert owed("reg_htn") == owed("rep_emr_level") == frozenset()
