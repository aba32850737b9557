"""Resources sent down (下沉, seed 000 §二(六)1): each eligible doctor's days against the pro-rated 30,
by sending hospital; the days each host unit received; THCs' stationed attendings; the monthly roster
(排班) planned against executed.

Eligibility and days served are lib.kpi.measures' own (``eligible_doctors``, ``days_served``,
``days_owed``), so the per-doctor table adds up to ``sinking_days_compliance``'s numerator and
denominator; the scope's and each unit's figures are the KPI engine's. Doctors appear by staff key only,
as the store keeps them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from lib.kpi import measures
from lib.kpi.engine import Engine, KpiValue, Scope
from lib.kpi.indicators import THC_TIERS
from lib.kpi.period import Period, add_months
from lib.store import db
from lib.store.models import MonthlyReport, SinkingDeployment, Staff
from lib.store.sqlfn import plus_days

HEADLINE = ("sinking_days_compliance", "sinking_days_hosted", "stationed_physicians_per_10k",
            "township_attending_coverage")
# Days each sending hospital rostered for the month's 下沉 (000 §二(六)1: 每月进行一次排班), reported by
# the hospital on monthly_report; what its doctors served that month is read from their stints.
ROSTER_METRIC = "sink_roster_days"
ROSTER_MONTHS = 12
UNIT_COLUMNS = ["facility_id", "code", "name_zh", "name_en", "tier"]


@dataclass(frozen=True)
class Sinking:
    """The sinking page: the scope's indicators, then per doctor, sending hospital, host and month."""

    period: Period
    as_of: dt.date  # the day days are counted to (the period's last day, or today while it runs)
    owed: float  # days an eligible doctor owes by ``as_of``
    headline: dict[str, KpiValue]
    doctors: pd.DataFrame  # staff_key, code, name_zh, name_en, days, owed, short, on_track; furthest behind first
    hospitals: pd.DataFrame  # code, names, eligible, on_track, behind, short, compliance (engine value)
    hosts: pd.DataFrame  # host units: code, names, tier, days, days_target, stationed, covered (THCs only)
    roster: pd.DataFrame  # month, code, names, planned (NaN: no roster reported), executed, rostered
    names: dict[str, tuple[str, str]]  # indicator and unit codes -> (name_zh, name_en)


def names_of(engine: Engine, codes: Sequence[str]) -> dict[str, tuple[str, str]]:
    """The indicators' names in both languages (the catalogue's) and every unit's (a missing report names
    its unit)."""
    units = {u.code: (u.name_zh, u.name_en) for u in engine.units.itertuples()}
    return units | {c: (engine.catalogue.at[c, "name_zh"], engine.catalogue.at[c, "name_en"]) for c in codes}


def doctors(conn: sa.Connection, day: dt.date, facility_ids: Sequence[int] | None) -> pd.DataFrame:
    """Eligible doctors on ``day`` with the days they served this year and what they owe by then."""
    e, s = measures.eligible_doctors(day), Staff
    query = sa.select(s.staff_key, e.c.facility_id, e.c.days).join(s, s.id == e.c.staff_id)
    if facility_ids is not None:
        query = query.where(e.c.facility_id.in_(facility_ids))
    rows = db.read_frame(conn, query.order_by(s.staff_key))
    owed = measures.days_owed(day)
    rows["days"] = rows["days"].astype(float)
    rows["owed"] = owed
    rows["on_track"] = rows["days"] >= owed  # the indicator's own test (lib.kpi.measures.sinking_measures)
    rows["short"] = (owed - rows["days"]).clip(lower=0)
    return rows.sort_values(["short", "staff_key"], ascending=[False, True], ignore_index=True)


