"""The one reader of the rollup tables: which buckets make up a period, and sums over them.

The KPI engine (lib.kpi.measures), the referral flows and leakage (lib.maps.flows), the map's volumes
(lib.maps.scene) and today's counters (lib.events.live) all read the rollups through :func:`sums`, so the rule
for which buckets a period covers exists once:

- months come from the monthly rollup (one index range scan), "today" from the daily one;
- follow-ups are keyed by their due date, which can lie ahead: a month still running counts them
  from the daily rollup up to today only;
- family-doctor contracts are running sums (valid on a day = starts − ends so far): every month up to
  the period's end, a month still running up to today from the daily rollup.

Every query returns at most facilities × metrics (× dimensions asked for) rows, whatever the years of
history. The dimension's text is built and parsed only in lib.events.rollup, next to the metric declarations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.kpi.period import Period, add_months, first_of_month
from lib.store import db
from lib.store.models import DailyRollup, MonthlyRollup

FOLLOW_UP = ("fu_due", "fu_ontime")  # keyed by due date: counted up to today only
CONTRACT = ("fd_start", "fd_end")  # running sums: every bucket so far
Rollup = type[MonthlyRollup] | type[DailyRollup]
Range = tuple[dt.date, dt.date]
Where = Callable[[Rollup], sa.ColumnElement]  # an extra condition on whichever table a bucket reads


@dataclass(frozen=True)
class Windows:
    """Which rollup buckets make up one period, by class of metric (monthly buckets, then daily ones)."""

    events: Range | None
    follow_ups: Range | None
    contracts_through: dt.date | None  # cumulative: every month up to and including this one
    daily_events: Range | None
    daily_follow_ups: Range | None
    daily_contracts: Range | None

    @classmethod
    def of(cls, period: Period, today: dt.date) -> Windows:
        if period.kind == "today":
            day = period.end
            return cls(None, None, add_months(first_of_month(day), -1), (day, day), (day, day),
                       (first_of_month(day), day))
        first, last = period.first_month, period.last_month
        if period.last_date <= today:
            return cls((first, last), (first, last), last, None, None, None)
        complete = add_months(last, -1)  # the last month is still running: its future-keyed parts go daily
        return cls((first, last), (first, complete) if complete >= first else None, complete, None,
                   (last, today), (last, today))

    def buckets(self) -> list[tuple[Rollup, sa.ColumnElement]]:
        """(table, condition on bucket and metric) for every part of the period."""
        m, d = MonthlyRollup, DailyRollup
        parts: list[tuple[Rollup, sa.ColumnElement]] = []
        if self.events:
            parts.append((m, sa.and_(m.month.between(*self.events), m.metric.not_in(FOLLOW_UP + CONTRACT))))
        if self.follow_ups:
            parts.append((m, sa.and_(m.month.between(*self.follow_ups), m.metric.in_(FOLLOW_UP))))
        if self.contracts_through:
            parts.append((m, sa.and_(m.month <= self.contracts_through, m.metric.in_(CONTRACT))))
        for window, metrics in ((self.daily_events, None), (self.daily_follow_ups, FOLLOW_UP),
                                (self.daily_contracts, CONTRACT)):
            if window:
                kind = d.metric.not_in(FOLLOW_UP + CONTRACT) if metrics is None else d.metric.in_(metrics)
                parts.append((d, sa.and_(d.day.between(*window), kind)))
        return parts


def _dim(table: Rollup, by_dim: Collection[str]) -> sa.Label:
    """The dimension of the metrics in ``by_dim``, '' for the others. Queries group by this label, which
    PostgreSQL needs for an expression with bound parameters."""
    kept = sa.case((table.metric.in_(list(by_dim)), table.dim), else_="") if by_dim else sa.literal("")
    return kept.label("dim")


def sums(conn: Connection, period: Period, today: dt.date | None = None, *, metrics: Collection[str] | None = None,
         exclude: Collection[str] = (), facility_ids: Sequence[int] | None = None, by_dim: Collection[str] = (),
         where: Where | None = None) -> pd.DataFrame:
    """Rollup sums over ``period``: facility_id, metric, dim, value.

    ``today`` matters only to metrics keyed ahead of time or summed so far (follow-ups, contracts):
    None reads the period as complete. ``metrics`` (None: all but ``exclude``) limits what is read;
    ``facility_ids`` the units (None: all); ``by_dim`` the metrics whose dimension is kept (others
    come back with dim ''); ``where`` adds a condition, given the table, e.g. on the dimension
    (lib.events.rollup builds those).
    """
    selects = []
    for table, inside in Windows.of(period, today or period.last_date).buckets():
        conds = [inside]
        if metrics is not None:
            conds.append(table.metric.in_(list(metrics)))
        if exclude:
            conds.append(table.metric.not_in(list(exclude)))
        if facility_ids is not None:
            conds.append(table.facility_id.in_([int(i) for i in facility_ids]))
        if where is not None:
            conds.append(where(table))
        dim = _dim(table, by_dim)
        keys = [table.facility_id, table.metric, *([dim] if by_dim else [])]
        selects.append(sa.select(table.facility_id, table.metric, dim, sa.func.sum(table.value).label("value"))
                       .where(*conds).group_by(*keys))
    if not selects:
        return pd.DataFrame(columns=["facility_id", "metric", "dim", "value"])
    frame = db.read_frame(conn, sa.union_all(*selects))
    # A period read from both tables (a running month) gives a metric twice: add the parts up.
    return frame.groupby(["facility_id", "metric", "dim"], as_index=False)["value"].sum()


def complete_months(conn: Connection, months: Sequence[dt.date], *, exclude: Collection[str] = (),
                    by_dim: Collection[str] = ()) -> dict[dt.date, pd.DataFrame]:
    """``sums`` of each of several complete months (facility_id, metric, dim, value per month), in two scans
    instead of one per month: what lib.kpi.months needs to compute a year of closed months at once.
    Contracts, running sums, add up every month to each one."""
    m = MonthlyRollup
    dim = _dim(m, by_dim)
    keys = [m.month, m.facility_id, m.metric, *([dim] if by_dim else [])]
    select = sa.select(m.month, m.facility_id, m.metric, dim, sa.func.sum(m.value).label("value")).group_by(*keys)
    flows = db.read_frame(conn, select.where(m.month.in_(list(months)), m.metric.not_in([*CONTRACT, *exclude])))
    contracts = db.read_frame(conn, select.where(m.month <= max(months), m.metric.in_(CONTRACT)))
    out = {}
    for month in months:
        running = contracts[contracts["month"] <= month].groupby(["facility_id", "metric", "dim"], as_index=False)[
            "value"].sum()
        out[month] = pd.concat([flows.loc[flows["month"] == month, ["facility_id", "metric", "dim", "value"]],
                                running], ignore_index=True)
    return out
