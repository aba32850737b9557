"""Fill a county with 37 months of plausible data, in one transaction, from its registry alone.

Volumes follow geography.md ("Demo volumes"); every indicator sits near, not at, its target, and units
drift apart over time so monthly rankings move. Rows are generated per month and table with numpy and
bulk-inserted; the rollups are rebuilt once at the end, in the same transaction, so the store is either
complete and consistent or untouched.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from lib import clock, registry
from lib.demo import care, people, registers, reports, services
from lib.demo.clock import (
    ADMISSION_HOURS,
    EMERGENCY_HOURS,
    OFFICE_HOURS,
    OUTPATIENT_HOURS,
    WEEKEND_OUTPATIENT,
    Frame,
    concat,
    month_times,
    sql_rows,
    take,
)
from lib.demo.world import MONTHS, World
from lib.events import rollup
from lib.i18n import Progress
from lib.store import db
from lib.store.models import (
    Admission,
    Base,
    County,
    DrugDelivery,
    EmergencyDispatch,
    Facility,
    FdContract,
    FollowUp,
    FundBudget,
    FundPayment,
    FundShare,
    LabTest,
    MonthlyReport,
    Referral,
    RegisterCount,
    RemoteRead,
    RxReview,
    SinkingDeployment,
    Staff,
    Visit,
)

DEMO_TABLES: tuple[type[Base], ...] = (
    Staff, SinkingDeployment, RegisterCount, MonthlyReport, FdContract, Visit, Admission, Referral,
    EmergencyDispatch, RemoteRead, RxReview, LabTest, FollowUp, DrugDelivery, FundBudget, FundShare, FundPayment,
)
VISITOR_ADMISSIONS = 8  # a month at scale 1 [E]: non-resident drivers, mostly trauma at the border port


class DemoRefusedError(RuntimeError):
    """The store already holds data: the demo only ever fills an empty store."""


def _now(today: dt.date | None) -> dt.datetime:
    """Events stop at 'now': the real time today, the end of the day for a past ``today``."""
    real = clock.now()
    if today is None or today == real.date():
        return real
    return dt.datetime.combine(today, dt.time(23, 59, 59))


_COUNTY_KEYS = ("county_id", "facility_id", "home_facility_id", "from_facility_id", "host_facility_id",
                "lead_facility_id")  # the column that tells a demo table's row's county, first found


def _rows_of_county(conn: Connection, model: type[Base], county_id: int) -> int:
    column = next(model.__table__.c[k] for k in _COUNTY_KEYS if k in model.__table__.c)
    if column.name == "county_id":
        return conn.execute(sa.select(sa.func.count()).where(column == county_id)).scalar_one()
    units = sa.select(Facility.id).where(Facility.county_id == county_id)
    return conn.execute(sa.select(sa.func.count()).where(column.in_(units))).scalar_one()


def _check_empty(conn: Connection, county_id: int) -> None:
    held = {m.__tablename__: _rows_of_county(conn, m, county_id) for m in DEMO_TABLES}
    held = {k: v for k, v in held.items() if v}
    if held:
        listing = ", ".join(f"{k} ({v:,} rows)" for k, v in held.items())
        raise DemoRefusedError(f"the store already holds data of this county in {listing}; the demo only fills "
                               "a county with no data yet (use a new --db, or drop and recreate this one)")


def _county_id(conn: Connection, county: str | None) -> int:
    """The county the demo is for: ``county`` (it must be loaded), or the store's only one, loading the
    reference registry into an empty store."""
    if county is not None:
        found = conn.execute(sa.select(County.id).where(County.code == county)).scalar()
        if found is None:
            raise DemoRefusedError(f"county {county} is not loaded in this store: load its registry first "
                                   "(python -m lib.registry load FILE)")
        return found
    first = sa.select(County.id).order_by(County.id).limit(1)
    if conn.execute(first).first() is None:
        registry.load(conn, registry.DEFAULT_REGISTRY)
    return conn.execute(first).scalar_one()


class _Writer:
    """Bulk-inserts frames into the caller's transaction and counts rows per table."""

    def __init__(self, conn: Connection, now: np.datetime64) -> None:
        self.conn = conn
        self.now = now
        self.rows: Counter[str] = Counter()

    def __call__(self, model: type[Base], frame: Frame, when: str | None = None) -> None:
        """Insert ``frame``; with ``when``, in time order and only the events that happened by now."""
        if when is not None:
            happened = np.flatnonzero(frame[when] <= self.now)
            frame = take(frame, happened[np.argsort(frame[when][happened], kind="stable")])
        table = model.__table__
        self.rows[table.name] += db.bulk_insert(self.conn, table, list(frame), sql_rows(frame))  # type: ignore[arg-type]


