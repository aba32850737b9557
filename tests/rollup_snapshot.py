"""Rollup tables as comparable dicts, for tests that check a write path against ``lib.events.rollup.rebuild``."""

from __future__ import annotations

import sqlalchemy as sa

from lib.events import rollup
from lib.store.models import DailyRollup, MonthlyRollup


def snapshot(conn: sa.Connection, digits: int = 4) -> dict[str, dict[tuple, float]]:
    """Non-zero rollup values by (day or month, facility, metric, dim), rounded: sums of money in another
    order differ in the last float bits, and a zero row is the same as no row."""
    out = {}
    for table in (DailyRollup, MonthlyRollup):
        key = table.day if table is DailyRollup else table.month
        rows = conn.execute(sa.select(key, table.facility_id, table.metric, table.dim, table.value)).all()
        out[table.__tablename__] = {(str(k), f, m, d): round(v, digits) for k, f, m, d, v in rows if round(v, digits)}
    return out


def rebuilt(conn: sa.Connection) -> dict[str, dict[tuple, float]]:
    """What a rebuild from the raw events gives, without keeping it.

    ``conn`` must hold no uncommitted writes: a read transaction it has open is ended first.
    """
    if conn.in_transaction():
        conn.rollback()
    tx = conn.begin()
    try:
        rollup.rebuild(conn)
        return snapshot(conn)
    finally:
        tx.rollback()
