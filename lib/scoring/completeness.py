"""Whether each unit's monthly report came in on time: by the county's reporting day of the following month
(its registry's ``reporting_day``; the 16th by default, seed 003 §四(二))."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.kpi.period import add_months
from lib.store import db
from lib.store.models import MonthlyReport

DUE_DAY = 16  # 003 §四(二): 每月16日前报送 — "by the 16th": on time through the end of that day
STATUSES = ("on_time", "late", "missing", "pending")


def deadline(month: dt.date, due_day: int = DUE_DAY) -> dt.datetime:
    """The first moment a report for ``month`` is late: the day after ``due_day`` of the next month, 00:00."""
    return dt.datetime.combine(add_months(month, 1).replace(day=due_day), dt.time()) + dt.timedelta(days=1)


def overdue(month: dt.date, now: dt.datetime, due_day: int = DUE_DAY) -> bool:
    return now >= deadline(month, due_day)


def reports(conn: Connection, month: dt.date, facility_ids: pd.Index, now: dt.datetime,
            due_day: int = DUE_DAY) -> pd.DataFrame:
    """Per facility: report_status (on_time | late | missing | pending) and report_received_at (the last row).

    A unit reports several metrics for a month; its report counts as in when the last of them arrived.
    No report yet is "pending" until the deadline passes, "missing" after it.
    """
    r = MonthlyReport
    got = db.read_frame(conn, sa.select(r.facility_id, sa.func.max(r.received_at).label("received"))
                        .where(r.month == month).group_by(r.facility_id)).set_index("facility_id")
    received = pd.to_datetime(got["received"]).reindex(facility_ids)
    late = deadline(month, due_day)
    status = pd.Series("missing" if now >= late else "pending", index=facility_ids, dtype=object)
    status[received.notna() & (received < late)] = "on_time"
    status[received.notna() & (received >= late)] = "late"
    return pd.DataFrame({"report_status": status,
                         "report_received_at": [None if pd.isna(x) else x.to_pydatetime() for x in received]},
                        index=facility_ids)


def data_as_of(conn: Connection, month: dt.date) -> dt.datetime | None:
    """The latest report received for ``month``: a later one means late data a snapshot may not hold."""
    value = conn.execute(sa.select(sa.func.max(MonthlyReport.received_at)).where(MonthlyReport.month == month)).scalar()
    return None if value is None else pd.Timestamp(value).to_pydatetime()
