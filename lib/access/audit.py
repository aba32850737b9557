"""The audit of access: every change to users, scopes and tokens, and every refused sign-in."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.store import db
from lib.store.models import AccessAudit

SHOWN = 200  # rows the admin page lists


def record(conn: Connection, *, by: str, action: str, target: str, detail: str = "", now: dt.datetime) -> None:
    """Keep one step, inside the caller's transaction: the change and its record commit together."""
    conn.execute(sa.insert(AccessAudit).values(at=now, by=by[:64], action=action, target=target[:64], detail=detail))


def listed(conn: Connection, limit: int = SHOWN) -> pd.DataFrame:
    """The latest steps, newest first: at, by, action, target, detail."""
    stmt = sa.select(AccessAudit.at, AccessAudit.by, AccessAudit.action, AccessAudit.target, AccessAudit.detail)
    return db.read_frame(conn, stmt.order_by(AccessAudit.id.desc()).limit(limit))
