"""Closed months computed once: a period's per-unit measures composed from monthly snapshots.

A month that has ended changes only when late data arrives, so its measures (lib.kpi.measures) are
computed the first time anyone asks and kept in ``measure_snapshot``. Database triggers (migration 0010)
bump a month's generation in the transaction of every write under it, whoever writes; a snapshot is used
only while the generations up to its month add up to what they did when it was computed, and while the
code that computed it is the code running (``fingerprint``). A late event for October makes October and
every later snapshot stale at its commit; the next reader recomputes them.

Any month, year-to-date or rolling-12 period is then the sum of its months' flows (visits, referrals,
reported scores and their counts, days served) and the stocks of its last month (registers, status
reports, the roster, contracts running so far): the same figures ``measures.facility_measures`` gives
for the whole period at once (tests/lib/test_kpi_months.py checks it on every kind of period). The month
still running is computed live and added. The cost of a page no longer grows with the months a period
spans or with the years of events behind it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import io
import logging
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from lib import clock
from lib.events import rollup
from lib.kpi import measures
from lib.kpi.measures import PeriodMeasures
from lib.kpi.period import Period, add_months, first_of_month
from lib.store import db
from lib.store.models import MeasureGeneration, MeasureSnapshot

SAVE_WAIT_MS = 1000
ALL_MONTHS = dt.date(1, 1, 1)  # a generation row for changes that touch every month (units, roster)
COMPOSED = ("month", "ytd", "r12")
log = logging.getLogger(__name__)


def fingerprint() -> str:
    """The code a snapshot was computed with: the measures' module and the rollup declarations."""
    return hashlib.sha256((inspect.getsource(measures) + rollup.fingerprint()).encode()).hexdigest()


def _bases(conn: Connection, months: Iterable[dt.date]) -> dict[dt.date, int]:
    """For each month, the sum of the generations up to it (tens of rows: one per month with data)."""
    rows = conn.execute(sa.select(MeasureGeneration.month, MeasureGeneration.gen)).all()
    return {m: sum(int(r.gen) for r in rows if r.month <= m) for m in months}


def _to_bytes(frame: pd.DataFrame) -> bytes:
    """A units × measures frame as .npy arrays in a zip (numpy's own format, no pickles)."""
    sink = io.BytesIO()
    np.savez(sink, values=frame.to_numpy(dtype=float), index=frame.index.to_numpy(dtype=np.int64),
             columns=np.array([str(c) for c in frame.columns], dtype=str))
    return sink.getvalue()


def _from_bytes(data: bytes) -> pd.DataFrame:
    with np.load(io.BytesIO(data), allow_pickle=False) as held:
        return pd.DataFrame(held["values"], index=pd.Index(held["index"], name="facility_id"),
                            columns=held["columns"].tolist())


def _stored(conn: Connection, bases: dict[dt.date, int]) -> dict[dt.date, PeriodMeasures]:
    s = MeasureSnapshot
    rows = conn.execute(sa.select(s.month, s.basis, s.measures, s.reported)
                        .where(s.month.in_(list(bases)), s.fingerprint == fingerprint())).all()
    return {r.month: PeriodMeasures(_from_bytes(r.measures), _from_bytes(r.reported))
            for r in rows if int(r.basis) == bases[r.month]}


def _save(conn: Connection, computed: dict[dt.date, PeriodMeasures], bases: dict[dt.date, int]) -> None:
    """Keep months' measures, in a transaction of its own on another connection: a viewer's store
    connection may be read-only (then nothing is kept and the months are computed again next time)."""
    if _writing(conn):  # SQLite has one writer: the caller's own open write would block ours
        return
    s = MeasureSnapshot
    now, code = clock.now(), fingerprint()
    rows = [{"month": m, "fingerprint": code, "basis": bases[m], "computed_at": now,
             "measures": _to_bytes(held.values), "reported": _to_bytes(held.reported)} for m, held in computed.items()]
    sqlite = conn.dialect.name == "sqlite"
    try:
        with conn.engine.begin() as writer:
            if sqlite:  # a busy writer (the feed) is waited for briefly, not for half a minute
                writer.exec_driver_sql(f"PRAGMA busy_timeout={SAVE_WAIT_MS}")
            try:
                writer.execute(sa.delete(s).where(s.month.in_(list(computed))))
                writer.execute(sa.insert(s), rows)
            finally:
                if sqlite:
                    writer.exec_driver_sql(f"PRAGMA busy_timeout={db.SQLITE_BUSY_MS}")
    except SQLAlchemyError as error:  # read-only role, a busy store, or another reader keeping the month just now
        log.info("measure snapshots of %s not kept: %s", sorted(computed), error)


