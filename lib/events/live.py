"""Today's live counters and how fresh the data is, for the wall screen.

Counts come from the daily rollup through lib.events.read (kept current by every insert); the two "right now" figures —
ambulances under way and remote reads waiting — are indexed range counts over the last hours, so
neither grows with years of history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.events import read as rollup_read
from lib.kpi.period import Period
from lib.store.models import EmergencyDispatch, Referral, RemoteRead, Visit

UNDER_WAY_HOURS = 12  # a dispatch not completed within this is a data gap, not an ambulance on the road
WAITING_DAYS = 3  # remote reads requested in these days and not yet reported


@dataclass(frozen=True)
class Counters:
    visits: int
    admissions: int
    referrals_up: int
    referrals_down: int
    referrals_out: int
    dispatches_under_way: int
    reads_waiting: int
    data_as_of: dt.datetime | None


def _in(column: sa.ColumnElement, ids: Sequence[int] | None) -> sa.ColumnElement:
    return sa.true() if ids is None else column.in_(list(ids))


def data_as_of(conn: Connection, facility_ids: Sequence[int] | None = None) -> dt.datetime | None:
    """The newest event time (visits, referrals, dispatches) of the units ``facility_ids`` (None: all): each
    read from its time index, newest first, until a row of those units."""
    newest = [conn.execute(sa.select(sa.func.max(col)).where(_in(unit, facility_ids))).scalar()
              for col, unit in ((Visit.ts, Visit.facility_id), (Referral.sent_at, Referral.from_facility_id),
                                (EmergencyDispatch.call_at, EmergencyDispatch.facility_id))]
    newest = [_as_datetime(x) for x in newest if x is not None]
    return max(newest) if newest else None


def _as_datetime(x: dt.datetime | str) -> dt.datetime:
    return x if isinstance(x, dt.datetime) else dt.datetime.fromisoformat(str(x))


def counters(conn: Connection, now: dt.datetime, facility_ids: Sequence[int] | None = None,
             county_ids: Sequence[int] | None = None) -> Counters:
    """Today's counts for the units in ``facility_ids`` (None: the whole county); how fresh the data is, from
    the county's units ``county_ids`` (None: the store's), whatever the units counted."""
    today = rollup_read.sums(conn, Period("today", now.date()), metrics=("visits", "adm_at", "ref_sent"),
                             facility_ids=facility_ids, by_dim=("ref_sent",))
    rows = today.groupby(["metric", "dim"])["value"].sum().to_dict()
    e, r = EmergencyDispatch, RemoteRead
    under_way = conn.execute(sa.select(sa.func.count()).where(
        e.call_at.between(now - dt.timedelta(hours=UNDER_WAY_HOURS), now), e.completed_at.is_(None),
        _in(e.facility_id, facility_ids))).scalar_one()
    waiting = conn.execute(sa.select(sa.func.count()).where(
        r.requested_at.between(now - dt.timedelta(days=WAITING_DAYS), now), r.reported_at.is_(None),
        _in(r.facility_id, facility_ids))).scalar_one()
    return Counters(
        visits=int(rows.get(("visits", ""), 0)), admissions=int(rows.get(("adm_at", ""), 0)),
        referrals_up=int(rows.get(("ref_sent", "up"), 0)), referrals_down=int(rows.get(("ref_sent", "down"), 0)),
        referrals_out=int(rows.get(("ref_sent", "out"), 0)), dispatches_under_way=int(under_way),
        reads_waiting=int(waiting), data_as_of=data_as_of(conn, county_ids),
    )


def is_stale(as_of: dt.datetime | None, now: dt.datetime, threshold: dt.timedelta) -> bool:
    """No event for longer than the threshold (the feed or an interface has stopped)."""
    return as_of is None or now - as_of > threshold
