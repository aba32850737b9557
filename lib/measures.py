"""Per-facility measures for a period, aggregated in SQL: the raw material of every indicator.

Each query returns at most (facilities × measures) rows — a few thousand — whatever the years of
history: event figures come from the rollup tables (monthly, or daily for 'today'), stocks from the
register and report of the period's last month, capacity from the current roster. lib.kpi sums them
over any scope and divides; nothing here reads raw event rows into pandas.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import db
from lib.models import (
    DailyRollup,
    Facility,
    FdContract,
    MonthlyReport,
    MonthlyRollup,
    RegisterCount,
    SinkingDeployment,
    Staff,
)
from lib.period import Period

# Rollup metrics whose dimension matters to an indicator; all others are summed over their dimension.
SPLIT_BY_DIM = ("ref_sent", "ref_in")
FOLLOW_UP = ("fu_due", "fu_ontime")
# Monthly reports that describe a unit's equipment or status: the latest report counts.
STATUS_REPORTS = ("tcm_hall", "ecg_networked", "tcm_service", "ambulances", "emr_level")
# Monthly reports summed (or averaged) over the period.
FLOW_REPORTS = ("satisfaction_patient", "satisfaction_staff", "satisfaction_government", "satisfaction_insurer",
                "tcm_outreach_5jin", "tcm_outreach_nearby")
SENIOR_GRADES = ("intermediate", "assoc_senior", "senior")
COUNTY_HOSPITAL_TIERS = ("county_hospital", "mongolian_tcm_hospital")
SINKING_DAYS_PER_YEAR = 30  # seed 000 §二(六)1


def _long(conn: Connection, stmt: sa.Select) -> pd.DataFrame:
    return db.read_frame(conn, stmt)


def _rollup_sums(table: type[DailyRollup] | type[MonthlyRollup], key: sa.ColumnElement, lo: dt.date, hi: dt.date,
                 metrics: sa.ColumnElement) -> sa.Select:
    dim = sa.case((table.metric.in_(SPLIT_BY_DIM), ":" + table.dim), else_="")
    measure = (table.metric + dim).label("measure")
    return (sa.select(table.facility_id, measure, sa.func.sum(table.value).label("value"))
            .where(key.between(lo, hi), metrics).group_by(table.facility_id, measure))


def rollup_measures(conn: Connection, period: Period, today: dt.date) -> pd.DataFrame:
    """Event figures. Follow-ups are keyed by due date, which can lie ahead: they count only up to today."""
    d, m = DailyRollup, MonthlyRollup
    if period.kind == "today":
        events = _rollup_sums(d, d.day, period.end, period.end, d.metric != "ref_flow")
    else:
        events = _rollup_sums(m, m.month, period.first_month, period.last_month,
                              sa.and_(m.metric != "ref_flow", m.metric.not_in(FOLLOW_UP)))
    followups = _rollup_sums(d, d.day, period.first_month if period.kind != "today" else period.end,
                             min(period.last_date, today), d.metric.in_(FOLLOW_UP))
    return pd.concat([_long(conn, events), _long(conn, followups)]) if period.kind != "today" else _long(conn, events)


def register_measures(conn: Connection, period: Period) -> pd.DataFrame:
    """Registers are stocks: the latest month reported up to the period's end."""
    r = RegisterCount
    month = sa.select(sa.func.max(r.month)).where(r.month <= period.last_month).scalar_subquery()
    rows = _long(conn, sa.select(r.facility_id, r.register, r.registered, r.managed).where(r.month == month))
    return pd.concat([
        pd.DataFrame({"facility_id": rows.facility_id, "measure": "reg_" + rows.register, "value": rows.registered}),
        pd.DataFrame({"facility_id": rows.facility_id, "measure": "man_" + rows.register, "value": rows.managed}),
    ])


def report_measures(conn: Connection, period: Period) -> pd.DataFrame:
    m = MonthlyReport
    latest = (sa.select(m.metric, sa.func.max(m.month).label("month"))
              .where(m.month <= period.last_month, m.metric.in_(STATUS_REPORTS)).group_by(m.metric).subquery())
    status = _long(conn, sa.select(m.facility_id, ("rep_" + m.metric).label("measure"), m.value.label("value"))
                   .join(latest, sa.and_(latest.c.metric == m.metric, latest.c.month == m.month)))
    flows = _long(conn, sa.select(m.facility_id, m.metric, sa.func.sum(m.value).label("total"),
                                  sa.func.count().label("n"))
                  .where(m.month.between(period.first_month, period.last_month), m.metric.in_(FLOW_REPORTS))
                  .group_by(m.facility_id, m.metric))
    name = "rep_" + flows.metric
    return pd.concat([
        status,
        pd.DataFrame({"facility_id": flows.facility_id, "measure": name + "_sum", "value": flows.total}),
        pd.DataFrame({"facility_id": flows.facility_id, "measure": name + "_n", "value": flows.n}),
    ])


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
    wide = _long(conn, sa.select(s.facility_id, *(c.label(k) for k, c in cols.items()))
                 .where(s.active).group_by(s.facility_id))
    return wide.melt(id_vars="facility_id", var_name="measure", value_name="value")


