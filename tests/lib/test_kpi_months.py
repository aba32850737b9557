"""Months computed once (lib.kpi.months): the same figures as a period computed whole, kept (the running
month as of today), and made stale by late data in the transaction that brings it, whoever writes it."""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from lib.events import write
from lib.kpi import engine, measures, months
from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.store import db
from lib.store.models import Facility, IndicatorTarget, MeasureSnapshot, MonthlyReport, Staff, Visit
from tests.conftest import make_store
from tests.fixtures import tiny

DEMO_TODAY = dt.date(2026, 3, 18)  # mid-month, as in tests/lib/test_kpi_parity.py (the same shared store)


def _aligned(held: measures.PeriodMeasures, units: pd.Index, columns: list[str]) -> np.ndarray:
    """A period's measures over every unit and measure, as the engine reads them: a flow nobody had is 0,
    a stock nobody reported is missing (NaN)."""
    values = held.values.reindex(index=units, columns=columns)
    flows = [c for c in columns if not measures.carried(c)]
    values[flows] = values[flows].fillna(0.0)
    return values.to_numpy(dtype=float)


def _assert_same(composed: measures.PeriodMeasures, whole: measures.PeriodMeasures, units: pd.Index) -> None:
    columns = sorted(set(composed.values.columns) | set(whole.values.columns))
    np.testing.assert_allclose(_aligned(composed, units, columns), _aligned(whole, units, columns), equal_nan=True)
    stocks = sorted(set(composed.reported.columns) | set(whole.reported.columns))
    np.testing.assert_array_equal(composed.reported.reindex(index=units, columns=stocks).to_numpy(dtype=float),
                                  whole.reported.reindex(index=units, columns=stocks).to_numpy(dtype=float))


@pytest.fixture(scope="module")
def demo_url(demo_stores) -> str:
    return demo_stores("sqlite", scale=0.02, today=DEMO_TODAY).url


PERIODS = [Period("month", dt.date(2026, 2, 1)), Period("month", DEMO_TODAY), Period("ytd", dt.date(2025, 12, 1)),
           Period("ytd", DEMO_TODAY), Period("ytd", dt.date(2026, 1, 1)), Period("r12", DEMO_TODAY),
           Period("r12", dt.date(2025, 8, 1)), Period("today", DEMO_TODAY)]


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.kind}-{p.end:%Y-%m}")
def test_a_period_from_its_months_equals_the_period_computed_whole(demo_url: str, period: Period) -> None:
    with db.engine(demo_url).connect() as conn:
        units = measures.facilities(conn).index
        composed = months.period_measures(conn, [period], DEMO_TODAY)[period]
        whole = measures.facility_measures(conn, [period], DEMO_TODAY)[period]
    assert composed.values.to_numpy(dtype=float).any()
    _assert_same(composed, whole, units)


def test_every_measure_the_roster_gives_is_a_stock() -> None:
    assert set(measures.STAFF_MEASURES) <= set(measures.CARRIED)
    assert measures.carried("reg_htn")
    assert measures.carried("fd_active_priority")
    assert measures.carried("rep_tcm_hall")
    assert not measures.carried("visits")
    assert not measures.carried("rep_qc_score_sum")
    assert not measures.carried("sink_days")
    assert not measures.carried("ref_sent:up")


