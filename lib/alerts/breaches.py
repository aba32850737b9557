"""Rule breaches kept and worked (issue #17 item 5): what lib.alerts.rules finds is sent to the groups and
kept here, one row per topic (the rule and its period, the outbox's topic).

A check that finds a breach again updates its ``last_seen`` and its lines (the backlog's count as last
seen); a breach no longer found is not closed by the machine: it stays until someone closes it, saying
why, and its ``last_seen`` tells how long ago it was still true. A closed breach stays closed when found
again within its period (its topic was sent once; the period's next turn is a new topic).
open → acknowledged (已知悉) → closed (已关闭), or open → closed; every step kept (lib.alerts.workflow).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from lib.alerts.rules import Breach
from lib.alerts.workflow import Workflow
from lib.kpi import measures
from lib.kpi.engine import Scope
from lib.store import db
from lib.store.counties import CountyRef
from lib.store.models import AlertBreach, AlertBreachStep

WORKFLOW = Workflow(AlertBreach, AlertBreachStep, "breach_id",
                    {"open": ("acknowledged", "closed"), "acknowledged": ("closed",), "closed": ()},
                    closing=("closed",))
OPEN = WORKFLOW.open
respond, history = WORKFLOW.respond, WORKFLOW.history


def record(conn: Connection, found: Sequence[Breach], now: dt.datetime) -> int:
    """Keep each breach found at ``now``: a new topic opens a row, a known one is seen again; returns how many
    topics were new. Runs in the caller's transaction (the check's, which queues the same breaches)."""
    if not found:
        return 0
    b = AlertBreach
    known = set(conn.execute(sa.select(b.topic).where(b.topic.in_([x.topic for x in found]))).scalars())
    rows = [{"topic": x.topic, "county_id": x.county.id, "rule": x.rule.name, "kind": x.rule.kind,
             "scope": x.rule.scope.label, "lines_zh": "\n".join(x.lines["zh"]), "lines_en": "\n".join(x.lines["en"]),
             "first_seen": now, "last_seen": now, "state": "open", "state_at": now, "state_by": "",
             "note": ""} for x in found]
    insert = postgresql.insert(b) if conn.dialect.name == "postgresql" else sqlite.insert(b)
    stmt = insert.values(rows)
    conn.execute(stmt.on_conflict_do_update(index_elements=["topic"], set_={
        "last_seen": stmt.excluded.last_seen, "lines_zh": stmt.excluded.lines_zh, "lines_en": stmt.excluded.lines_en}))
    return len({x.topic for x in found} - known)


def scope_of(label: str) -> Scope:
    """The scope a breach was found in, from its stored label (lib.kpi.Scope.label)."""
    kind, _, codes = label.partition(":")
    return Scope() if kind == "county" else Scope(kind, tuple(codes.split(",")))  # type: ignore[arg-type]


def listed(conn: Connection, since: dt.date, county: CountyRef, facility_ids: Sequence[int] | None = None,
           *, open_only: bool = False) -> pd.DataFrame:
    """The county's open breaches and those seen since ``since`` (open first, then the latest seen), whose
    scope holds a unit of ``facility_ids`` (None: all; a county-wide breach concerns every scope)."""
    b = AlertBreach
    query = sa.select(b.id, b.topic, b.rule, b.kind, b.scope, b.lines_zh, b.lines_en, b.first_seen, b.last_seen,
                      b.state, b.state_at, b.state_by, b.note).where(b.county_id == county.id)
    is_open = b.state.in_(OPEN)
    query = query.where(is_open if open_only else sa.or_(is_open, b.last_seen >= since))
    found = db.read_frame(conn, query.order_by(sa.case((is_open, 0), else_=1), b.last_seen.desc(), b.id.desc()))
    if facility_ids is None or found.empty:
        return found
    units, wanted = measures.facilities(conn, county.id), {int(i) for i in facility_ids}
    keep = [label == "county" or bool(wanted & set(scope_of(label).members(units))) for label in found["scope"]]
    return found[keep].reset_index(drop=True)
