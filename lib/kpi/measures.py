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
from collections.abc import Iterable, Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.events import read as rollup_read
from lib.kpi.period import Period, add_months, first_of_month
from lib.store import db
from lib.store.models import Facility, MonthlyReport, RegisterCount, SinkingDeployment, Staff

SPLIT_BY_DIM = ("ref_sent", "ref_in", "fd_start", "fd_end")  # rollup metrics whose dimension an indicator needs
STATUS_REPORTS = ("tcm_hall", "ecg_networked", "tcm_service", "ambulances", "emr_level")  # latest report counts
FLOW_REPORTS = ("satisfaction_patient", "satisfaction_staff", "satisfaction_government", "satisfaction_insurer",
                "tcm_outreach_5jin", "tcm_outreach_nearby")  # summed over the period
SENIOR_GRADES = ("intermediate", "assoc_senior", "senior")
COUNTY_HOSPITAL_TIERS = ("county_hospital", "mongolian_tcm_hospital")
SINKING_DAYS_PER_YEAR = 30  # seed 000 §二(六)1



def as_of(period: Period, today: dt.date) -> dt.date:
    """The day stocks are read at: the period's last day, or today while the period is still running."""
    return min(period.last_date, today)


def rollup_flows(conn: Connection, period: Period, today: dt.date) -> pd.DataFrame:
    """Event measures of one period (long frame: facility_id, measure, value), from lib.events.read.

    A measure is the metric, or "metric:dim" for the metrics whose dimension an indicator needs.
    """
    rows = rollup_read.sums(conn, period, today, exclude=("ref_flow",), by_dim=SPLIT_BY_DIM)
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


def _latest_months(conn: Connection, table: type[RegisterCount] | type[MonthlyReport], key: sa.ColumnElement,
                   months: Iterable[dt.date], where: sa.ColumnElement) -> dict[tuple[str, dt.date], dt.date]:
    """For each (key, month asked): the latest month with data on or before it."""
    have = db.read_frame(conn, sa.select(key.label("key"), table.month).where(where).distinct())
    have["month"] = pd.to_datetime(have["month"]).dt.date
    latest = {}
    for month in months:
        for k, group in have[have.month <= month].groupby("key"):
            latest[(k, month)] = group.month.max()
    return latest


def stocks(conn: Connection, days: Sequence[dt.date]) -> dict[dt.date, pd.DataFrame]:
    """Registers and equipment/status reports as of each day: the latest month reported up to it."""
    months = sorted({first_of_month(d) for d in days})
    r, m = RegisterCount, MonthlyReport
    reg_latest = _latest_months(conn, r, sa.literal("all"), months, r.month <= months[-1])
    rep_latest = _latest_months(conn, m, m.metric, months, sa.and_(m.metric.in_(STATUS_REPORTS), m.month <= months[-1]))
    reg_months, rep_months = set(reg_latest.values()) or {dt.date.min}, set(rep_latest.values()) or {dt.date.min}
    registers = db.read_frame(conn, sa.select(r.facility_id, r.month, r.register, r.registered, r.managed)
                              .where(r.month.in_(reg_months)))
    reports = db.read_frame(conn, sa.select(m.facility_id, m.month, m.metric, m.value)
                            .where(m.metric.in_(STATUS_REPORTS), m.month.in_(rep_months)))
    for frame in (registers, reports):
        frame["month"] = pd.to_datetime(frame["month"]).dt.date
    out = {}
    for day in days:
        month = first_of_month(day)
        reg = registers[registers.month == reg_latest.get(("all", month))]
        wanted = pd.DataFrame([(k, v) for (k, asked), v in rep_latest.items() if asked == month],
                              columns=["metric", "month"])
        rep = reports.merge(wanted, on=["metric", "month"])
        out[day] = pd.concat([
            pd.DataFrame({"facility_id": reg.facility_id, "measure": "reg_" + reg.register, "value": reg.registered}),
            pd.DataFrame({"facility_id": reg.facility_id, "measure": "man_" + reg.register, "value": reg.managed}),
            pd.DataFrame({"facility_id": rep.facility_id, "measure": "rep_" + rep.metric, "value": rep.value}),
        ])
    return out


def staff_measures(conn: Connection) -> pd.DataFrame:
    """The current roster (it has no history): capacity and pay figures per unit."""
    s = Staff

    def n(cond: sa.ColumnElement) -> sa.ColumnElement:
        return sa.func.sum(sa.case((cond, 1), else_=0))

    tcm = s.specialty_class.in_(("tcm", "mongolian"))
    cols = {
        "staff_n": sa.func.count(),
        "staff_tech": n(s.is_health_technician),
        "staff_phys": n(s.is_physician),
        "staff_gp": n(s.specialty_class == "gp"),
        "staff_tcm_phys": n(sa.and_(s.is_physician, tcm)),
        "staff_ph_phys": n(sa.and_(s.is_physician, s.specialty_class == "public_health")),
        "vdoc_n": n(s.specialty_class == "village_doctor"),
        "vdoc_licensed": n(sa.and_(s.specialty_class == "village_doctor", s.licensed)),
        "pay_sum": sa.func.coalesce(sa.func.sum(s.monthly_pay), 0),
        "pay_n": sa.func.count(s.monthly_pay),
    }
    wide = db.read_frame(conn, sa.select(s.facility_id, *(c.label(k) for k, c in cols.items()))
                         .where(s.active).group_by(s.facility_id))
    return wide.melt(id_vars="facility_id", var_name="measure", value_name="value")


