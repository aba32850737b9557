"""Rollups: the incremental path (lib.events) equals a rebuild from raw events, for random event sets of
every event table; the declarations' fingerprint tells which declarations a store's rollups were built by."""

import dataclasses
import datetime as dt
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lib import registry
from lib.events import rollup
from lib.events import write as events
from lib.store import db
from lib.store.models import (
    Admission,
    Base,
    DailyRollup,
    DrugDelivery,
    EmergencyDispatch,
    Facility,
    FdContract,
    FollowUp,
    LabTest,
    MonthlyRollup,
    Referral,
    RemoteRead,
    RxReview,
    SinkingDeployment,
    Staff,
    StoreMeta,
    Visit,
)

START = dt.datetime(2026, 1, 30, 8)
SPAN = 60 * 24 * 40  # minutes: spans a month boundary

# Rows are drawn without the store's ids: a facility field holds a unit index (0-4) of the tiny county,
# DEST and STAFF stand for its one destination and one staff member; _resolve puts the ids in.
DEST, STAFF = "<destination>", "<staff>"
FACILITY_FIELDS = frozenset({"facility_id", "home_facility_id", "from_facility_id", "to_facility_id",
                             "reader_facility_id", "lab_facility_id", "host_facility_id"})

unit = st.integers(0, 4)
at = st.integers(0, SPAN).map(lambda m: START + dt.timedelta(minutes=m))
day = st.integers(0, SPAN // 1440).map(lambda d: START.date() + dt.timedelta(days=d))
money = st.integers(0, 500)
Event = tuple[dict[str, Any], list[dict[str, Any]]]  # a row, then the updates it gets, in order


def _after(start: dt.datetime, minutes: int) -> dt.datetime:
    return start + dt.timedelta(minutes=minutes)


@st.composite
def visits(draw: st.DrawFn) -> Event:
    cost = draw(money)
    resident = draw(st.booleans())
    # A resident's home unit (or none known); a visitor has none.
    row = {"facility_id": draw(unit), "home_facility_id": draw(st.one_of(st.none(), unit)) if resident else None,
           "ts": draw(at), "kind": draw(st.sampled_from(["outpatient", "emergency"])),
           "is_tcm": draw(st.booleans()), "is_insured_resident": resident, "cost": cost, "fund_paid": cost // 2,
           "syndrome": draw(st.sampled_from([None, "fever_resp", "diarrhoea"]))}
    # A correction: another unit, time and price, so the row's contribution moves between buckets.
    return row, draw(st.lists(st.fixed_dictionaries({"facility_id": unit, "ts": at, "cost": money}), max_size=1))


@st.composite
def admissions(draw: st.DrawFn) -> Event:
    in_county = draw(st.booleans())
    admitted = draw(at)
    row = {"home_facility_id": draw(unit), "facility_id": draw(unit) if in_county else None,
           "destination_id": None if in_county else DEST, "in_county": in_county, "admitted_at": admitted,
           "disease_group": draw(st.sampled_from(["respiratory", "circulatory"])),
           "is_insured_resident": draw(st.booleans()), "chronic_managed": draw(st.booleans()),
           "cost": draw(money), "fund_paid": draw(money), "source": "his" if in_county else "insurance_settlement"}
    updates = []
    if draw(st.booleans()):  # discharged
        updates.append({"discharged_at": _after(admitted, draw(st.integers(60, 60 * 24 * 10)))})
    if draw(st.booleans()):  # settled: the fund's share and the register flag corrected
        updates.append({"fund_paid": draw(money), "chronic_managed": draw(st.booleans())})
    return row, updates


@st.composite
def referrals(draw: st.DrawFn) -> Event:
    src, dst, sent = draw(unit), draw(unit), draw(at)
    out = src == dst
    row = {"from_facility_id": src, "to_facility_id": None if out else dst, "destination_id": DEST if out else None,
           "direction": "out" if out else ("up" if src > dst else "down"), "disease_group": "other", "sent_at": sent}
    updates = []
    accepted_after = draw(st.one_of(st.none(), st.integers(1, 600)))
    if accepted_after is not None:  # later: accepted, then perhaps feedback
        accepted = _after(sent, accepted_after)
        updates.append({"accepted_at": accepted})
        if draw(st.booleans()):
            updates.append({"feedback_at": accepted + dt.timedelta(hours=1)})
    return row, updates


@st.composite
def dispatches(draw: st.DrawFn) -> Event:
    call = draw(at)
    row = {"facility_id": draw(unit), "call_at": call}
    # As the feed moves them on: dispatched, arrived, completed, each a separate update.
    steps = draw(st.lists(st.integers(1, 90), max_size=3))
    updates, when = [], call
    for column, minutes in zip(("dispatched_at", "arrived_at", "completed_at"), steps, strict=False):
        when = _after(when, minutes)
        updates.append({column: when})
    return row, updates


@st.composite
def reads(draw: st.DrawFn) -> Event:
    requested = draw(at)
    row = {"facility_id": draw(unit), "reader_facility_id": 0,
           "modality": draw(st.sampled_from(["imaging", "ecg"])), "requested_at": requested}
    reported = draw(st.one_of(st.none(), st.integers(1, 120)))
    return row, [] if reported is None else [{"reported_at": _after(requested, reported)}]


@st.composite
def rx_reviews(draw: st.DrawFn) -> Event:
    submitted = draw(at)
    row = {"facility_id": draw(unit), "submitted_at": submitted}
    reviewed = draw(st.one_of(st.none(), st.integers(1, 30)))
    return row, [] if reviewed is None else [{"reviewed_at": _after(submitted, reviewed),
                                              "passed": draw(st.booleans())}]


@st.composite
def lab_tests(draw: st.DrawFn) -> Event:
    collected = draw(at)
    row = {"facility_id": draw(unit), "lab_facility_id": 0, "collected_at": collected}
    reported = draw(st.one_of(st.none(), st.integers(1, 600)))
    return row, [] if reported is None else [{"reported_at": _after(collected, reported)}]


@st.composite
def follow_ups(draw: st.DrawFn) -> Event:
    due = draw(day)
    done = st.integers(-5, 5).map(lambda d: due + dt.timedelta(days=d))
    row = {"facility_id": draw(unit), "programme": draw(st.sampled_from(["htn", "dm"])), "due_date": due,
           "done_date": draw(st.one_of(st.none(), done))}  # the feed records some already done
    return row, [] if row["done_date"] is not None else draw(st.lists(st.fixed_dictionaries({"done_date": done}),
                                                                      max_size=1))


@st.composite
def deliveries(draw: st.DrawFn) -> Event:
    promised = draw(at)
    row = {"facility_id": draw(unit), "promised_at": promised, "stockout": draw(st.booleans())}
    delivered = draw(st.one_of(st.none(), st.integers(-600, 600)))
    return row, [] if delivered is None else [{"delivered_at": _after(promised, delivered)}]


@st.composite
def deployments(draw: st.DrawFn) -> Event:
    row = {"staff_id": STAFF, "host_facility_id": draw(unit), "start_date": draw(day), "days": draw(st.integers(1, 30)),
           "kind": draw(st.sampled_from(["stationed", "rotation", "tour"])), "planned": draw(st.booleans())}
    return row, draw(st.lists(st.fixed_dictionaries({"days": st.integers(0, 30)}), max_size=1))  # days corrected


@st.composite
def contracts(draw: st.DrawFn) -> Event:
    signed = draw(day)
    until = st.integers(0, 40).map(lambda d: signed + dt.timedelta(days=d))  # ends inside the window, or not
    row = {"facility_id": draw(unit), "signed_on": signed, "priority_group": draw(st.booleans()),
           "valid_until": draw(st.one_of(st.just(signed + dt.timedelta(days=364)), until))}
    return row, draw(st.lists(st.fixed_dictionaries({"valid_until": until}), max_size=1))  # ended early


# One strategy per event table the rollups read, with how many rows an example draws at most (each write
# costs a few statements per metric family: small lists keep the test quick on both stores).
EVENTS: dict[type[Base], tuple[st.SearchStrategy[Event], int]] = {
    Visit: (visits(), 8), Admission: (admissions(), 3), Referral: (referrals(), 4),
    EmergencyDispatch: (dispatches(), 3), RemoteRead: (reads(), 3), RxReview: (rx_reviews(), 3),
    LabTest: (lab_tests(), 3), FollowUp: (follow_ups(), 3), DrugDelivery: (deliveries(), 3),
    SinkingDeployment: (deployments(), 3), FdContract: (contracts(), 3),
}


def _resolve(values: Mapping[str, Any], ids: list[int], dest: int, staff: int) -> dict[str, Any]:
    def one(key: str, v: Any) -> Any:
        if key in FACILITY_FIELDS and v is not None:
            return ids[v]
        return {DEST: dest, STAFF: staff}.get(v, v) if isinstance(v, str) else v
    return {k: one(k, v) for k, v in values.items()}


def _final(event: Event) -> dict[str, Any]:
    """The row as it stands after its updates."""
    row, updates = event
    out = dict(row)
    for u in updates:
        out.update(u)
    return out


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
            first = conn.execute(sa.select(Facility.id).order_by(Facility.id)).scalars().first()
            conn.execute(sa.insert(Staff), [{"staff_key": "s1", "facility_id": first, "title_grade": "senior",
                                             "specialty_class": "clinical", "is_physician": True,
                                             "is_health_technician": False, "licensed": True}])
        yield url


def test_every_event_table_is_drawn():
    assert set(EVENTS) == set(rollup.EVENT_MODELS)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=st.fixed_dictionaries({model: st.lists(strategy, max_size=n) for model, (strategy, n) in EVENTS.items()}),
       batch=st.integers(1, 7))
