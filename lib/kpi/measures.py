"""Per-facility measures for a set of periods, aggregated in SQL: the raw material of every indicator.

A dashboard asks for a period together with its previous period, the same period last year, the
year to date and a baseline year. Flows are read per period from the monthly rollup (one index
range scan each; a month in progress adds the daily rollup), stocks (registers, equipment reports)
per distinct "as of" date, the roster once.
Each query returns at most facilities × measures rows, whatever the years of history; nothing here
reads raw event rows into pandas.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.events import read as rollup_read
from lib.kpi.period import Period, add_months, first_of_month
from lib.store import db
from lib.store.models import Facility, MonthlyReport, RegisterCount, SinkingDeployment, Staff, StockReported
from lib.store.sqlfn import days_between, plus_days

SPLIT_BY_DIM = ("ref_sent", "ref_in", "fd_start", "fd_end")  # rollup metrics whose dimension an indicator needs
STATUS_REPORTS = ("tcm_hall", "ecg_networked", "tcm_service", "ambulances", "emr_level",  # latest report counts
                  "tcm_master_studio", "elderly_residents", "care_beds", "care_beds_used", "elderly_centre",
                  "elderly_station")  # issue #13: 名医工作室 and elderly care (医康养, seed 003)
STATUS_MEASURES = tuple(f"rep_{metric}" for metric in STATUS_REPORTS)  # stocks even before anyone reports one
FLOW_REPORTS = ("satisfaction_patient", "satisfaction_staff", "satisfaction_government", "satisfaction_insurer",
                "tcm_outreach_5jin", "tcm_outreach_nearby",
                "qc_score", "tcm_remote_consults", "sterilisation_batches", "screening")  # summed over the period
# Who owes days at the grassroots (000 §二(六)1): the three banner-level hospitals' (旗直三家医院)
# intermediate+ clinical front-line doctors, except leaders (院长、副院长) and the auxiliary departments
# (影像、超声、检查化验). Public-health doctors are not clinical front line. A department left empty
# (a roster loaded before departments were kept) is not assumed auxiliary.
SENIOR_GRADES = ("intermediate", "assoc_senior", "senior")
SENDING_TIERS = ("county_hospital", "mongolian_tcm_hospital", "tcm_hospital", "mch_centre")
FRONT_LINE = ("clinical", "gp", "tcm", "mongolian")
AUXILIARY_DEPARTMENTS = ("imaging", "ultrasound", "laboratory")
SINKING_DAYS_PER_YEAR = 30  # seed 000 §二(六)1
MAX_STINT_DAYS = 366  # the longest stint read back from a period's start (a year's posting at most)



def as_of(period: Period, today: dt.date) -> dt.date:
    """The day stocks are read at: the period's last day, or today while the period is still running."""
    return min(period.last_date, today)


def rollup_flows(conn: Connection, period: Period, today: dt.date) -> pd.DataFrame:
    """Event measures of one period (long frame: facility_id, measure, value), from lib.events.read.

    A measure is the metric, or "metric:dim" for the metrics whose dimension an indicator needs.
    """
    return _measure_rows(rollup_read.sums(conn, period, today, exclude=("ref_flow",), by_dim=SPLIT_BY_DIM))


def month_flows(conn: Connection, periods: Sequence[Period], today: dt.date) -> list[pd.DataFrame]:
    """``rollup_flows`` of each period; complete months read together (lib.events.read.complete_months)."""
    complete = [p.end for p in periods if p.kind == "month" and p.last_date <= today]
    batch = rollup_read.complete_months(conn, complete, exclude=("ref_flow",), by_dim=SPLIT_BY_DIM) \
        if len(complete) > 1 else {}
    return [_measure_rows(batch[p.end]) if p.kind == "month" and p.end in batch else rollup_flows(conn, p, today)
            for p in periods]