def _units(rng: np.random.Generator, expected: dict[str, np.ndarray], scale: float) -> tuple[np.ndarray, np.ndarray]:
    """This month's events: a Poisson count per unit and kind, then units and kinds in random order."""
    unit = [np.repeat(np.arange(len(e)), rng.poisson(e * scale)) for e in expected.values()]
    kind = np.concatenate([np.full(len(u), k, dtype=object) for k, u in zip(expected, unit, strict=True)])
    order = rng.permutation(len(kind))
    return np.concatenate(unit)[order], kind[order]


def _visits(w: World, rng: np.random.Generator, i: int, scale: float) -> Frame:
    unit, _ = _units(rng, {"visit": w.visits[:, i]}, scale)
    emergency = rng.random(len(unit)) < care.emergency_share(w)[unit]
    ts = np.empty(len(unit), dtype="datetime64[s]")
    ts[~emergency] = month_times(rng, int((~emergency).sum()), w.month(i), OUTPATIENT_HOURS, WEEKEND_OUTPATIENT)
    ts[emergency] = month_times(rng, int(emergency.sum()), w.month(i), EMERGENCY_HOURS)
    return care.visit_frame(w, rng, unit, emergency, ts, i)


def _admissions(w: World, rng: np.random.Generator, i: int, scale: float) -> Frame:
    residents = rng.poisson(care.admissions(w, i) * scale)
    return concat([
        care.admission_frame(w, rng, month_times(rng, residents, w.month(i), ADMISSION_HOURS), i),
        care.visitor_admission_frame(w, rng, month_times(rng, rng.poisson(VISITOR_ADMISSIONS * scale), w.month(i),
                                                         EMERGENCY_HOURS)),
    ])


def _referrals(w: World, rng: np.random.Generator, i: int, scale: float) -> Frame:
    frames = []
    for direction, mean in care.referral_volumes(w, i).items():
        weights = care.referral_origins(w, direction)
        unit = rng.choice(w.fac.n, rng.poisson(mean * scale), p=weights / weights.sum())
        ts = month_times(rng, len(unit), w.month(i), ADMISSION_HOURS)
        frames.append(care.referral_frame(w, rng, direction, unit, ts, i))
    return concat(frames)


def _month(w: World, i: int, scale: float, write: _Writer) -> float:
    """Write month ``i``'s events; return the fund's spending that month (insured residents)."""
    rng = w.rng(f"month/{i}")
    month = w.month(i)
    visits = _visits(w, rng, i, scale)
    write(Visit, visits, "ts")
    admissions = _admissions(w, rng, i, scale)
    write(Admission, admissions, "admitted_at")
    write(Referral, _referrals(w, rng, i, scale), "sent_at")
    calls = month_times(rng, rng.poisson(services.calls(w, i) * scale), month, EMERGENCY_HOURS)
    write(EmergencyDispatch, services.dispatch_frame(w, rng, calls, i), "call_at")
    reads = services.expected_reads(w)
    unit, modality = _units(rng, {m: r[:, i] for m, r in reads.items()}, scale)
    ts = month_times(rng, len(unit), month, OUTPATIENT_HOURS, WEEKEND_OUTPATIENT)
    write(RemoteRead, services.read_frame(w, rng, unit, modality, ts, i), "requested_at")
    unit, _ = _units(rng, {"rx": services.expected_rx(w)[:, i]}, scale)
    ts = month_times(rng, len(unit), month, OUTPATIENT_HOURS)
    write(RxReview, services.rx_frame(w, rng, unit, ts, i), "submitted_at")
    unit, _ = _units(rng, {"lab": services.expected_labs(w)[:, i]}, scale)
    ts = month_times(rng, len(unit), month, OUTPATIENT_HOURS)
    write(LabTest, services.lab_frame(w, rng, unit, ts), "collected_at")
    unit, programme = _units(rng, {p: e[:, i] for p, e in registers.expected_follow_ups(w).items()}, scale)
    due = month_times(rng, len(unit), month, OFFICE_HOURS).astype("datetime64[D]")
    write(FollowUp, registers.follow_up_frame(w, rng, unit, programme, due, i), "due_date")
    write(DrugDelivery, services.delivery_frame(w, rng, i, scale), "promised_at")
    happened = visits["ts"] <= w.now
    return float(visits["fund_paid"][happened & visits["is_insured_resident"]].sum()
                 + admissions["fund_paid"][(admissions["admitted_at"] <= w.now)
                                           & admissions["is_insured_resident"]].sum())