def roster(conn: sa.Connection, end: Period, today: dt.date, facility_ids: Sequence[int] | None) -> pd.DataFrame:
    """Per sending hospital and month of the ROSTER_MONTHS to ``end``: days rostered (reported) against
    days its doctors served at the grassroots (to today in a running month), and of those the rostered
    ones (a stint flagged ``planned``). One query for the served days, one for the rosters."""
    d, s, r = SinkingDeployment, Staff, MonthlyReport
    months = [add_months(end.last_month, -i) for i in reversed(range(ROSTER_MONTHS))]
    spans = [(Period("month", m).first_date, min(Period("month", m).last_date, today)) for m in months]
    columns = []
    for i, (first, last) in enumerate(spans):
        served = measures.days_served(first, last) if last >= first else sa.literal(0)
        columns += [sa.func.sum(served).label(f"e{i}"),
                    sa.func.sum(sa.case((d.planned, served), else_=0)).label(f"p{i}")]
    lo, hi = spans[0][0], spans[-1][1]
    query = (sa.select(s.facility_id, *columns).join(s, s.id == d.staff_id)
             .where(d.start_date.between(lo - dt.timedelta(days=measures.MAX_STINT_DAYS), hi),
                    plus_days(d.start_date, d.days) > lo).group_by(s.facility_id))
    plans = sa.select(r.facility_id, r.month, r.value).where(r.metric == ROSTER_METRIC,
                                                            r.month.between(months[0], months[-1]))
    if facility_ids is not None:
        query = query.where(s.facility_id.in_(facility_ids))
        plans = plans.where(r.facility_id.in_(facility_ids))
    wide = db.read_frame(conn, query)
    served = pd.concat([pd.DataFrame({"facility_id": wide["facility_id"], "month": m,
                                      "executed": wide[f"e{i}"].astype(float), "rostered": wide[f"p{i}"].astype(float)})
                        for i, m in enumerate(months)], ignore_index=True)
    planned = db.read_frame(conn, plans).rename(columns={"value": "planned"})
    planned["month"] = pd.to_datetime(planned["month"]).dt.date
    return planned.merge(served, on=["facility_id", "month"], how="outer")


def build(engine: Engine, scope: Scope, period: Period, facility_ids: Sequence[int] | None) -> Sinking:
    """The sinking page for the filters' scope and period, on ``engine`` (its connection and clock)."""
    day = measures.as_of(period, engine.today)
    units = engine.units.reset_index()[UNIT_COLUMNS]
    if facility_ids is not None:
        units = units[units["facility_id"].isin(facility_ids)]
    sending = units[units["tier"].isin(measures.SENDING_TIERS)]
    hosts = units[units["tier"].isin(engine.catalogue.at["sinking_days_hosted", "tiers"])]
    headline = {v.code: v for v in engine.compute(HEADLINE, [scope], period)}
    per_unit = {(v.code, v.scope.codes[0]): v for v in engine.compute(
        HEADLINE, [Scope("facility", (c,)) for c in pd.concat([sending, hosts])["code"]], period, compare=False)}
    names = units.drop(columns="tier")
    people = doctors(engine.conn, day, list(sending["facility_id"])).merge(names, on="facility_id")
    months = roster(engine.conn, period, engine.today, list(sending["facility_id"])).merge(names, on="facility_id")
    return Sinking(period, day, measures.days_owed(day), headline, people, _hospitals(sending, people, per_unit),
                   _hosts(hosts, engine.measures(period).values, per_unit), months, names_of(engine, HEADLINE))


def _hospitals(sending: pd.DataFrame, people: pd.DataFrame, per_unit: dict[tuple[str, str], KpiValue]
               ) -> pd.DataFrame:
    counts = people.groupby("facility_id").agg(eligible=("staff_key", "size"), on_track=("on_track", "sum"),
                                               short=("short", "sum"))
    out = sending.drop(columns="tier").join(counts, on="facility_id")
    out["behind"] = out["eligible"] - out["on_track"]
    values = [per_unit.get(("sinking_days_compliance", c)) for c in out["code"]]
    out["compliance"] = [None if v is None else v.value for v in values]
    return out.reset_index(drop=True)


def _hosts(hosts: pd.DataFrame, values: pd.DataFrame, per_unit: dict[tuple[str, str], KpiValue]) -> pd.DataFrame:
    """Days each host received (engine), its stationed intermediate+ physicians on the day (the engine's
    measure) and, for a THC, whether one is an attending there (township_attending_coverage's test)."""
    out = hosts.reset_index(drop=True)
    hosted = [per_unit.get(("sinking_days_hosted", c)) for c in out["code"]]
    out["days"] = [None if v is None else v.value for v in hosted]
    out["days_target"] = [None if v is None else v.target for v in hosted]
    stationed = values["stationed_phys"] if "stationed_phys" in values.columns else pd.Series(dtype=float)
    out["stationed"] = stationed.reindex(out["facility_id"]).fillna(0).to_numpy()
    out["covered"] = (out["stationed"] >= 1).where(out["tier"].isin(THC_TIERS))
    return out