def _measure_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Rollup sums → (facility_id, measure, value), a measure being "metric" or "metric:dim"."""
    measure = rows["metric"].where(rows["dim"] == "", rows["metric"] + ":" + rows["dim"])
    return pd.DataFrame({"facility_id": rows["facility_id"], "measure": measure, "value": rows["value"]})


def report_flows(conn: Connection, periods: Sequence[Period]) -> list[pd.DataFrame]:
    """Survey scores and outreach counts over each period: sums and the number of unit-months reported."""
    r = MonthlyReport
    columns = []
    for i, p in enumerate(periods):
        inside = r.month.between(p.first_month, p.last_month)
        columns += [sa.func.sum(sa.case((inside, r.value))).label(f"s{i}"),
                    sa.func.sum(sa.case((inside, 1))).label(f"n{i}")]
    lo, hi = min(p.first_month for p in periods), max(p.last_month for p in periods)
    wide = db.read_frame(conn, sa.select(r.facility_id, r.metric, *columns)
                         .where(r.metric.in_(FLOW_REPORTS), r.month.between(lo, hi)).group_by(r.facility_id, r.metric))
    out = []
    for i in range(len(periods)):
        name = "rep_" + wide.metric
        out.append(pd.concat([
            pd.DataFrame({"facility_id": wide.facility_id, "measure": name + "_sum", "value": wide[f"s{i}"]}),
            pd.DataFrame({"facility_id": wide.facility_id, "measure": name + "_n", "value": wide[f"n{i}"]}),
        ]).dropna())
    return out


# A stock (a register, an equipment or status report) holds for the month it was reported and the
# STOCK_CARRY_MONTHS after it, labelled "as of" its month; older, it is missing, never 0 (issue #11:
# a THC whose October report never came is "no value", not "no TCM hall"). One quarter: a register or
# an EMR level moves slowly, and every period, the running month included, reads by the same rule.
STOCK_CARRY_MONTHS = 2


def _windows(days: Sequence[dt.date]) -> dict[dt.date, list[dt.date]]:
    """For each day's month: the months whose reports may stand for it, newest first."""
    return {first_of_month(d): [add_months(first_of_month(d), -k) for k in range(STOCK_CARRY_MONTHS + 1)]
            for d in days}


def stocks(conn: Connection, days: Sequence[dt.date]) -> dict[dt.date, pd.DataFrame]:
    """Registers and status reports as of each day (long frame: facility_id, measure, value, month
    reported), each from the unit's latest report within the carry window; no row: no value.

    A register report is one return per unit and month: a register it leaves out is 0 (nobody on it),
    while a unit with no register return in the window has no value for any register. A status report
    (TCM hall, ambulances, EMR level …) stands alone: each is missing until reported.
    """
    windows = _windows(days)
    wanted = sorted({m for months in windows.values() for m in months})
    r, m = RegisterCount, MonthlyReport
    registers = db.read_frame(conn, sa.select(r.facility_id, r.month, r.register, r.registered, r.managed)
                              .where(r.month.in_(wanted)))
    reports = db.read_frame(conn, sa.select(m.facility_id, m.month, m.metric, m.value)
                            .where(m.metric.in_(STATUS_REPORTS), m.month.in_(wanted)))
    for frame in (registers, reports):
        frame["month"] = pd.to_datetime(frame["month"]).dt.date
    registers = registers.astype({"register": object})
    names = pd.DataFrame({"register": pd.Series(sorted(set(registers["register"])), dtype=object)})
    out = {}
    for day in days:
        window = windows[first_of_month(day)]
        returns = registers[registers["month"].isin(window)]
        latest = returns.groupby("facility_id")["month"].max().rename("month").reset_index()
        grid = latest.merge(names, how="cross")  # every register of each return
        held = grid.merge(returns, on=["facility_id", "month", "register"], how="left").fillna(
            {"registered": 0, "managed": 0})
        status = reports[reports["month"].isin(window)].sort_values("month").drop_duplicates(
            ["facility_id", "metric"], keep="last")
        out[day] = pd.concat([
            pd.DataFrame({"facility_id": held.facility_id, "measure": "reg_" + held.register,
                          "value": held.registered, "month": held.month}),
            pd.DataFrame({"facility_id": held.facility_id, "measure": "man_" + held.register,
                          "value": held.managed, "month": held.month}),
            pd.DataFrame({"facility_id": status.facility_id, "measure": "rep_" + status.metric,
                          "value": status.value, "month": status.month}),
        ], ignore_index=True)
    return out


