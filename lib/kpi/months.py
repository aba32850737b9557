"""Months and years to date computed once: a period's per-unit measures from kept snapshots.

A month that has ended changes only when late data arrives, so its measures (lib.kpi.measures) are
computed the first time anyone asks and kept in ``measure_snapshot``. Database triggers (migration 0010)
bump a month's generation in the transaction of every write under it, whoever writes; a snapshot is used
only while the generations up to its month add up to what they did when it was computed, while the
code that computed it is the code running (``fingerprint``) and for the day it was computed as of. A late
event for October makes October and every later snapshot stale at its commit; the next reader recomputes
them. The month still running is kept the same way, as of today: a server restarted over an unchanged
store reads it back; a live event moves its generation and the next reader computes it again. A year to
date is kept whole too (one row to read instead of twelve), valid on the same terms as its last month.

Any month, year-to-date or rolling-12 period is then the sum of its months' flows (visits, referrals,
reported scores and their counts, days served) and the stocks of its last month (registers, status
reports, the roster, contracts running so far): the same figures ``measures.facility_measures`` gives
for the whole period at once (tests/lib/test_kpi_months.py checks it on every kind of period). The cost
of a page no longer grows with the months a period spans or with the years of events behind it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import inspect
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from lib import clock
from lib.events import read as rollup_read
from lib.events import rollup
from lib.kpi import measures
from lib.kpi.measures import PeriodMeasures
from lib.kpi.period import Period, add_months, first_of_month
from lib.store import db, sqlfn
from lib.store.models import MeasureGeneration, MeasureSnapshot, StoreMeta

SAVE_WAIT_MS = 200  # a busy writer (the live feed) is waited for this long; then the month is kept next time
ALL_MONTHS = dt.date(1, 1, 1)  # a generation row for changes that touch every month (units, roster)
CONFIG_MONTH = dt.date(9999, 12, 1)  # changes to the engine's other inputs (migration 0015): after every month
COMPOSED = ("month", "ytd", "r12")
KEPT_SPANS = 48  # decoded snapshots a process keeps (months and years to date, ~0.1 MB each at demo scale)
log = logging.getLogger(__name__)


@functools.cache  # the code does not change under a running process
def fingerprint() -> str:
    """The code a snapshot was computed with: the source of the measures, of the rollups they read (their
    declarations, the reader and both dialects' SQL spellings) and the snapshot's layout. Source, not
    compiled SQL: any edit computes the months again (seconds, once), and a new process pays no compiling."""
    sources = "".join(inspect.getsource(module) for module in (measures, rollup, rollup_read, sqlfn))
    return hashlib.sha256((sources + SNAPSHOT_FORMAT).encode()).hexdigest()


@dataclass(frozen=True)
class StoreState:
    """Where a store stands: which store (its address and the id it was created with) and the generation of
    every month. Generations only grow, so ``version`` (their sum) names one state of the store's data."""

    store: tuple[str, str]
    generations: tuple[tuple[dt.date, int], ...]
    dirty: bool  # read inside a transaction that has written: uncommitted, never remembered

    @property
    def version(self) -> int:
        return sum(gen for _, gen in self.generations)

    def basis(self, month: dt.date) -> int:
        """The sum of the generations up to ``month``: what a snapshot of it stands on."""
        return sum(gen for m, gen in self.generations if m <= month)


def state(conn: Connection) -> StoreState:
    """The store's state, in two small queries (tens of generation rows: one per month with data)."""
    rows = conn.execute(sa.select(MeasureGeneration.month, MeasureGeneration.gen)).all()
    store_id = conn.execute(sa.select(StoreMeta.value).where(StoreMeta.key == "store_id")).scalar_one_or_none()
    return StoreState((conn.engine.url.render_as_string(), store_id or ""),
                      tuple((r.month, int(r.gen)) for r in rows), _written(conn))


def _written(conn: Connection) -> bool:
    """Whether ``conn``'s open transaction has written (its figures may yet be rolled back)."""
    if conn.dialect.name == "sqlite":
        return _writing(conn)
    return bool(conn.execute(sa.text("SELECT txid_current_if_assigned() IS NOT NULL")).scalar())


SNAPSHOT_FORMAT = "2"  # part of the fingerprint: a snapshot kept in another layout is computed again


def _to_bytes(frame: pd.DataFrame) -> bytes:
    """A units × measures frame as a JSON header (unit ids, measure names) and the raw float64 values:
    no pickles, and read back without copying in a few microseconds (a page reads tens of them)."""
    header = json.dumps({"index": frame.index.astype(int).tolist(), "columns": [str(c) for c in frame.columns]})
    return header.encode() + b"\n" + np.ascontiguousarray(frame.to_numpy(dtype="<f8")).tobytes()


def _from_bytes(data: bytes) -> pd.DataFrame:
    cut = data.index(b"\n")
    index, columns = _axes(data[:cut])
    values = np.frombuffer(data, dtype="<f8", offset=cut + 1).reshape(len(index), len(columns))
    return pd.DataFrame(values, index=index, columns=columns, copy=False)


@functools.lru_cache(maxsize=64)
def _axes(header: bytes) -> tuple[pd.Index, pd.Index]:
    """A snapshot's unit ids and measure names, parsed once: month after month repeats the same header."""
    parsed = json.loads(header)
    return (pd.Index(parsed["index"], name="facility_id", dtype="int64"),
            pd.Index(parsed["columns"], dtype=object))


Stamp = tuple[int, dt.date]  # what a kept span stands on: the basis of its last month and the day it is as of
KEPT = ("month", "ytd")  # the spans kept whole: a month, and a year to date (one row instead of twelve)


class _Decoded:
    """Snapshots already decoded in this process, by store and span, with the stamp they hold: a span whose
    stamp has not moved is not read from the store again (the live feed moves only the running month's).
    Bounded (least recently used first out) and shared by every engine of the process."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._held: OrderedDict[tuple[object, Period], tuple[Stamp, PeriodMeasures]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, store: object, span: Period, stamp: Stamp) -> PeriodMeasures | None:
        with self._lock:
            hit = self._held.get((store, span))
            if hit is None or hit[0] != stamp:
                return None
            self._held.move_to_end((store, span))
            return hit[1]

    def put(self, store: object, span: Period, stamp: Stamp, held: PeriodMeasures) -> None:
        with self._lock:
            self._held[(store, span)] = (stamp, held)
            self._held.move_to_end((store, span))
            while len(self._held) > self.size:
                self._held.popitem(last=False)


_DECODED = _Decoded(KEPT_SPANS)


def _stamp(at: StoreState, span: Period, today: dt.date) -> Stamp:
    return at.basis(span.last_month), measures.as_of(span, today)


def _stored(conn: Connection, at: StoreState, stamps: dict[Period, Stamp]) -> dict[Period, PeriodMeasures]:
    out = {p: held for p, stamp in stamps.items() if (held := _DECODED.get(at.store, p, stamp)) is not None}
    wanted = [p for p in stamps if p not in out]
    if not wanted:
        return out
    s = MeasureSnapshot
    rows = conn.execute(sa.select(s.span, s.month, s.basis, s.as_of, s.measures, s.reported)
                        .where(sa.tuple_(s.span, s.month).in_([(p.kind, p.end) for p in wanted]),
                               s.fingerprint == fingerprint())).all()
    for r in rows:
        span = Period(r.span, r.month)
        if (int(r.basis), r.as_of) == stamps[span]:
            out[span] = PeriodMeasures(_from_bytes(r.measures), _from_bytes(r.reported))
            _DECODED.put(at.store, span, stamps[span], out[span])
    return out


def _save(conn: Connection, at: StoreState, stamps: dict[Period, Stamp],
          computed: dict[Period, PeriodMeasures]) -> None:
    """Keep spans' measures, in a transaction of its own on another connection: a viewer's store
    connection may be read-only (then nothing is kept and the spans are computed again next time).
    Nothing read inside a transaction that has written is kept: it may yet be rolled back (and on SQLite
    the caller's open write would block ours)."""
    if at.dirty or not computed:
        return
    for p, held in computed.items():
        _DECODED.put(at.store, p, stamps[p], held)
    s = MeasureSnapshot
    now, code = clock.now(), fingerprint()
    rows = [{"span": p.kind, "month": p.end, "fingerprint": code, "basis": stamps[p][0], "as_of": stamps[p][1],
             "computed_at": now, "measures": _to_bytes(held.values), "reported": _to_bytes(held.reported)}
            for p, held in computed.items()]
    sqlite = conn.dialect.name == "sqlite"
    try:
        with conn.engine.begin() as writer:
            if sqlite:  # a busy writer (the feed) is waited for briefly, not for half a minute
                writer.exec_driver_sql(f"PRAGMA busy_timeout={SAVE_WAIT_MS}")
            try:
                writer.execute(sa.delete(s).where(sa.tuple_(s.span, s.month).in_([(p.kind, p.end) for p in computed])))
                writer.execute(sa.insert(s), rows)
            finally:
                if sqlite:
                    writer.exec_driver_sql(f"PRAGMA busy_timeout={db.SQLITE_BUSY_MS}")
    except SQLAlchemyError as error:  # read-only role, a busy store, or another reader keeping the span just now
        log.info("measure snapshots of %s not kept: %s", sorted(p.label() for p in computed), error)


def _writing(conn: Connection) -> bool:
    """Whether ``conn`` holds an open write transaction on SQLite (pysqlite begins one at the first write)."""
    return conn.dialect.name == "sqlite" and bool(conn.connection.driver_connection.in_transaction)


def _months(span: Period) -> list[Period]:
    return [Period("month", add_months(span.first_month, i)) for i in range(span.months)]


def kept(conn: Connection, spans: Sequence[Period], today: dt.date,
         at: StoreState | None = None) -> dict[Period, PeriodMeasures]:
    """The measures of each of these months and years to date (ended, or running today and read as of
    today): kept snapshots where still valid, the rest computed (the months, all together) or composed (a
    year to date: the one before it and its last month, or, the first time, all its months), and kept. The
    state is read before the measures, so a write committed meanwhile leaves the new snapshot stale rather
    than wrong."""
    if not spans:
        return {}
    at = at or state(conn)
    stamps: dict[Period, Stamp] = {}
    held: dict[Period, PeriodMeasures] = {}

    def look(wanted: Sequence[Period]) -> None:
        new = {p: _stamp(at, p, today) for p in wanted if p not in stamps}
        stamps.update(new)
        if new:
            held.update(_stored(conn, at, new))

    spans = list(dict.fromkeys(spans))
    look(spans)
    years = [p for p in spans if p not in held and p.kind == "ytd"]
    before = {y: Period("ytd", add_months(y.end, -1)) for y in years if y.end.month > 1}
    look([*before.values(), *(Period("month", y.end) for y in years)])
    parts = {y: [before[y], Period("month", y.end)] if before.get(y) in held else _months(y) for y in years}
    look([q for qs in parts.values() for q in qs])
    missing = [p for p in stamps if p not in held and p.kind == "month"]  # every month looked up is needed
    fresh = measures.facility_measures(conn, missing, today) if missing else {}
    held.update(fresh)
    fresh.update({y: compose([held[q] for q in parts[y]]) for y in years})
    _save(conn, at, stamps, fresh)
    held.update(fresh)
    return held


def compose(parts: Sequence[PeriodMeasures]) -> PeriodMeasures:
    """Months in order → their period: flows summed, stocks (and their report months) of the last month."""
    last = parts[-1]
    names = [p.values.columns.tolist() for p in parts]  # plain lists: walking an Arrow-backed index is slow
    flows = list(dict.fromkeys(c for cols in names for c in cols if not measures.carried(c)))
    stocks = [c for c in names[-1] if measures.carried(c)]
    index = pd.Index(np.unique(np.concatenate([p.values.index.to_numpy(dtype=np.int64) for p in parts])),
                     name="facility_id")
    col = {c: i for i, c in enumerate(flows)}
    summed = np.zeros((len(index), len(flows)))
    for p, cols in zip(parts, names, strict=True):  # numpy, not pandas: a year is twelve adds of a small matrix
        mine = [i for i, c in enumerate(cols) if c in col]
        rows = index.get_indexer(p.values.index)
        summed[np.ix_(rows, [col[cols[i]] for i in mine])] += np.nan_to_num(p.values.to_numpy(dtype=float)[:, mine])
    held = last.values.reindex(index)
    values = np.hstack([summed, held.to_numpy(dtype=float)[:, held.columns.get_indexer(stocks)]])
    return PeriodMeasures(pd.DataFrame(values, index=index, columns=pd.Index(flows + stocks, dtype=object)),
                          last.reported)


def ended(month: dt.date, today: dt.date) -> bool:
    """A month is closed once its last day is over."""
    return add_months(month, 1) <= today


def period_measures(conn: Connection, periods: Sequence[Period], today: dt.date,
                    at: StoreState | None = None) -> dict[Period, PeriodMeasures]:
    """Every measure for every unit and period: months and years to date (ended, or running today) kept
    whole, a rolling 12 months composed from its months, any other period (a day, a month to come) computed
    directly."""
    periods = list(dict.fromkeys(periods))
    running = first_of_month(today)
    plans: dict[Period, list[Period]] = {}
    for p in periods:
        months = _months(p) if p.kind in COMPOSED else []
        if months and all(ended(m.end, today) for m in months[:-1]) and (ended(months[-1].end, today)
                                                                         or months[-1].end == running):
            plans[p] = [p] if p.kind in KEPT else months
    direct = [p for p in periods if p not in plans]
    out = measures.facility_measures(conn, direct, today) if direct else {}
    held = kept(conn, [q for parts in plans.values() for q in parts], today, at)
    out.update({p: held[p] if parts == [p] else compose([held[q] for q in parts]) for p, parts in plans.items()})
    return out