def sinking_measures(conn: Connection, day: dt.date) -> pd.DataFrame:
    """Eligible county-hospital doctors, those on track for 30 days a year (seed 000 §二(六)1), and
    intermediate+ physicians stationed at each THC (long stints started in the 12 months to ``day``)."""
    s, d, f = Staff, SinkingDeployment, Facility
    need = SINKING_DAYS_PER_YEAR * (day.month - 1 + day.day / _days_in_month(day)) / 12
    days = (sa.select(d.staff_id, sa.func.sum(d.days).label("days"))
            .where(d.start_date.between(day.replace(month=1, day=1), day)).group_by(d.staff_id).subquery())
    eligible = (sa.select(s.facility_id, sa.func.coalesce(days.c.days, 0).label("days"))
                .join(f, f.id == s.facility_id).outerjoin(days, days.c.staff_id == s.id)
                .where(s.active, s.is_physician, s.title_grade.in_(SENIOR_GRADES),
                       f.tier_code.in_(COUNTY_HOSPITAL_TIERS)).subquery())
    compliant = sa.func.sum(sa.case((eligible.c.days >= need, 1), else_=0))
    per_unit = db.read_frame(conn, sa.select(eligible.c.facility_id, sa.func.count().label("sink_eligible"),
                                             compliant.label("sink_compliant")).group_by(eligible.c.facility_id))
    stationed = db.read_frame(conn, sa.select(d.host_facility_id.label("facility_id"),
                                              sa.func.count(sa.distinct(d.staff_id)).label("stationed_phys"))
                              .join(s, s.id == d.staff_id)
                              .where(d.kind == "stationed", s.title_grade.in_(SENIOR_GRADES), s.is_physician,
                                     d.start_date.between(day - dt.timedelta(days=365), day))
                              .group_by(d.host_facility_id))
    return pd.concat([per_unit.melt(id_vars="facility_id", var_name="measure", value_name="value"),
                      stationed.melt(id_vars="facility_id", var_name="measure", value_name="value")])


def _days_in_month(day: dt.date) -> int:
    return (add_months(first_of_month(day), 1) - first_of_month(day)).days


def facility_measures(conn: Connection, periods: Sequence[Period], today: dt.date,
                      staff: pd.DataFrame | None = None) -> dict[Period, pd.DataFrame]:
    """Every measure for every facility and period: wide frames (index facility_id, a column per measure)."""
    periods = list(dict.fromkeys(periods))
    days = sorted({as_of(p, today) for p in periods})
    flows = [rollup_flows(conn, p, today) for p in periods]
    reports = report_flows(conn, periods)
    stock = stocks(conn, days)
    sinking = {day: sinking_measures(conn, day) for day in days}
    staff = staff_measures(conn) if staff is None else staff
    out = {}
    for i, p in enumerate(periods):
        day = as_of(p, today)
        long = pd.concat([flows[i], reports[i], stock[day], sinking[day], staff], ignore_index=True)
        long["value"] = long["value"].astype(float)
        wide = long.groupby(["facility_id", "measure"])["value"].sum().unstack(fill_value=0.0)
        for group in ("priority", "general"):  # contracts valid on the day = started − ended so far
            started, ended = (wide[c] if c in wide.columns else 0.0 for c in (f"fd_start:{group}", f"fd_end:{group}"))
            wide[f"fd_active_{group}"] = started - ended
        out[p] = wide
    return out


def facilities(conn: Connection) -> pd.DataFrame:
    """Every member unit with what scopes, formulas, filters and maps need, in tier order (tens of rows).

    The one registry query for units: the KPI engine, the filters, the maps and the demo all read it.
    """
    return db.read_frame(conn, sa.text(
        "SELECT f.id AS facility_id, f.code, f.name_zh, f.name_en, f.tier_code AS tier, t.name_zh AS tier_zh, "
        "t.name_en AS tier_en, t.level, t.peer_group, t.is_primary, a.code AS area, a.name_zh AS area_zh, "
        "a.name_en AS area_en, c.code AS community, c.name_zh AS community_zh, c.name_en AS community_en, "
        "f.population_served AS population, f.latitude, f.longitude, f.is_lead, f.is_sub_centre, "
        "f.is_border_port, f.coord_source, f.county_id, f.parent_id "
        "FROM facility f JOIN tier t ON t.code = f.tier_code JOIN area a ON a.id = f.area_id "
        "JOIN community c ON c.id = f.community_id ORDER BY t.sort, f.id"
    )).set_index("facility_id")