def reporting_tiers(conn: Connection) -> dict[str, frozenset[str]]:
    """For each stock, the tiers some unit of which has ever reported it: a unit of such a tier without a
    current report is missing one; a unit of another tier simply holds no such thing. Read from the pairs
    kept on write (``stock_reported``, migration 0019): tens of rows per unit, whatever the years."""
    s, f = StockReported, Facility
    pairs = (sa.select(f.tier_code, s.kind, s.stock).distinct().join(f, f.id == s.facility_id)
             .where(sa.or_(s.kind == "reg", s.stock.in_(STATUS_REPORTS))))
    out: dict[str, set[str]] = {}
    for tier, kind, stock in conn.execute(pairs):
        for prefix in (("reg_", "man_") if kind == "reg" else ("rep_",)):
            out.setdefault(prefix + stock, set()).add(tier)
    return {measure: frozenset(tiers) for measure, tiers in out.items()}


def on_roster(day: dt.date) -> sa.ColumnElement:
    """Staff on the roster on ``day``: joined by then (or before records began) and not yet left."""
    s = Staff
    return sa.and_(sa.or_(s.start_date.is_(None), s.start_date <= day), sa.or_(s.end_date.is_(None), s.end_date >= day))


# What the roster counts per unit (a column each); GPs count only when registered (licensed, issue #11 item 4).
_TCM = Staff.specialty_class.in_(("tcm", "mongolian"))
STAFF_COUNTS: dict[str, sa.ColumnElement] = {
    "staff_n": sa.true(),
    "staff_tech": Staff.is_health_technician,
    "staff_phys": Staff.is_physician,
    "staff_gp": sa.and_(Staff.specialty_class == "gp", Staff.licensed),
    "staff_tcm_phys": sa.and_(Staff.is_physician, _TCM),
    "staff_ph_phys": sa.and_(Staff.is_physician, Staff.specialty_class == "public_health"),
    "vdoc_n": Staff.specialty_class == "village_doctor",
    "vdoc_licensed": sa.and_(Staff.specialty_class == "village_doctor", Staff.licensed),
    "pay_n": Staff.monthly_pay.is_not(None),
}
STAFF_MEASURES = (*STAFF_COUNTS, "pay_sum")


def staff_measures(conn: Connection, days: Sequence[dt.date]) -> dict[dt.date, pd.DataFrame]:
    """The roster of each of ``days``: capacity and pay figures per unit (STAFF_MEASURES), in one query (a
    column per measure and day)."""
    s = Staff
    columns = []
    for i, day in enumerate(days):
        on = on_roster(day)
        columns += [sa.func.sum(sa.case((sa.and_(on, cond), 1), else_=0)).label(f"{k}@{i}")
                    for k, cond in STAFF_COUNTS.items()]
        columns.append(sa.func.coalesce(sa.func.sum(sa.case((on, s.monthly_pay))), 0).label(f"pay_sum@{i}"))
    wide = db.read_frame(conn, sa.select(s.facility_id, *columns).where(sa.or_(*(on_roster(d) for d in days)))
                         .group_by(s.facility_id))
    measures = STAFF_MEASURES
    return {day: wide[["facility_id", *(f"{m}@{i}" for m in measures)]]
            .rename(columns={f"{m}@{i}": m for m in measures})
            .melt(id_vars="facility_id", var_name="measure", value_name="value")
            for i, day in enumerate(days)}


def days_served(first: dt.date, last: dt.date) -> sa.ColumnElement:
    """Days of a stint inside [first, last]: a stint across a month end is split by day (issue #11)."""
    d = SinkingDeployment
    ends = plus_days(d.start_date, d.days)  # the day after the stint
    start = sa.case((d.start_date > first, d.start_date), else_=sa.literal(first, sa.Date))
    end = sa.case((ends <= last, ends), else_=sa.literal(last + dt.timedelta(days=1), sa.Date))
    return sa.case((end > start, days_between(start, end)), else_=0)


def days_owed(day: dt.date) -> float:
    """Days an eligible doctor owes by ``day``: 30 × the share of the year elapsed (seed 000 §二(六)1)."""
    return SINKING_DAYS_PER_YEAR * (day.month - 1 + day.day / _days_in_month(day)) / 12