def test_incremental_rollups_equal_a_rebuild(loaded_url, drawn, batch):
    engine = db.engine(loaded_url)
    conn = engine.connect()
    tx = conn.begin()
    try:
        ids = conn.execute(sa.select(Facility.id).order_by(Facility.id)).scalars().all()
        dest = conn.execute(sa.text("SELECT id FROM destination")).scalar_one()
        staff = conn.execute(sa.select(Staff.id)).scalar_one()
        new_ids: dict[type[Base], list[int]] = {}
        for model, drawn_events in drawn.items():
            rows = [_resolve(row, ids, dest, staff) for row, _ in drawn_events]
            new_ids[model] = []
            for i in range(0, len(rows), batch):  # batches of any size, as the feed writes them
                new_ids[model] += events.record(conn, model, rows[i:i + batch])
        for step in range(max((len(u) for evs in drawn.values() for _, u in evs), default=0)):
            # Later, round by round: one update per model and set of values, as the feed moves rows on.
            for model, drawn_events in drawn.items():
                groups: dict[tuple, list[int]] = {}
                for (_, updates), row_id in zip(drawn_events, new_ids[model], strict=True):
                    if step < len(updates):
                        groups.setdefault(tuple(sorted(updates[step].items())), []).append(row_id)
                for values, group in groups.items():
                    events.update(conn, model, group, _resolve(dict(values), ids, dest, staff))

        incremental = _snapshot(conn)
        rollup.rebuild(conn)
        assert _snapshot(conn) == incremental

        # And independently of the metric definitions, counted in Python from the rows as they stand.
        daily, monthly = incremental
        visits_now = [_final(e) for e in drawn[Visit]]
        by_day = Counter((str(v["ts"].date()), ids[v["facility_id"]]) for v in visits_now)
        assert {k[:2]: v for k, v in daily.items() if k[2] == "visits"} == dict(by_day)
        tcm_month = Counter((str(v["ts"].date().replace(day=1)), ids[v["facility_id"]])
                            for v in visits_now if v["is_tcm"])
        assert {k[:2]: v for k, v in monthly.items() if k[2] == "visits_tcm"} == dict(tcm_month)
        # Residents' visits by home unit, and those made at a primary unit (all but unit 0, the hospital H).
        home = [(str(v["ts"].date().replace(day=1)), ids[v["home_facility_id"]], v["facility_id"] != 0)
                for v in visits_now if v["is_insured_resident"] and v["home_facility_id"] is not None]
        assert {k[:2]: v for k, v in monthly.items() if k[2] == "visits_home"} == dict(Counter(h[:2] for h in home))
        assert {k[:2]: v for k, v in monthly.items() if k[2] == "visits_home_primary"} == dict(
            Counter(h[:2] for h in home if h[2]))
        closed = sum(1 for r in map(_final, drawn[Referral]) if r.get("accepted_at") and r.get("feedback_at"))
        assert sum(v for k, v in monthly.items() if k[2] == "ref_closed") == closed
        assert sum(v for k, v in monthly.items() if k[2] == "sink_stints") == len(drawn[SinkingDeployment])
        arrived = sum(1 for d in map(_final, drawn[EmergencyDispatch]) if d.get("arrived_at"))
        assert sum(v for k, v in daily.items() if k[2] == "ems_arrived") == arrived
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


