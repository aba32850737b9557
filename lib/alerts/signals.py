"""Signals as people work them (CIDARS's response workflow): open ones listed, each step recorded.

new → verifying (初步核实) → confirmed (疑似事件/确认) or dismissed (排除); a new signal may be dismissed
at once. Every step is a row of ``alert_response`` (who, when, note); the signal keeps its latest state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.store import db
from lib.store.models import AlertResponse, AlertSignal

STATES = ("new", "verifying", "confirmed", "dismissed")
NEXT = {"new": ("verifying", "dismissed"), "verifying": ("confirmed", "dismissed"), "confirmed": (), "dismissed": ()}
OPEN = ("new", "verifying")


class StepRefused(ValueError):  # noqa: N818 - a refused step is an answer to the user, not a bug
    """A step the workflow does not allow (``reason`` is an i18n key under ``alerts.refused.``)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def listed(conn: Connection, since: dt.date, facility_ids: Sequence[int] | None = None,
           *, open_only: bool = False) -> pd.DataFrame:
    """Signals raised since ``since`` (newest first), in the townships of ``facility_ids`` (None: all)."""
    s = AlertSignal
    query = sa.select(s.id, s.facility_id, s.syndrome, s.day, s.count, s.expected, s.threshold, s.method,
                      s.raised_at, s.state, s.state_at, s.state_by, s.note).where(s.day >= since)
    if facility_ids is not None:
        query = query.where(s.facility_id.in_([int(i) for i in facility_ids]))
    if open_only:
        query = query.where(s.state.in_(OPEN))
    return db.read_frame(conn, query.order_by(s.day.desc(), s.id.desc()))


def respond(conn: Connection, signal_id: int, state: str, *, by: str, note: str, now: dt.datetime) -> None:
    """Move a signal to ``state``, recording the step; StepRefused if the workflow does not allow it."""
    if not by.strip():
        raise StepRefused("no_name")
    current = conn.execute(sa.select(AlertSignal.state).where(AlertSignal.id == signal_id)).scalar()
    if current is None:
        raise StepRefused("no_signal")
    if state not in NEXT[current]:
        raise StepRefused("not_allowed")
    if state in ("confirmed", "dismissed") and not note.strip():
        raise StepRefused("no_note")  # closing a signal says why
    conn.execute(sa.insert(AlertResponse), {"signal_id": signal_id, "state": state, "at": now, "by": by.strip(),
                                            "note": note.strip()})
    conn.execute(sa.update(AlertSignal).where(AlertSignal.id == signal_id)
                 .values(state=state, state_at=now, state_by=by.strip(), note=note.strip()))


def history(conn: Connection, signal_id: int) -> pd.DataFrame:
    r = AlertResponse
    return db.read_frame(conn, sa.select(r.state, r.at, r.by, r.note).where(r.signal_id == signal_id).order_by(r.id))