def eligible_doctors(day: dt.date) -> sa.Subquery:
    """Who owes days at the grassroots on ``day`` (staff_id, facility_id, days served this year to ``day``):
    the one definition of eligibility and of days served, read by the indicator and the sinking page."""
    s, d, f = Staff, SinkingDeployment, Facility
    jan1 = day.replace(month=1, day=1)
    days = (sa.select(d.staff_id, sa.func.sum(days_served(jan1, day)).label("days"))
            .where(d.start_date.between(jan1 - dt.timedelta(days=MAX_STINT_DAYS), day)).group_by(d.staff_id).subquery())
    return (sa.select(s.id.label("staff_id"), s.facility_id, sa.func.coalesce(days.c.days, 0).label("days"))
            .join(f, f.id == s.facility_id).outerjoin(days, days.c.staff_id == s.id)
            .where(on_roster(day), s.is_physician, s.title_grade.in_(SENIOR_GRADES),
                   s.specialty_class.in_(FRONT_LINE),
                   sa.or_(s.department.is_(None), s.department.not_in(AUXILIARY_DEPARTMENTS)),
                   sa.not_(s.is_leader), f.tier_code.in_(SENDING_TIERS)).subquery())


def sinking_measures(conn: Connection, day: dt.date) -> pd.DataFrame:
    """As of ``day``: eligible doctors of each sending hospital and those on track for 30 days a year
    (days served this year ≥ 30 × the elapsed share of it, seed 000 §二(六)1), and the intermediate+
    physicians on a stationed stint on ``day`` at each host, each doctor once (N#4: the stint started last)."""
    s, d = Staff, SinkingDeployment
    need = days_owed(day)
    eligible = eligible_doctors(day)
    compliant = sa.func.sum(sa.case((eligible.c.days >= need, 1), else_=0))
    per_unit = db.read_frame(conn, sa.select(eligible.c.facility_id, sa.func.count().label("sink_eligible"),
                                             compliant.label("sink_compliant")).group_by(eligible.c.facility_id))
    on_station = db.read_frame(conn, sa.select(d.staff_id, d.host_facility_id.label("facility_id"), d.start_date)
                               .join(s, s.id == d.staff_id)
                               .where(d.kind == "stationed", s.title_grade.in_(SENIOR_GRADES), s.is_physician,
                                      d.start_date.between(day - dt.timedelta(days=MAX_STINT_DAYS), day),
                                      plus_days(d.start_date, d.days) > day))
    latest = on_station.sort_values(["start_date", "facility_id"]).drop_duplicates("staff_id", keep="last")
    stationed = latest.groupby("facility_id").size().rename("stationed_phys").reset_index()
    return pd.concat([per_unit.melt(id_vars="facility_id", var_name="measure", value_name="value"),
                      stationed.melt(id_vars="facility_id", var_name="measure", value_name="value")])


def sinking_days(conn: Connection, periods: Sequence[Period], today: dt.date) -> list[pd.DataFrame]:
    """Days county doctors served at each host within each period (to today while it runs), each stint
    split by day across month ends (000 §二(六)1; issue #11 item 3): one query for all the periods."""
    d = SinkingDeployment
    spans = [(p.first_date, min(p.last_date, today)) for p in periods]
    columns = [sa.func.sum(days_served(first, last)).label(f"d{i}") if last >= first else sa.literal(0).label(f"d{i}")
               for i, (first, last) in enumerate(spans)]
    lo, hi = min(first for first, _ in spans), max(last for _, last in spans)
    wide = db.read_frame(conn, sa.select(d.host_facility_id.label("facility_id"), *columns)
                         .where(d.start_date.between(lo - dt.timedelta(days=MAX_STINT_DAYS), hi),
                                plus_days(d.start_date, d.days) > lo)
                         .group_by(d.host_facility_id))
    return [pd.DataFrame({"facility_id": wide["facility_id"], "measure": "sink_days", "value": wide[f"d{i}"]})
            for i in range(len(periods))]


def _days_in_month(day: dt.date) -> int:
    return (add_months(first_of_month(day), 1) - first_of_month(day)).days


# Measures that hold on a day rather than add up over one (the roster, who owes days at the grassroots,
# doctors stationed, contracts running so far, registers and status reports): a period of several months
# takes them from its last month (lib.kpi.months); every other measure is a flow and adds up.
CARRIED = (*STAFF_MEASURES, "sink_eligible", "sink_compliant", "stationed_phys", *STATUS_MEASURES)
CARRIED_PREFIXES = ("reg_", "man_", "fd_start:", "fd_end:", "fd_active_")