@pytest.fixture(params=["sqlite", "postgresql"])
def tiny_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The tiny county in a store of its own: these tests write late data."""
    with make_store(request.param, tmp_path, fill=tiny.build) as url:
        yield url


SEPTEMBER = Period("month", dt.date(2026, 9, 1))
YTD_OCTOBER = Period("ytd", dt.date(2026, 10, 1))
NOVEMBER = Period("month", tiny.TODAY)  # the month running on tiny.TODAY


def _county(url: str, code: str, period: Period, today: dt.date = tiny.TODAY) -> tuple[float | None, float | None]:
    with db.engine(url).connect() as conn:
        value = Engine(conn, today=today).compute([code], [Scope()], period, compare=False)[0]
    return value.numerator, value.denominator


def _tcm_visit(url: str, ts: dt.datetime) -> None:
    """One TCM visit at the county hospital, written as the live feed and the imports write."""
    with db.engine(url).begin() as conn:
        h = conn.execute(sa.select(Facility.id).where(Facility.code == "H")).scalar_one()
        write.record(conn, Visit, [{"facility_id": h, "ts": ts, "kind": "outpatient", "is_tcm": True,
                                    "is_insured_resident": True, "cost": 80.0, "fund_paid": 40.0}])


def _kept(url: str, column: sa.orm.InstrumentedAttribute) -> dict[Period, object]:
    """Each kept span (a month, a year to date) and one of its columns."""
    s = MeasureSnapshot
    with db.engine(url).connect() as conn:
        return {Period(span, month): v for span, month, v in conn.execute(sa.select(s.span, s.month, column))}


def _as_of(url: str) -> dict[Period, object]:
    return _kept(url, MeasureSnapshot.as_of)


def _snapshots(url: str) -> dict[Period, object]:
    return _kept(url, MeasureSnapshot.basis)


def test_a_closed_month_is_kept_once_and_read_back(tiny_store: str) -> None:
    first = _county(tiny_store, "tcm_visit_share", YTD_OCTOBER)
    kept = _snapshots(tiny_store)
    assert set(kept) == {Period("month", dt.date(2026, m, 1)) for m in range(1, 11)} | {YTD_OCTOBER}
    assert _county(tiny_store, "tcm_visit_share", YTD_OCTOBER) == first
    assert _snapshots(tiny_store) == kept  # read back, not computed and kept again


def test_the_running_month_is_kept_as_of_today_and_read_back_by_a_restarted_server(
        tiny_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _tcm_visit(tiny_store, dt.datetime(2026, 11, 3, 9))
    first = _county(tiny_store, "tcm_visit_share", NOVEMBER)
    assert first[0] == 1
    assert _as_of(tiny_store)[NOVEMBER] == tiny.TODAY
    monkeypatch.setattr(months, "_DECODED", months._Decoded(months.KEPT_SPANS))  # a new process holds nothing
    monkeypatch.setattr(engine, "_KNOWN", OrderedDict())
    sent = _statements(tiny_store, lambda conn: _county(tiny_store, "tcm_visit_share", NOVEMBER))
    assert any("measure_snapshot" in s for s in sent)
    assert not [s for s in sent if "rollup_" in s or "FROM visit" in s]  # read back, not computed
    assert _county(tiny_store, "tcm_visit_share", NOVEMBER) == first


def test_a_year_to_date_is_kept_whole_and_read_back_without_its_months(
        tiny_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    first = _county(tiny_store, "tcm_visit_share", YTD_OCTOBER)
    with db.engine(tiny_store).begin() as conn:  # nothing of the months left: only the year can answer
        conn.execute(sa.delete(MeasureSnapshot).where(MeasureSnapshot.span == "month"))
    monkeypatch.setattr(months, "_DECODED", months._Decoded(months.KEPT_SPANS))
    monkeypatch.setattr(engine, "_KNOWN", OrderedDict())
    sent = _statements(tiny_store, lambda conn: _county(tiny_store, "tcm_visit_share", YTD_OCTOBER))
    assert not [s for s in sent if "rollup_" in s or "FROM visit" in s]
    assert _county(tiny_store, "tcm_visit_share", YTD_OCTOBER) == first
    assert set(_snapshots(tiny_store)) == {YTD_OCTOBER}


def test_the_running_month_kept_yesterday_is_computed_again_today_and_when_it_closes(tiny_store: str) -> None:
    _county(tiny_store, "sinking_days_hosted", NOVEMBER)
    for today in (tiny.TODAY + dt.timedelta(days=1), dt.date(2026, 12, 1)):
        _county(tiny_store, "sinking_days_hosted", NOVEMBER, today)
        assert _as_of(tiny_store)[NOVEMBER] == min(today, NOVEMBER.last_date)
        with db.engine(tiny_store).connect() as conn:
            composed = months.period_measures(conn, [NOVEMBER], today)[NOVEMBER]
            whole = measures.facility_measures(conn, [NOVEMBER], today)[NOVEMBER]
            _assert_same(composed, whole, measures.facilities(conn).index)


def test_a_live_event_in_the_running_month_is_counted_at_once(tiny_store: str) -> None:
    _tcm_visit(tiny_store, dt.datetime(2026, 11, 3, 9))
    assert _county(tiny_store, "tcm_visit_share", NOVEMBER)[0] == 1
    _tcm_visit(tiny_store, dt.datetime(2026, 11, 5, 9))
    assert _county(tiny_store, "tcm_visit_share", NOVEMBER)[0] == 2


def test_a_late_event_changes_its_month_and_the_months_after(tiny_store: str) -> None:
    visits, _ = _county(tiny_store, "tcm_visit_share", SEPTEMBER)
    _county(tiny_store, "tcm_visit_share", YTD_OCTOBER)
    _tcm_visit(tiny_store, dt.datetime(2026, 9, 20, 10))
    assert _county(tiny_store, "tcm_visit_share", SEPTEMBER)[0] == visits + 1
    with db.engine(tiny_store).connect() as conn:
        whole = measures.facility_measures(conn, [YTD_OCTOBER], tiny.TODAY)[YTD_OCTOBER]
        composed = months.period_measures(conn, [YTD_OCTOBER], tiny.TODAY)[YTD_OCTOBER]
        _assert_same(composed, whole, measures.facilities(conn).index)
    assert Period("month", dt.date(2026, 8, 1)) in _snapshots(tiny_store)  # August did not change: still kept


def test_a_report_or_roster_changed_by_any_writer_makes_the_kept_months_stale(tiny_store: str) -> None:
    before = _county(tiny_store, "qc_score", SEPTEMBER)
    gps = _county(tiny_store, "gp_per_10k", SEPTEMBER)
    with db.engine(tiny_store).begin() as conn:  # plain SQL, as a script or another system would write
        conn.execute(sa.update(MonthlyReport).where(MonthlyReport.metric == "qc_score",
                                                    MonthlyReport.month == SEPTEMBER.end)
                     .values(value=MonthlyReport.value + 10))
        conn.execute(sa.update(Staff).where(Staff.specialty_class == "gp").values(licensed=False))
    after = _county(tiny_store, "qc_score", SEPTEMBER)
    assert before[0] is not None
    assert after[0] == pytest.approx(before[0] + 10 * before[1])
    assert gps[0]
    assert _county(tiny_store, "gp_per_10k", SEPTEMBER)[0] == 0


def test_an_engine_inside_a_write_keeps_nothing_until_the_write_is_over(tiny_store: str) -> None:
    with db.engine(tiny_store).begin() as conn:  # a check or a publication reading figures in its own write
        conn.execute(sa.update(MonthlyReport).where(MonthlyReport.metric == "qc_score").values(value=90))
        inside = Engine(conn, today=tiny.TODAY).compute(["qc_score"], [Scope()], SEPTEMBER, compare=False)[0]
        assert inside.value == 90
        if conn.dialect.name == "sqlite":  # one writer: nothing is kept while the caller writes
            assert not conn.execute(sa.select(sa.func.count()).select_from(MeasureSnapshot)).scalar_one()
    assert _county(tiny_store, "qc_score", SEPTEMBER)[0] == 90
    assert SEPTEMBER in _snapshots(tiny_store)


def _statements(url: str, run) -> list[str]:
    """The SQL statements ``run(conn)`` sends (the engine's reads, told apart by the tables they name)."""
    sent: list[str] = []
    engine = db.engine(url)

    def seen(conn, cursor, statement, *args) -> None:
        sent.append(statement)

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        with engine.connect() as conn:
            run(conn)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    return sent


def _qc_score(conn: sa.Connection) -> float | None:
    return Engine(conn, today=tiny.TODAY).compute(["qc_score"], [Scope()], SEPTEMBER)[0].value


def test_engines_of_an_unchanged_store_share_their_work_and_a_write_ends_it(tiny_store: str) -> None:
    first = _statements(tiny_store, _qc_score)
    again = _statements(tiny_store, _qc_score)
    assert any("rollup_monthly" in s for s in first)
    read = ("rollup_monthly", "monthly_report", "facility", "indicator", "measure_snapshot")
    assert again  # the store's state is read every time ...
    assert not [s for s in again if any(table in s for table in read)]  # ... and nothing else
    with db.engine(tiny_store).begin() as conn:
        conn.execute(sa.update(MonthlyReport).where(MonthlyReport.metric == "qc_score").values(value=77))
    after = _statements(tiny_store, _qc_score)
    assert any("monthly_report" in s for s in after)
    with db.engine(tiny_store).connect() as conn:
        assert _qc_score(conn) == 77


def test_a_target_edited_reaches_the_next_engine(tiny_store: str) -> None:
    def target(conn: sa.Connection) -> float | None:
        return Engine(conn, today=tiny.TODAY).compute(["primary_visit_share"], [Scope()], SEPTEMBER)[0].target

    with db.engine(tiny_store).connect() as conn:
        before = target(conn)
    assert before is not None
    with db.engine(tiny_store).begin() as conn:
        conn.execute(sa.update(IndicatorTarget).where(IndicatorTarget.indicator_code == "primary_visit_share")
                     .values(value=0.77))
    with db.engine(tiny_store).connect() as conn:
        assert target(conn) == pytest.approx(0.77) != before


def test_figures_read_inside_a_rolled_back_write_are_never_served_later(tiny_store: str) -> None:
    """The same statement rolled back, then committed with another value, brings the store's generations to
    the same sum: what the rolled-back read saw must not be taken for that state."""
    def set_qc(conn: sa.Connection, value: float) -> None:
        conn.execute(sa.update(MonthlyReport).where(MonthlyReport.metric == "qc_score").values(value=value))

    with db.engine(tiny_store).connect() as conn:
        set_qc(conn, 90)
        assert _qc_score(conn) == 90
        conn.rollback()
    with db.engine(tiny_store).begin() as conn:
        set_qc(conn, 50)
    with db.engine(tiny_store).connect() as conn:
        assert _qc_score(conn) == 50