def _metric(code: str) -> rollup.Metric:
    return next(m for m in rollup.METRICS if m.code == code)


def _replaced(code: str, /, **changes: Any) -> tuple[rollup.Metric, ...]:
    """METRICS with one metric's declaration changed."""
    return tuple(dataclasses.replace(m, **changes) if m.code == code else m for m in rollup.METRICS)


def test_the_fingerprint_is_the_same_in_another_process():
    # Another interpreter has another string-hash seed and other object ids: neither may leak in.
    out = subprocess.run([sys.executable, "-c", "from lib.events import rollup; print(rollup.fingerprint())"],
                         cwd=db.ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONHASHSEED": "random"})
    assert out.stdout.strip() == rollup.fingerprint()
    assert len(rollup.fingerprint()) == 64


def test_the_fingerprint_changes_with_any_declaration(monkeypatch):
    now = rollup.fingerprint()
    assert rollup.fingerprint(rollup.METRICS) == now
    assert rollup.fingerprint(tuple(reversed(rollup.METRICS))) == now  # order alone builds the same rollups
    extra = dataclasses.replace(_metric("visits"), code="visits_night", where=sa.extract("hour", Visit.ts) < 6)
    changed = {
        "a literal": _replaced("visits_emergency", where=Visit.kind == "urgent"),
        "a condition": _replaced("visits_tcm", where=sa.and_(Visit.is_tcm, Visit.is_insured_resident)),
        "a value": _replaced("visit_cost", value=Visit.fund_paid),
        "a dimension": _replaced("reads", dim=None),
        "a facility key": _replaced("ref_in", facility=Referral.from_facility_id),
        "a time key": _replaced("ems_calls", when=EmergencyDispatch.arrived_at),
        "a code": _replaced("labs", code="lab_tests"),
        "an added metric": (*rollup.METRICS, extra),
        "a removed metric": tuple(m for m in rollup.METRICS if m.code != "stockouts"),
    }
    prints = {what: rollup.fingerprint(metrics) for what, metrics in changed.items()}
    assert now not in prints.values()
    assert len(set(prints.values())) == len(prints)
    monkeypatch.setattr(rollup, "METRICS", changed["a value"])  # the default reads METRICS at call time
    assert rollup.fingerprint() == prints["a value"]


def _stored(url: str) -> str | None:
    with db.engine(url).connect() as conn:
        return rollup.stored_fingerprint(conn)


def test_rebuild_records_the_fingerprint_in_its_transaction(store_url, monkeypatch):
    assert _stored(store_url) is None
    with db.engine(store_url).begin() as conn:
        rollup.rebuild(conn)
    before = _stored(store_url)
    assert before == rollup.fingerprint()
    monkeypatch.setattr(rollup, "METRICS", tuple(m for m in rollup.METRICS if m.code != "stockouts"))
    with pytest.raises(ZeroDivisionError), db.engine(store_url).begin() as conn:
        rollup.rebuild(conn, lambda fraction, _step, _steps: 1 / 0 if fraction == 1.0 else None)  # once all is written
    assert _stored(store_url) == before  # rolled back with the rollups
    with db.engine(store_url).begin() as conn:
        rollup.rebuild(conn)
    assert _stored(store_url) == rollup.fingerprint() != before
    with db.engine(store_url).connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(StoreMeta)
                            .where(StoreMeta.key == "rollup_fingerprint")).scalar_one() == 1  # replaced


def test_rebuild_reports_each_step_as_it_starts_up_to_one(store_url):
    seen: list[tuple[float, int, int]] = []
    with db.engine(store_url).begin() as conn:
        rollup.rebuild(conn, lambda fraction, step, steps: seen.append((fraction, step, steps)))
    steps = len(rollup.families()) + 1  # each family's daily rows, then the months
    fractions = [f for f, _, _ in seen]
    assert fractions == sorted(fractions)
    assert len(set(fractions)) == len(fractions)  # moves at every step
    assert (fractions[0], fractions[-1]) == (0.0, 1.0)
    assert [step for _, step, _ in seen] == [*range(1, steps + 1), steps]
    assert {n for _, _, n in seen} == {steps}
