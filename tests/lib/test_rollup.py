"""Rollups: the incremental path (lib.events) equals a rebuild from raw events, for random event sets."""

import datetime as dt
from collections import Counter

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib import db, events, registry, rollup
from lib.models import DailyRollup, EmergencyDispatch, Facility, MonthlyRollup, Referral, Visit

START = dt.datetime(2026, 1, 30, 8)

visit = st.fixed_dictionaries({
    "unit": st.integers(0, 4),
    "minutes": st.integers(0, 60 * 24 * 40),  # spans a month boundary
    "kind": st.sampled_from(["outpatient", "emergency"]),
    "is_tcm": st.booleans(),
    "is_insured_resident": st.booleans(),
    "cost": st.integers(0, 500),
})
referral = st.fixed_dictionaries({
    "src": st.integers(0, 4), "dst": st.integers(0, 4), "minutes": st.integers(0, 60 * 24 * 40),
    "accepted_after": st.one_of(st.none(), st.integers(1, 600)), "feedback": st.booleans(),
})
dispatch = st.fixed_dictionaries({
    "unit": st.integers(0, 4), "minutes": st.integers(0, 60 * 24 * 40),
    "arrive_after": st.one_of(st.none(), st.integers(1, 180)),
})


def _snapshot(conn: sa.Connection) -> tuple[dict, dict]:
    def table(t: type) -> dict:
        key = t.day if t is DailyRollup else t.month
        rows = conn.execute(sa.select(key, t.facility_id, t.metric, t.dim, t.value)).all()
        return {(str(k), f, m, d): round(v, 6) for k, f, m, d, v in rows if round(v, 6) != 0}
    return table(DailyRollup), table(MonthlyRollup)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def loaded_url(request, tmp_path_factory):
    from tests.conftest import _store

    for url in _store(request.param, tmp_path_factory.mktemp("rollup")):
        with db.engine(url).begin() as conn:
            registry.load(conn, registry.DATA.parent / "tests" / "fixtures" / "tiny_registry.toml")
        yield url


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(visits=st.lists(visit, max_size=25), referrals=st.lists(referral, max_size=10),
       dispatches=st.lists(dispatch, max_size=8), batch=st.integers(1, 7))
def test_incremental_rollups_equal_a_rebuild(loaded_url, visits, referrals, dispatches, batch):
    engine = db.engine(loaded_url)
    conn = engine.connect()
    tx = conn.begin()
    try:
        ids = conn.execute(sa.select(Facility.id).order_by(Facility.id)).scalars().all()
        dest = conn.execute(sa.text("SELECT id FROM destination")).scalar_one()
        visit_rows = [{"facility_id": ids[v["unit"]], "ts": START + dt.timedelta(minutes=v["minutes"]),
                       "kind": v["kind"], "is_tcm": v["is_tcm"], "is_insured_resident": v["is_insured_resident"],
                       "cost": v["cost"], "fund_paid": v["cost"] // 2} for v in visits]
        for i in range(0, len(visit_rows), batch):  # batches of any size, as the feed writes them
            events.record(conn, Visit, visit_rows[i:i + batch])
        ref_ids = events.record(conn, Referral, [
            {"from_facility_id": ids[r["src"]], "to_facility_id": None if r["src"] == r["dst"] else ids[r["dst"]],
             "destination_id": dest if r["src"] == r["dst"] else None,
             "direction": "out" if r["src"] == r["dst"] else ("up" if r["src"] > r["dst"] else "down"),
             "disease_group": "other", "sent_at": START + dt.timedelta(minutes=r["minutes"])} for r in referrals])
        for r, rid in zip(referrals, ref_ids, strict=True):  # later: accepted, then feedback
            if r["accepted_after"] is not None:
                accepted = START + dt.timedelta(minutes=r["minutes"] + r["accepted_after"])
                events.update(conn, Referral, [rid], {"accepted_at": accepted})
                if r["feedback"]:
                    events.update(conn, Referral, [rid], {"feedback_at": accepted + dt.timedelta(hours=1)})
        ems_ids = events.record(conn, EmergencyDispatch, [
            {"facility_id": ids[d["unit"]], "call_at": START + dt.timedelta(minutes=d["minutes"])} for d in dispatches])
        for d, eid in zip(dispatches, ems_ids, strict=True):
            if d["arrive_after"] is not None:
                arrived = START + dt.timedelta(minutes=d["minutes"] + d["arrive_after"])
                events.update(conn, EmergencyDispatch, [eid], {"arrived_at": arrived})

        incremental = _snapshot(conn)
        rollup.rebuild(conn)
        assert _snapshot(conn) == incremental

        # And independently of the metric definitions: visits per unit and day, counted in Python.
        daily, monthly = incremental
        by_day = Counter((str((START + dt.timedelta(minutes=v["minutes"])).date()), ids[v["unit"]]) for v in visits)
        assert {k[:2]: v for k, v in daily.items() if k[2] == "visits"} == dict(by_day)
        tcm_month = Counter((str((START + dt.timedelta(minutes=v["minutes"])).date().replace(day=1)), ids[v["unit"]])
                            for v in visits if v["is_tcm"])
        assert {k[:2]: v for k, v in monthly.items() if k[2] == "visits_tcm"} == dict(tcm_month)
        closed = sum(1 for r in referrals if r["accepted_after"] is not None and r["feedback"])
        assert sum(v for k, v in monthly.items() if k[2] == "ref_closed") == closed
    finally:
        tx.rollback()
        conn.close()


def test_rebuild_restores_rollups_after_loss(tiny_url):
    with db.engine(tiny_url).connect() as conn:
        before = _snapshot(conn)
    tx_conn = db.engine(tiny_url).connect()
    tx = tx_conn.begin()
    try:
        tx_conn.execute(sa.delete(DailyRollup))
        tx_conn.execute(sa.delete(MonthlyRollup))
        rollup.rebuild(tx_conn)
        assert _snapshot(tx_conn) == before
    finally:
        tx.rollback()
        tx_conn.close()
