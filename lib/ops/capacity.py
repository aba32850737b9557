"""Capacity (服务能力): GPs per 10,000 residents against 001's 2025 and 2030 targets, THC staffing
(002 §二(二)1), village doctors per 1,000 rural residents and their licensed share (002 §二(二)3), EMR
levels per hospital against 6/5/3 (000 §二(五)3), ambulances per THC (004 §十四) and training (000
§二(二)3, §二(四)1; the plan's counted milestones, lib.ops.plan).

Every figure is the KPI engine's: the scope's indicators, each unit's own where the indicator has a unit
scope, else the unit's engine measures tested as the formula tests them (``thc_staffing_ok``). A status
report not filed within the carry window is missing ("not reported"), never 0; one carried forward keeps
its report month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from lib.kpi import measures
from lib.kpi.engine import Engine, KpiValue, Scope
from lib.kpi.indicators import THC_TIERS, thc_staffing_ok
from lib.kpi.period import Period
from lib.ops import plan
from lib.ops.sinking import names_of
from lib.problems import InputError

HEADLINE = ("gp_per_10k", "thc_staffing_compliance", "village_doctor_density", "village_doctor_licensed_share",
            "thc_ambulance_coverage")
GP_GOAL_YEAR = 2030  # 001 §(十九)63: ≥5 GPs per 10,000 by 2030 (the county's own target file may differ)
UNIT_COLUMNS = ["facility_id", "code", "name_zh", "name_en", "tier"]


@dataclass(frozen=True)
class Capacity:
    """The capacity page: the scope's indicators, the GP trend, EMR per hospital, THCs, training."""

    period: Period
    headline: dict[str, KpiValue]
    gp_series: list[tuple[dt.date, float | None]]  # the 12 months to the period's end
    gp_goal: tuple[float, dt.date | None] | None  # the GP target of GP_GOAL_YEAR and its deadline
    emr: pd.DataFrame  # code, names, tier, level, target, status, as_of (a carried report's month), missing
    thcs: pd.DataFrame  # code, names, staffed (bool; NaN without roster), ambulances (NaN: not reported), as_of
    training: list[plan.Progress]
    names: dict[str, tuple[str, str]]  # indicator and unit codes -> (name_zh, name_en)


def build(engine: Engine, scope: Scope, period: Period, facility_ids: Sequence[int] | None,
          plans: Path | None = None) -> Capacity:
    """The capacity page for the filters' scope and period. Training is the plan's counted milestones,
    county-wide whatever the filters: their targets are the county's."""
    units = engine.units.reset_index()[UNIT_COLUMNS]
    if facility_ids is not None:
        units = units[units["facility_id"].isin(facility_ids)]
    headline = {v.code: v for v in engine.compute(HEADLINE, [scope], period)}
    series = engine.series(["gp_per_10k"], scope, Period("month", period.last_month)).get("gp_per_10k", [])
    goal = engine.target("gp_per_10k", scope, Period("ytd", dt.date(GP_GOAL_YEAR, 12, 1)))
    day = measures.as_of(period, engine.today)
    try:
        county_plan = plan.of_store(engine, plans)
    except InputError:  # the plan page names the file's problems
        county_plan = None
    counted = [] if county_plan is None else [m for m in county_plan.milestones if m.report]
    return Capacity(period, headline, series, None if goal is None else (goal.value, goal.deadline),
                    _emr(engine, units, period), _thcs(engine, units, period),
                    plan.progress(engine.conn, counted, day), names_of(engine, HEADLINE))


def _emr(engine: Engine, units: pd.DataFrame, period: Period) -> pd.DataFrame:
    """EMR level of every hospital the indicator applies to, against its tier's target."""
    values = engine.compute(["emr_level"], [Scope("facility", (c,)) for c in units["code"]], period, compare=False)
    rows = pd.DataFrame([{"code": v.scope.codes[0], "level": v.value, "target": v.target, "status": v.status,
                          "as_of": v.as_of, "missing": bool(v.missing_units)} for v in values],
                        columns=["code", "level", "target", "status", "as_of", "missing"])
    return units.merge(rows, on="code").reset_index(drop=True)


def _thcs(engine: Engine, units: pd.DataFrame, period: Period) -> pd.DataFrame:
    """Each THC: staffed to 002 §二(二)1 (the indicator's own test on its roster) and ambulances reported."""
    thcs = units[units["tier"].isin(THC_TIERS)].reset_index(drop=True)
    if thcs.empty:
        return thcs.assign(staffed=[], ambulances=[], as_of=[])
    wide = engine.sums(Scope("facilities", tuple(thcs["code"])), period).wide.reindex(thcs["facility_id"])
    held = engine.measures(period)
    ambulances = wide["rep_ambulances"] if "rep_ambulances" in wide.columns else pd.Series(float("nan"), wide.index)
    reported = held.reported.get("rep_ambulances", pd.Series(dtype=float)).reindex(thcs["facility_id"])
    staffed = pd.Series(thc_staffing_ok(wide), wide.index).where(wide.get("staff_n", pd.Series(0.0, wide.index)) > 0)
    return thcs.assign(staffed=staffed.to_numpy(), ambulances=ambulances.to_numpy(),
                       as_of=[_carried(m, period) for m in reported.to_numpy()])


def _carried(month_number: float, period: Period) -> dt.date | None:
    """A report's month (months since year 0) when older than the period's last month, else None."""
    if pd.isna(month_number):
        return None
    month = dt.date(int(month_number) // 12, int(month_number) % 12 + 1, 1)
    return month if month < period.last_month else None
