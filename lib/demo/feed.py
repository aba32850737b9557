"""The live feed: events arrive as they would in the county, and open ones move on.

    python -m lib.feed [--rate EVENTS_PER_MINUTE] [--db URL] [--seconds N] [--seed S]

Every second it appends a Poisson number of events (visits, referrals, emergency calls, remote reads,
prescription reviews, follow-ups done), busier in the morning and quiet at night, and progresses open
ones (ambulances dispatched/arrive/complete, reads reported, prescriptions reviewed, lab results,
referrals accepted and answered). Every write goes through ``lib.events`` in one short transaction per
step, so rollups stay current and the pages read alongside. SIGINT/SIGTERM finish the step and exit.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import clock
from lib.demo import care, registers, services
from lib.demo.clock import EMERGENCY_HOURS, OUTPATIENT_HOURS, Frame, hour_weight, records
from lib.demo.world import MONTHS, World, haversine_km
from lib.events import write as events
from lib.ingest import events as ingest
from lib.store import db
from lib.store.models import (
    County,
    EmergencyDispatch,
    FollowUp,
    LabTest,
    Referral,
    RemoteRead,
    RxReview,
    Visit,
)

DEFAULT_RATE = 30.0  # events a minute, averaged over the day
DEFAULT_SEED = 20261122
TICK_SECONDS = 1.0
OPEN_WINDOW = dt.timedelta(days=3)  # older open events are left as they are (lost to follow-up)
MAX_PROGRESS = 100  # open rows moved on per table and step: a catch-up after a pause stays short
LAST = MONTHS - 1  # the feed lives in the demo's current month
FEED_SYSTEM = "demo-feed"  # the source_system of the feed's events (lib.ingest.events)


class NoRegistryError(RuntimeError):
    """The store has no county: there is nothing to feed."""


def _shape(when: dt.datetime) -> float:
    """Activity at ``when`` relative to the daily mean: outpatient-led, with emergencies through the night."""
    return 0.75 * hour_weight(OUTPATIENT_HOURS, when) + 0.25 * hour_weight(EMERGENCY_HOURS, when)


def _fraction(ids: Sequence[int], salt: float) -> np.ndarray:
    """A fixed pseudo-random number in [0, 1) per row id: the same row always gets the same delay."""
    return (np.asarray(ids, dtype=float) * 0.6180339887498949 + salt) % 1.0


def _jitter(ids: Sequence[int]) -> np.ndarray:
    return 0.5 + _fraction(ids, 0.0)


def _volumes(w: World) -> dict[str, float]:
    """Expected monthly events per kind in the current month: the mix of new events."""
    return {
        "visit": float(w.visits[:, LAST].sum()),
        "referral": sum(care.referral_volumes(w, LAST).values()),
        "dispatch": services.calls(w, LAST),
        "read": float(sum(r[:, LAST].sum() for r in services.expected_reads(w).values())),
        "rx": float(services.expected_rx(w)[:, LAST].sum()),
        "follow_up": float(sum(e[:, LAST].sum() for e in registers.expected_follow_ups(w).values())),
    }


def _pick(rng: np.random.Generator, weights: np.ndarray, n: int) -> np.ndarray:
    return rng.choice(len(weights), n, p=weights / weights.sum())


def _pick_kind(rng: np.random.Generator, expected: dict[str, np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Units and kinds of ``n`` events, weighted by this month's expected counts per kind and unit."""
    units = next(iter(expected.values())).shape[0]
    pick = _pick(rng, np.concatenate([e[:, LAST] for e in expected.values()]), n)
    return pick % units, np.array(list(expected), dtype=object)[pick // units]


# --- new events -----------------------------------------------------------------------------------

def _new_visits(w: World, rng: np.random.Generator, ts: np.ndarray, now: dt.datetime) -> Frame:
    unit = _pick(rng, w.visits[:, LAST], len(ts))
    p = care.emergency_share(w)[unit]
    e = p * EMERGENCY_HOURS[now.hour] / EMERGENCY_HOURS.mean()
    o = (1 - p) * OUTPATIENT_HOURS[now.hour] / OUTPATIENT_HOURS.mean()
    return care.visit_frame(w, rng, unit, rng.random(len(ts)) < e / (e + o), ts, LAST)


def _new_referrals(w: World, rng: np.random.Generator, ts: np.ndarray) -> list[Frame]:
    volumes = care.referral_volumes(w, LAST)
    direction = np.array(list(volumes))[_pick(rng, np.array(list(volumes.values())), len(ts))]
    return [care.referral_frame(w, rng, d, _pick(rng, care.referral_origins(w, d), int((direction == d).sum())),
                                ts[direction == d], LAST) for d in volumes if (direction == d).any()]


def _new_reads(w: World, rng: np.random.Generator, ts: np.ndarray) -> Frame:
    unit, modality = _pick_kind(rng, services.expected_reads(w), len(ts))
    return services.read_frame(w, rng, unit, modality, ts, LAST)


def _follow_ups_done(conn: Connection, w: World, rng: np.random.Generator, now: dt.datetime, n: int) -> int:
    """Mark open follow-ups of the last fortnight done today; if none are open, record new ones done today."""
    today = now.date()
    ids = list(conn.execute(
        sa.select(FollowUp.id).where(FollowUp.done_date.is_(None), FollowUp.due_date <= today,
                                     FollowUp.due_date >= today - dt.timedelta(days=14))
        .order_by(FollowUp.due_date, FollowUp.id).limit(n)).scalars())
    events.update(conn, FollowUp, ids, {"done_date": today})
    rest = n - len(ids)
    if rest:
        unit, programme = _pick_kind(rng, registers.expected_follow_ups(w), rest)
        due = np.full(rest, np.datetime64(today, "D"))
        frame = registers.follow_up_frame(w, rng, unit, programme, due, LAST)
        frame["done_date"] = due  # recorded when done
        events.record(conn, FollowUp, records(frame))
    return n


# --- progression of open events -------------------------------------------------------------------

def _open(conn: Connection, model: Any, start: Any, columns: Sequence[Any], now: dt.datetime,
          *where: Any) -> list[sa.Row]:
    return list(conn.execute(
        sa.select(model.id, start, *columns).where(start >= now - OPEN_WINDOW, start <= now, *where)
        .order_by(start).limit(MAX_PROGRESS)))


def _move_on(conn: Connection, model: Any, changes: list[tuple[int, dict[str, Any]]]) -> int:
    """Apply the changes, one ``events.update`` per distinct set of values (rows due in the same minute)."""
    groups: dict[tuple, list[int]] = {}
    for row_id, values in changes:
        groups.setdefault(tuple(sorted(values.items())), []).append(row_id)
    for values, ids in groups.items():
        events.update(conn, model, ids, dict(values))
    return len(changes)


def _due(start: dt.datetime, minutes: float, now: dt.datetime) -> dt.datetime | None:
    """When a step that takes ``minutes`` from ``start`` is done, to the minute; None if not yet.

    To the minute, so the rows that fall due together share one update (and one rollup move).
    """
    when = start + dt.timedelta(minutes=float(minutes))
    return when.replace(second=0, microsecond=0) if when <= now else None


def _progress_dispatches(conn: Connection, w: World, now: dt.datetime) -> int:
    d = EmergencyDispatch
    rows = _open(conn, d, d.call_at, (d.facility_id, d.dispatched_at, d.arrived_at, d.latitude, d.longitude),
                 now, d.completed_at.is_(None))
    if not rows:
        return 0
    ids = [r.id for r in rows]
    station = np.searchsorted(w.fac.id, [r.facility_id for r in rows])
    km = haversine_km(w.fac.lat[station], w.fac.lon[station], np.array([r.latitude for r in rows], dtype=float),
                      np.array([r.longitude for r in rows], dtype=float))
    drive = services.travel_minutes(w, station, km) * _jitter(ids)
    changes = []
    for r, minutes, j in zip(rows, drive, _jitter(ids), strict=True):
        dispatched = r.dispatched_at or _due(r.call_at, 2.0 * j, now)
        arrived = r.arrived_at or (dispatched and _due(dispatched, minutes, now))
        completed = arrived and _due(arrived, 50.0 * j, now)
        new = {"dispatched_at": dispatched, "arrived_at": arrived, "completed_at": completed}
        values = {k: v for k, v in new.items() if v is not None and getattr(r, k, None) is None}
        if values:
            changes.append((r.id, values))
    return _move_on(conn, d, changes)


def _progress_simple(conn: Connection, model: Any, start: Any, column: str, minutes: Callable[[sa.Row], float],
                     now: dt.datetime, extra: Callable[[int], dict[str, Any]] | None = None,
                     columns: Sequence[Any] = ()) -> int:
    """Fill ``column`` of open rows once ``minutes(row)`` x the row's jitter have passed since ``start``."""
    rows = _open(conn, model, start, columns, now, getattr(model, column).is_(None))
    changes = []
    for r, j in zip(rows, _jitter([r.id for r in rows]), strict=True):
        when = _due(r[1], minutes(r) * j, now)
        if when is not None:
            changes.append((r.id, {column: when} | (extra(r.id) if extra else {})))
    return _move_on(conn, model, changes)


def _progress_referrals(conn: Connection, now: dt.datetime) -> int:
    r = Referral
    moved = _progress_simple(conn, r, r.sent_at, "accepted_at",
                             lambda row: 120.0 if row.direction == "out" else 35.0, now, columns=(r.direction,))
    rows = _open(conn, r, r.sent_at, (r.accepted_at,), now, r.feedback_at.is_(None), r.accepted_at.is_not(None))
    closes = _fraction([row.id for row in rows], 0.37) < 0.9  # referral_closure_rate, local default 90%
    changes = [(row.id, {"feedback_at": when}) for row, j, c in zip(rows, _jitter([row.id for row in rows]), closes,
                                                                     strict=True)
               if c and (when := _due(row.accepted_at, 1440.0 * j, now)) is not None]
    return moved + _move_on(conn, r, changes)


def _progress(conn: Connection, w: World, now: dt.datetime) -> dict[str, int]:
    return {
        "emergency_dispatch": _progress_dispatches(conn, w, now),
        "remote_read": _progress_simple(conn, RemoteRead, RemoteRead.requested_at, "reported_at",
                                        lambda row: 30.0 if row.modality == "imaging" else 8.0, now,
                                        columns=(RemoteRead.modality,)),
        "rx_review": _progress_simple(conn, RxReview, RxReview.submitted_at, "reviewed_at", lambda row: 4.0, now,
                                      extra=lambda i: {"passed": bool(_fraction([i], 0.71)[0] < 0.95)}),
        "lab_test": _progress_simple(conn, LabTest, LabTest.collected_at, "reported_at",
                                     lambda row: 80.0 if row.lab_facility_id == row.facility_id else 300.0, now,
                                     columns=(LabTest.facility_id, LabTest.lab_facility_id)),
        "referral": _progress_referrals(conn, now),
    }


def step(conn: Connection, now: dt.datetime, rng: np.random.Generator, n_events: int,
         world: World | None = None) -> dict[str, int]:
    """Append ``n_events`` new events stamped ``now`` and move open events on; one call = one transaction's work.

    Returns counts: new rows per table, and ``updated:<table>`` for rows moved on.
    """
    w = world or load_world(conn, now)
    now = now.replace(microsecond=0)
    volumes = _volumes(w)
    shares = np.array(list(volumes.values()))
    counts = dict(zip(volumes, rng.multinomial(n_events, shares / shares.sum()).tolist(), strict=True))
    ts = {k: np.full(c, np.datetime64(now, "s")) for k, c in counts.items()}
    new: list[tuple[Any, Frame]] = [(Visit, _new_visits(w, rng, ts["visit"], now))]
    new += [(Referral, f) for f in _new_referrals(w, rng, ts["referral"])]
    new.append((EmergencyDispatch, services.dispatch_frame(w, rng, ts["dispatch"], LAST)))
    new.append((RemoteRead, _new_reads(w, rng, ts["read"])))
    new.append((RxReview, services.rx_frame(w, rng, _pick(rng, services.expected_rx(w)[:, LAST], counts["rx"]),
                                            ts["rx"], LAST)))
    written: Counter[str] = Counter()
    tick = uuid.uuid4().hex[:12]
    for model, frame in new:  # through the ingest path, as another system's events would come
        kind = model.__tablename__
        sent = ingest.sent_form(conn, kind, records(frame), FEED_SYSTEM, f"{tick}-{kind}")
        written[kind] += ingest.apply(conn, ingest.check(conn, "feed", list(enumerate(sent, 1))), sha256="",
                                      by="demo", channel="feed", now=now, audit=False).inserted
    written["follow_up_done"] = _follow_ups_done(conn, w, rng, now, counts["follow_up"])
    written.update({f"updated:{k}": v for k, v in _progress(conn, w, now).items()})
    return {k: v for k, v in written.items() if v}


def load_world(conn: Connection, now: dt.datetime, seed: int = DEFAULT_SEED) -> World:
    if conn.execute(sa.select(County.id).limit(1)).first() is None:
        raise NoRegistryError("the store has no county: run `python -m lib.demo` or `python -m lib.registry load FILE`")
    return World.load(conn, seed=seed, now=now)


def run(url: str | None, *, rate: float = DEFAULT_RATE, seconds: float | None = None, seed: int = DEFAULT_SEED,
        stop: threading.Event | None = None, report: Callable[[str], None] | None = None) -> Counter[str]:
    """Feed the store until ``stop`` is set or ``seconds`` have passed; returns the totals."""
    stop = stop or threading.Event()
    engine = db.engine(url)
    with engine.connect() as conn:
        world = load_world(conn, clock.now(), seed)
    rng = np.random.Generator(np.random.PCG64(seed))
    totals: Counter[str] = Counter()
    started = last_report = time.monotonic()
    while not stop.is_set() and (seconds is None or time.monotonic() - started < seconds):
        tick = time.monotonic()
        now = clock.now()
        with engine.begin() as conn:
            totals.update(step(conn, now, rng, int(rng.poisson(rate / 60 * TICK_SECONDS * _shape(now))), world))
        if report is not None and tick - last_report >= 10:
            report(_summary(totals, time.monotonic() - started))
            last_report = tick
        stop.wait(max(0.0, TICK_SECONDS - (time.monotonic() - tick)))
    return totals


def _summary(totals: Counter[str], elapsed: float) -> str:
    return f"{elapsed:6.0f}s  " + ", ".join(f"{k} {v}" for k, v in sorted(totals.items()))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.feed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=DEFAULT_RATE, help="events a minute, averaged over the day")
    parser.add_argument("--db", help="store URL (default: COCKPIT_DB_URL, secrets, or data/cockpit.db)")
    parser.add_argument("--seconds", type=float, help="stop after this many seconds (default: run until stopped)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    started = time.monotonic()
    try:
        totals = run(args.db, rate=args.rate, seconds=args.seconds, seed=args.seed, stop=stop,
                     report=lambda line: print(line, flush=True))
    except NoRegistryError as exc:
        print(f"lib.demo.feed: {exc}", file=sys.stderr)
        return 2
    print("stopped: " + _summary(totals, time.monotonic() - started), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