def _writing(conn: Connection) -> bool:
    """Whether ``conn`` holds an open write transaction on SQLite (pysqlite begins one at the first write)."""
    return conn.dialect.name == "sqlite" and bool(conn.connection.driver_connection.in_transaction)


def closed_months(conn: Connection, months: Sequence[dt.date], today: dt.date) -> dict[dt.date, PeriodMeasures]:
    """The measures of each of these ended months: kept snapshots where still valid, the rest computed
    (all together) and kept. The bases are read before the measures, so a write committed meanwhile
    leaves the new snapshot stale rather than wrong."""
    if not months:
        return {}
    bases = _bases(conn, months)
    held = _stored(conn, bases)
    missing = [m for m in months if m not in held]
    if missing:
        computed = measures.facility_measures(conn, [Period("month", m) for m in missing], today)
        fresh = {m: computed[Period("month", m)] for m in missing}
        _save(conn, fresh, bases)
        held.update(fresh)
    return held


def compose(parts: Sequence[PeriodMeasures]) -> PeriodMeasures:
    """Months in order → their period: flows summed, stocks (and their report months) of the last month."""
    last = parts[-1]
    flows = list(dict.fromkeys(c for p in parts for c in p.values.columns if not measures.carried(c)))
    stocks = [c for c in last.values.columns if measures.carried(c)]
    units = sorted({int(i) for p in parts for i in p.values.index})
    row = {u: i for i, u in enumerate(units)}
    col = {c: i for i, c in enumerate(flows)}
    summed = np.zeros((len(units), len(flows)))
    for p in parts:  # numpy, not pandas: a year is twelve adds of a small matrix
        mine = [c for c in p.values.columns if c in col]
        rows = np.array([row[int(i)] for i in p.values.index], dtype=int)
        summed[np.ix_(rows, [col[c] for c in mine])] += np.nan_to_num(p.values[mine].to_numpy(dtype=float))
    index = pd.Index(units, name="facility_id")
    values = pd.DataFrame(summed, index=index, columns=flows).join(last.values[stocks].reindex(index))
    return PeriodMeasures(values, last.reported)


def ended(month: dt.date, today: dt.date) -> bool:
    """A month is closed once its last day is over."""
    return add_months(month, 1) <= today


def period_measures(conn: Connection, periods: Sequence[Period], today: dt.date) -> dict[Period, PeriodMeasures]:
    """Every measure for every unit and period: ended months from their snapshots, the month running today
    computed live (once, whatever periods share it), any other period (a day) directly."""
    periods = list(dict.fromkeys(periods))
    running = first_of_month(today)
    plans: dict[Period, list[dt.date]] = {}
    for p in periods:
        months = [add_months(p.first_month, i) for i in range(p.months)] if p.kind in COMPOSED else []
        if months and all(ended(m, today) for m in months[:-1]) and (ended(months[-1], today)
                                                                     or months[-1] == running):
            plans[p] = months
    live = [p for p in periods if p not in plans]
    if any(running in months for months in plans.values()):
        live.append(Period("month", running))
    direct = measures.facility_measures(conn, live, today) if live else {}
    held = closed_months(conn, sorted({m for months in plans.values() for m in months if ended(m, today)}), today)
    if Period("month", running) in direct:
        held[running] = direct[Period("month", running)]
    out = {p: direct[p] for p in periods if p not in plans}
    out.update({p: compose([held[m] for m in months]) for p, months in plans.items()})
    return out