def generate(engine: Engine, *, scale: float = 1.0, seed: int = 20261122, today: dt.date | None = None,
             progress: Progress | None = None, county: str | None = None, months: int = MONTHS) -> dict[str, int]:
    """Generate the demo for a county with no data yet: ``county`` (a loaded registry's code), else the
    store's first county, loading the default registry into an empty store. Everything comes from the
    county's registry: its tiers, areas, destinations and population shape the volumes.

    Returns rows written per table. ``scale`` multiplies event volumes; registry, roster, registers and
    monthly reports keep the county's size; ``months`` (1 to 37) makes the events of the last months only.
    Raises DemoRefusedError if the county already holds data.
    """
    def say(fraction: float, key: str, **fields: object) -> None:
        if progress is not None:
            progress(fraction, key, **fields)

    now = _now(today)
    with engine.begin() as conn:
        if county is None and conn.execute(sa.select(County.id).limit(1)).first() is None:
            say(0.0, "demo.registry")
        county_id = _county_id(conn, county)
        _check_empty(conn, county_id)
        if db.is_sqlite(conn):
            # A 256 MB page cache keeps the index b-trees in memory during the bulk load (~30% faster).
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
        world = World.load(conn, seed=seed, now=now,
                           county=conn.execute(sa.select(County.code).where(County.id == county_id)).scalar_one())
        write = _Writer(conn, world.now)
        say(0.01, "demo.staff")
        staff = people.staff_frame(world)
        write(Staff, staff)
        ids = dict(conn.execute(sa.select(Staff.staff_key, Staff.id)).all())
        staff_ids = np.array([ids[k] for k in staff["staff_key"]])
        stints = people.sinking_frame(world, staff, staff_ids)
        write(SinkingDeployment, stints, "start_date")
        say(0.03, "demo.registers")
        write(RegisterCount, registers.register_frame(world))
        regular = reports.report_frame(world)
        write(MonthlyReport, regular)
        for extra in (people.roster_frame(world, staff, staff_ids, stints), reports.training_frame(world)):
            write(MonthlyReport, reports.alongside(regular, extra))
        say(0.05, "demo.contracts")
        write(FdContract, people.contract_frame(world, scale), "signed_on")
        spending = np.zeros(MONTHS)
        for i in range(MONTHS - max(1, min(months, MONTHS)), MONTHS):
            say(0.08 + 0.6 * i / MONTHS, "demo.events", month=str(world.month(i))[:7])
            spending[i] = _month(world, i, scale, write)
        say(0.68, "demo.fund")
        for model, frame in zip((FundBudget, FundShare, FundPayment),
                                reports.fund_frames(world, county_id, spending).values(), strict=True):
            write(model, frame)
        # The one long step: the rollups of every event, a metric family at a time, each step told.
        rollup.rebuild(conn, lambda f, step, steps: say(0.7 + 0.29 * f, "demo.rollups", step=step, steps=steps))
        if db.is_sqlite(conn):
            conn.exec_driver_sql("PRAGMA cache_size=-2000")
        say(0.99, "demo.commit")
    say(1.0, "demo.done")
    return dict(write.rows)