@functools.cache  # asked for every measure of every month composed; a few hundred names in all
def carried(measure: str) -> bool:
    """True for a stock (as of the period's last day), False for a flow (summed over the period)."""
    return measure in CARRIED or measure.startswith(CARRIED_PREFIXES)


@dataclass(frozen=True)
class PeriodMeasures:
    """A period's measures per facility (index facility_id, a column per measure). A stock a unit has no
    current report of is NaN, never 0; ``reported`` holds each stock's report month (months since year 0)."""

    values: pd.DataFrame
    reported: pd.DataFrame


def month_number(month: pd.Series) -> pd.Series:
    """Months since year 0: report months compared and carried as plain numbers."""
    stamps = pd.to_datetime(month)
    return stamps.dt.year * 12 + stamps.dt.month - 1


def facility_measures(conn: Connection, periods: Sequence[Period], today: dt.date) -> dict[Period, PeriodMeasures]:
    """Every measure for every facility and period."""
    periods = list(dict.fromkeys(periods))
    days = sorted({as_of(p, today) for p in periods})
    flows = month_flows(conn, periods, today)
    reports = report_flows(conn, periods)
    stock = stocks(conn, days)
    sinking = {day: sinking_measures(conn, day) for day in days}
    staff = staff_measures(conn, days)
    served = sinking_days(conn, periods, today)
    out = {}
    for i, p in enumerate(periods):
        day = as_of(p, today)
        long = pd.concat([flows[i], reports[i], sinking[day], served[i], staff[day]], ignore_index=True)
        long["value"] = long["value"].astype(float)
        wide = long.groupby(["facility_id", "measure"])["value"].sum().unstack(fill_value=0.0)
        for group in ("priority", "general"):  # contracts valid on the day = started − ended so far
            started, ended = (wide[c] if c in wide.columns else 0.0 for c in (f"fd_start:{group}", f"fd_end:{group}"))
            wide[f"fd_active_{group}"] = started - ended
        held = stock[day].assign(month=lambda f: month_number(f["month"]), value=lambda f: f["value"].astype(float))
        values = held.pivot(index="facility_id", columns="measure", values="value")
        flows_wide = wide.reindex(wide.index.union(values.index), fill_value=0.0)
        out[p] = PeriodMeasures(flows_wide.join(values), held.pivot(index="facility_id", columns="measure",
                                                                  values="month"))
    return out


def active(units: pd.DataFrame, month: dt.date) -> pd.DataFrame:
    """The units of ``units`` (``facilities``) still in the registry in ``month``: a unit retired from it
    keeps its history in every total, but is no longer drawn, listed, expected to report or ranked."""
    retired = pd.to_datetime(units["retired_on"])
    return units[(retired.isna() | (retired > pd.Timestamp(month))).to_numpy(dtype=bool)]


def facilities(conn: Connection, county_id: int | None = None) -> pd.DataFrame:
    """The member units of county ``county_id`` (None: of every county in the store) with what scopes,
    formulas, filters and maps need, in tier order (tens of rows).

    The one registry query for units: the KPI engine, the filters, the maps and the demo all read it.
    """
    where = "" if county_id is None else f"WHERE f.county_id = {int(county_id)} "
    return db.read_frame(conn, sa.text(
        "SELECT f.id AS facility_id, f.code, f.name_zh, f.name_en, f.tier_code AS tier, t.name_zh AS tier_zh, "
        "t.name_en AS tier_en, t.level, t.peer_group, t.is_primary, a.code AS area, a.name_zh AS area_zh, "
        "a.name_en AS area_en, a.rural, c.code AS community, c.name_zh AS community_zh, c.name_en AS community_en, "
        "f.population_served AS population, f.latitude, f.longitude, f.is_lead, f.is_sub_centre, "
        "f.is_border_port, f.coord_source, f.county_id, f.parent_id, f.role, f.retired_on "
        "FROM facility f JOIN tier t ON t.code = f.tier_code JOIN area a ON a.id = f.area_id "
        "JOIN community c ON c.id = f.community_id " + where + "ORDER BY t.sort, f.id"
    )).set_index("facility_id")
