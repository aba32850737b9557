"""Data quality of the monthly reports (issue #12 item 8, #11 item 1): who reported, on time or not, who
never did, and which values look wrong.

- Completeness and timeliness per unit and month: on time by the 16th of the next month (seed 003
  §四(二)), late, missing once the deadline has passed, pending before it (lib.scoring.completeness).
  A missing report is named, never read as 0, "no hall" or level 0.
- Outliers: a value far from the unit's own recent months, by the modified z-score of Iglewicz and
  Hoaglin (1993): z = 0.6745 (x − median) / MAD over the unit's previous ``HISTORY_MONTHS`` months, flagged
  when |z| > ``Z_LIMIT`` and at least ``MIN_HISTORY`` months are known; yes/no columns are not tested.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.ingest import kinds
from lib.kpi.period import add_months
from lib.scoring import completeness
from lib.store import db
from lib.store.models import MonthlyReport

MONTHS_SHOWN = 6
HISTORY_MONTHS = 12
MIN_HISTORY = 6
Z_LIMIT = 3.5
Z_SCALE = 0.6745  # the median absolute deviation of a normal distribution, in standard deviations


@dataclass(frozen=True)
class Quality:
    """The reports of ``months`` (oldest first, ending with the month asked) for the units in scope."""

    months: tuple[dt.date, ...]
    status: pd.DataFrame  # index facility_id; a column per month: on_time | late | missing | pending
    missing: pd.DataFrame  # facility_id, month: every report overdue and never received, newest first
    outliers: pd.DataFrame  # facility_id, metric, value, median, z: the month asked

    def counts(self, month: dt.date) -> dict[str, int]:
        """How many units are in each status for ``month``."""
        column = self.status[month] if month in self.status else pd.Series(dtype=object)
        return {s: int((column == s).sum()) for s in completeness.STATUSES}


def build(conn: Connection, month: dt.date, facility_ids: Sequence[int], now: dt.datetime,
          due_day: int = completeness.DUE_DAY) -> Quality:
    months = tuple(add_months(month, -i) for i in reversed(range(MONTHS_SHOWN)))
    ids = pd.Index(list(facility_ids), name="facility_id")
    status = pd.DataFrame({m: completeness.reports(conn, m, ids, now, due_day)["report_status"] for m in months},
                          index=ids)
    long = status.reset_index().melt(id_vars="facility_id", var_name="month", value_name="status")
    missing = (long[long["status"] == "missing"].drop(columns="status")
               .sort_values(["month", "facility_id"], ascending=[False, True]).reset_index(drop=True))
    return Quality(months, status, missing, outliers(conn, month, ids))


def outliers(conn: Connection, month: dt.date, facility_ids: pd.Index) -> pd.DataFrame:
    """Values of ``month`` with |modified z| above the limit against the unit's own history."""
    tested = [c.metric for k in kinds.kinds() for c in k.columns if not c.register and c.type != "flag"]
    r = MonthlyReport
    rows = db.read_frame(conn, sa.select(r.facility_id, r.metric, r.month, r.value).where(
        r.month.between(add_months(month, -HISTORY_MONTHS), month), r.metric.in_(tested),
        r.facility_id.in_([int(i) for i in facility_ids])))
    columns = ["facility_id", "metric", "value", "median", "z"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows["month"] = pd.to_datetime(rows["month"]).dt.date
    now_rows = rows[rows["month"] == month].set_index(["facility_id", "metric"])["value"]
    past = rows[rows["month"] < month].groupby(["facility_id", "metric"])["value"]
    stats = pd.DataFrame({"median": past.median(), "n": past.size()})
    stats["mad"] = (rows[rows["month"] < month].join(stats["median"], on=["facility_id", "metric"])
                    .assign(dev=lambda d: (d["value"] - d["median"]).abs())
                    .groupby(["facility_id", "metric"])["dev"].median())
    joined = stats.join(now_rows.rename("value"), how="inner")
    joined = joined[(joined["n"] >= MIN_HISTORY) & (joined["mad"] > 0)]
    joined["z"] = Z_SCALE * (joined["value"] - joined["median"]) / joined["mad"]
    flagged = joined[joined["z"].abs() > Z_LIMIT].reset_index()
    return flagged[columns].sort_values("z", key=abs, ascending=False).reset_index(drop=True)


def audit_log(conn: Connection, limit: int = 200) -> pd.DataFrame:
    """The latest accepted files, newest first (who, when, which file and checksum, what changed)."""
    return db.read_frame(conn, sa.text(
        "SELECT at, by, channel, kind, file_name, sha256, month, rows, inserted, updated, unchanged "
        "FROM ingest_audit ORDER BY at DESC, id DESC LIMIT :n"), {"n": limit})