def sinking_measures(conn: Connection, period: Period, today: dt.date) -> pd.DataFrame:
    """Eligible county-hospital doctors and those on track for 30 days a year (seed 000 §二(六)1)."""
    s, d, f = Staff, SinkingDeployment, Facility
    year_start = period.last_month.replace(month=1, day=1)
    need = SINKING_DAYS_PER_YEAR * period.months_elapsed(today) / 12
    days = (sa.select(d.staff_id, sa.func.sum(d.days).label("days"))
            .where(d.start_date.between(year_start, min(period.last_date, today))).group_by(d.staff_id).subquery())
    eligible = (sa.select(s.facility_id, sa.func.coalesce(days.c.days, 0).label("days"))
                .join(f, f.id == s.facility_id).outerjoin(days, days.c.staff_id == s.id)
                .where(s.active, s.is_physician, s.title_grade.in_(SENIOR_GRADES),
                       f.tier_code.in_(COUNTY_HOSPITAL_TIERS)).subquery())
    compliant = sa.func.sum(sa.case((eligible.c.days >= need, 1), else_=0))
    per_unit = _long(conn, sa.select(eligible.c.facility_id, sa.func.count().label("sink_eligible"),
                                     compliant.label("sink_compliant")).group_by(eligible.c.facility_id))
    # Stationed: long stints that started in the 12 months to the period's end, counted at the host THC.
    since = period.last_date - dt.timedelta(days=365)
    stationed = _long(conn, sa.select(d.host_facility_id.label("facility_id"),
                                      sa.func.count(sa.distinct(d.staff_id)).label("stationed_phys"))
                      .join(s, s.id == d.staff_id)
                      .where(d.kind == "stationed", s.title_grade.in_(SENIOR_GRADES), s.is_physician,
                             d.start_date.between(since, period.last_date))
                      .group_by(d.host_facility_id))
    return pd.concat([per_unit.melt(id_vars="facility_id", var_name="measure", value_name="value"),
                      stationed.melt(id_vars="facility_id", var_name="measure", value_name="value")])


def contract_measures(conn: Connection, period: Period, today: dt.date) -> pd.DataFrame:
    """Contracts valid at the period's end. Contracts last at most a year, so only a year of rows is read."""
    c = FdContract
    as_of = min(period.last_date, today)
    valid = sa.and_(c.signed_on.between(as_of - dt.timedelta(days=366), as_of), c.valid_until >= as_of)
    measure = sa.case((c.priority_group, "fd_active_priority"), else_="fd_active_general").label("measure")
    return _long(conn, sa.select(c.facility_id, measure, sa.func.count().label("value"))
                 .where(valid).group_by(c.facility_id, measure))


def facility_measures(conn: Connection, period: Period, today: dt.date) -> pd.DataFrame:
    """Every measure for every facility in one wide frame (index facility_id, a column per measure)."""
    parts = [
        rollup_measures(conn, period, today),
        register_measures(conn, period),
        report_measures(conn, period),
        staff_measures(conn),
        sinking_measures(conn, period, today),
        contract_measures(conn, period, today),
    ]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(index=pd.Index([], name="facility_id"))
    long = pd.concat(parts, ignore_index=True)
    long["value"] = long["value"].astype(float)
    return long.pivot_table(index="facility_id", columns="measure", values="value", aggfunc="sum", fill_value=0.0)


def facilities(conn: Connection) -> pd.DataFrame:
    """The registry attributes scopes and formulas need (tens of rows)."""
    return db.read_frame(conn, sa.text(
        "SELECT f.id AS facility_id, f.code, f.name_zh, f.name_en, f.tier_code AS tier, t.peer_group, t.level, "
        "t.is_primary, a.code AS area, c.code AS community, f.population_served AS population, f.is_lead, "
        "f.county_id FROM facility f JOIN tier t ON t.code = f.tier_code JOIN area a ON a.id = f.area_id "
        "JOIN community c ON c.id = f.community_id ORDER BY f.id"
    )).set_index("facility_id")
