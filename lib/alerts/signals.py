"""Signals as people work them (CIDARS's response workflow): open ones listed, each step recorded.

new → verifying (初步核实) → confirmed (疑似事件/确认) or dismissed (排除); a new signal may be dismissed
at once. Every step is a row of ``alert_response`` (who, when, note); the signal keeps its latest state
(lib.alerts.workflow).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.alerts.workflow import Workflow
from lib.store import db
from lib.store.models import AlertResponse, AlertSignal

STATES = ("new", "verifying", "confirmed", "dismissed")
WORKFLOW = Workflow(AlertSignal, AlertResponse, "signal_id",
                    {"new": ("verifying", "dismissed"), "verifying": ("confirmed", "dismissed"), "confirmed": (),
                     "dismissed": ()}, closing=("confirmed", "dismissed"))
OPEN = WORKFLOW.open
respond, history = WORKFLOW.respond, WORKFLOW.history


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
