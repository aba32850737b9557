"""The cockpit's relational schema (SQLAlchemy 2.x). Alembic migrations in migrations/ build it.

Three kinds of table:
- the registry (county, area, community, tier, facility, out-of-county destination, staff roster);
- events as they happen (visits, admissions, referrals, ...), keyed by facility and time;
- monthly reported values, registers (as counts) and the insurance fund.

No patient identifier is stored: a person appears only as ``person_key``, a salted keyed hash made
by lib.store.pseudonym, with an age band and sex. Staff appear as a pseudonymous key too.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
import sqlalchemy.orm
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets BIGINT (years of events).
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Money = sa.Numeric(14, 2)

AGE_BANDS = ("0-6", "7-17", "18-44", "45-64", "65+")
SEXES = ("F", "M")


class Base(DeclarativeBase):
    metadata = sa.MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


def _fk(target: str, *, nullable: bool = False, index: bool = True) -> Mapped[int]:
    return mapped_column(sa.ForeignKey(target), nullable=nullable, index=index)


class PersonMixin:
    """The only trace of a patient: a salted pseudonymous key (lib.store.pseudonym), age band and sex."""

    person_key: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    age_band: Mapped[str | None] = mapped_column(sa.String(8), nullable=True)
    sex: Mapped[str | None] = mapped_column(sa.String(1), nullable=True)


# --- registry -------------------------------------------------------------------------------------


class County(Base):
    __tablename__ = "county"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)  # administrative code, e.g. 150824
    name_zh: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str] = mapped_column(sa.String(128))
    resident_population: Mapped[int]
    insured_residents: Mapped[int]
    illustrative: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(sa.Text, default="")
    boundary: Mapped[str] = mapped_column(sa.String(256))  # GeoJSON file, relative to data/
    # The registry's county-level settings as JSON (lib.registry.settings reads them, with their defaults).
    settings: Mapped[str] = mapped_column(sa.Text, server_default="{}")


class _CodedInCounty:
    """A county's own grouping, named in both languages; its code is unique within the county."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[sa.UniqueConstraint]:  # noqa: N805 - a class-level directive
        return (sa.UniqueConstraint("county_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("county.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(32))
    name_zh: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str] = mapped_column(sa.String(128))


class Area(_CodedInCounty, Base):
    """A county's own area group (DHIS2-style group set): 乌拉特中旗 has urban/irrigation/mountain-dry/pastoral."""

    __tablename__ = "area"
    # Counts as agricultural/pastoral (农牧区) for the rural indicators; the registry says (default: not 'urban').
    rural: Mapped[bool] = mapped_column(server_default=sa.true())
    # People live far apart (a herding area): longer drives, more leaving the county; the demo shapes by it.
    sparse: Mapped[bool] = mapped_column(server_default=sa.false())


class Tier(Base):
    """Facility tiers, seeded by the first migration; ``peer_group`` decides who is ranked against whom."""

    __tablename__ = "tier"
    code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str] = mapped_column(sa.String(128))
    level: Mapped[str] = mapped_column(sa.String(16))  # county | township | village
    peer_group: Mapped[str] = mapped_column(sa.String(32))  # county_hospital | thc | village_clinic | public_health
    is_primary: Mapped[bool]  # counts as 基层 for primary_visit_share (N#7)
    sort: Mapped[int]


class Community(_CodedInCounty, Base):
    """A 医共体 (or sub-community) and its lead hospital(s)."""

    __tablename__ = "community"


class Facility(Base):
    __tablename__ = "facility"
    __table_args__ = (
        sa.CheckConstraint("latitude BETWEEN -90 AND 90 AND longitude BETWEEN -180 AND 180", name="coords"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    county_id: Mapped[int] = _fk("county.id")
    community_id: Mapped[int] = _fk("community.id")
    area_id: Mapped[int] = _fk("area.id")
    tier_code: Mapped[str] = mapped_column(sa.ForeignKey("tier.code"), index=True)
    parent_id: Mapped[int | None] = _fk("facility.id", nullable=True)  # the THC of a village clinic
    name_zh: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str] = mapped_column(sa.String(128))
    is_lead: Mapped[bool] = mapped_column(default=False)  # lead hospital of its community
    is_sub_centre: Mapped[bool] = mapped_column(default=False)  # 医疗次中心 (000 §二(六)2)
    is_border_port: Mapped[bool] = mapped_column(default=False)
    latitude: Mapped[float]
    longitude: Mapped[float]
    coord_source: Mapped[str] = mapped_column(sa.String(32))  # surveyed | estimated | estimated-moved-inside
    population_served: Mapped[int] = mapped_column(default=0)
    illustrative: Mapped[bool] = mapped_column(default=False)  # invented name in a demo registry
    # member | auxiliary (辅助建设医院) | partner (in-county, not a member): lib.registry.settings.ROLES
    role: Mapped[str] = mapped_column(sa.String(16), server_default="member")
    # Gone from the county's registry since this day: kept with its history, never deleted.
    retired_on: Mapped[dt.date | None] = mapped_column(nullable=True)


class Destination(Base):
    """Out-of-county places a county's patients are referred or admitted to (临河, 包头, 呼和浩特 ...).

    Each county names its own: two counties may both send patients to a place coded ``hohhot``.
    """

    __tablename__ = "destination"
    __table_args__ = (sa.UniqueConstraint("county_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = _fk("county.id")
    code: Mapped[str] = mapped_column(sa.String(32))
    name_zh: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str] = mapped_column(sa.String(128))
    latitude: Mapped[float]
    longitude: Mapped[float]
    retired_on: Mapped[dt.date | None] = mapped_column(nullable=True)  # no longer in the registry


class Staff(Base):
    """De-identified roster entry: enough for sinking and capacity indicators, nothing that names a person."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_key: Mapped[str] = mapped_column(sa.String(32), unique=True)
    facility_id: Mapped[int] = _fk("facility.id")
    title_grade: Mapped[str] = mapped_column(sa.String(16))  # none | junior | intermediate | assoc_senior | senior
    specialty_class: Mapped[str] = mapped_column(sa.String(24))  # clinical | gp | tcm | public_health | ...
    is_physician: Mapped[bool]
    is_health_technician: Mapped[bool]
    licensed: Mapped[bool]  # holds a (assistant) physician licence
    monthly_pay: Mapped[float | None] = mapped_column(Money, nullable=True)
    active: Mapped[bool] = mapped_column(default=True)  # on the roster today (end_date empty)
    # Where the doctor works and since when: who owes days at the grassroots (000 §二(六)1: clinical
    # front line, not hospital leaders or imaging/ultrasound/laboratory) and the roster of a past period.
    # clinical | imaging | ultrasound | laboratory | other
    department: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    is_leader: Mapped[bool] = mapped_column(server_default=sa.false())  # 医院领导 (院长、副院长)
    start_date: Mapped[dt.date | None] = mapped_column(nullable=True)  # joined the unit (empty: before any period)
    end_date: Mapped[dt.date | None] = mapped_column(nullable=True)  # left (empty: still on the roster)


# --- events ---------------------------------------------------------------------------------------


class Visit(PersonMixin, Base):
    __tablename__ = "visit"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Not indexed: visits are read by unit only through the rollups, and units are never deleted (migration 0011).
    facility_id: Mapped[int] = _fk("facility.id", index=False)
    # The resident's registered unit (village clinic or THC), None for non-residents: resident-based rates
    # count an area's residents wherever they were treated (issue #11 item 7).
    home_facility_id: Mapped[int | None] = _fk("facility.id", nullable=True, index=False)
    ts: Mapped[dt.datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))  # outpatient | emergency
    is_tcm: Mapped[bool]  # TCM or Mongolian-medicine class visit (N#12)
    # The syndrome group of the visit's diagnosis, for early warning (data/alerts.toml; None: none watched).
    syndrome: Mapped[str | None] = mapped_column(sa.String(16), nullable=True)
    is_insured_resident: Mapped[bool]  # non-residents (border-port drivers) stay out of resident rates
    cost: Mapped[float] = mapped_column(Money)
    fund_paid: Mapped[float] = mapped_column(Money, default=0)


class Admission(PersonMixin, Base):
    """In-county admissions from the hospitals, out-of-county ones from insurance settlement (N#11)."""

    __tablename__ = "admission"
    __table_args__ = (
        sa.CheckConstraint("(in_county AND facility_id IS NOT NULL) OR (NOT in_county)", name="place"),
        sa.Index("ix_admission_home_ts", "home_facility_id", "admitted_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    home_facility_id: Mapped[int] = _fk("facility.id", index=False)  # the resident's registered unit
    facility_id: Mapped[int | None] = _fk("facility.id", nullable=True)  # where admitted, if in county
    destination_id: Mapped[int | None] = _fk("destination.id", nullable=True)
    in_county: Mapped[bool]
    admitted_at: Mapped[dt.datetime] = mapped_column(index=True)
    discharged_at: Mapped[dt.datetime | None]
    disease_group: Mapped[str] = mapped_column(sa.String(32))
    is_insured_resident: Mapped[bool]
    chronic_managed: Mapped[bool] = mapped_column(default=False)  # patient in the htn/dm register (N#13)
    cost: Mapped[float] = mapped_column(Money)
    fund_paid: Mapped[float] = mapped_column(Money)
    source: Mapped[str] = mapped_column(sa.String(24))  # his | insurance_settlement


class Referral(PersonMixin, Base):
    __tablename__ = "referral"
    __table_args__ = (
        sa.CheckConstraint("direction IN ('up', 'down', 'out')", name="direction"),
        sa.CheckConstraint(
            "(direction = 'out' AND destination_id IS NOT NULL) OR (direction <> 'out' AND to_facility_id IS NOT NULL)",
            name="target",
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    from_facility_id: Mapped[int] = _fk("facility.id")
    to_facility_id: Mapped[int | None] = _fk("facility.id", nullable=True)
    destination_id: Mapped[int | None] = _fk("destination.id", nullable=True)
    direction: Mapped[str] = mapped_column(sa.String(4))
    disease_group: Mapped[str] = mapped_column(sa.String(32))
    sent_at: Mapped[dt.datetime] = mapped_column(index=True)
    accepted_at: Mapped[dt.datetime | None]
    feedback_at: Mapped[dt.datetime | None]


class EmergencyDispatch(Base):
    __tablename__ = "emergency_dispatch"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    facility_id: Mapped[int] = _fk("facility.id")  # the station (hospital or THC ambulance) sent
    call_at: Mapped[dt.datetime] = mapped_column(index=True)
    dispatched_at: Mapped[dt.datetime | None]
    arrived_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    latitude: Mapped[float | None]  # scene, rounded to ~1 km: enough for the map, not an address
    longitude: Mapped[float | None]


class RemoteRead(Base):
    """Remote imaging / ECG reads (影像心电中心)."""

    __tablename__ = "remote_read"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    facility_id: Mapped[int] = _fk("facility.id")  # requesting unit
    reader_facility_id: Mapped[int] = _fk("facility.id", index=False)
    modality: Mapped[str] = mapped_column(sa.String(8))  # imaging | ecg
    requested_at: Mapped[dt.datetime] = mapped_column(index=True)
    reported_at: Mapped[dt.datetime | None]


class RxReview(Base):
    """Central prescription review (集中审方中心)."""

    __tablename__ = "rx_review"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    facility_id: Mapped[int] = _fk("facility.id")
    submitted_at: Mapped[dt.datetime] = mapped_column(index=True)
    reviewed_at: Mapped[dt.datetime | None]
    passed: Mapped[bool | None]


class LabTest(Base):
    __tablename__ = "lab_test"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    facility_id: Mapped[int] = _fk("facility.id")  # where the sample was taken
    lab_facility_id: Mapped[int] = _fk("facility.id", index=False)
    collected_at: Mapped[dt.datetime] = mapped_column(index=True)
    reported_at: Mapped[dt.datetime | None]


class FollowUp(PersonMixin, Base):
    """Scheduled follow-ups (健康随访中心): on time when done on or before the due date."""

    __tablename__ = "follow_up"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    facility_id: Mapped[int] = _fk("facility.id")
    programme: Mapped[str] = mapped_column(sa.String(16))  # htn | dm | maternal | elderly | severe_mental
    due_date: Mapped[dt.date] = mapped_column(index=True)
    done_date: Mapped[dt.date | None]


class DrugDelivery(Base):
    __tablename__ = "drug_delivery"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    facility_id: Mapped[int] = _fk("facility.id")
    promised_at: Mapped[dt.datetime] = mapped_column(index=True)
    delivered_at: Mapped[dt.datetime | None]
    stockout: Mapped[bool] = mapped_column(default=False)


class SinkingDeployment(Base):
    """A county-hospital doctor's stint at the grassroots (下沉): stationed, rotation or tour (巡诊)."""

    __tablename__ = "sinking_deployment"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    staff_id: Mapped[int] = _fk("staff.id")
    host_facility_id: Mapped[int] = _fk("facility.id")
    start_date: Mapped[dt.date] = mapped_column(index=True)
    days: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(12))  # stationed | rotation | tour
    planned: Mapped[bool] = mapped_column(default=True)  # rostered in the monthly plan (000 §二(六)1)


class FdContract(PersonMixin, Base):
    """A family-doctor contract (家庭医生签约), one row per signing."""

    __tablename__ = "fd_contract"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    facility_id: Mapped[int] = _fk("facility.id")
    signed_on: Mapped[dt.date]  # no index: contracts are read only through the rollups (migration 0011)
    valid_until: Mapped[dt.date]
    priority_group: Mapped[bool]


# Where an event came from: the sending system and its own id (issue #12 item 5). A re-sent event is
# recognised by the pair and ignored, a changed one updates its row; NULL for events made here (demo).
SOURCED_EVENTS = (Visit, Admission, Referral, EmergencyDispatch, RemoteRead, RxReview, LabTest, FollowUp,
                  DrugDelivery, SinkingDeployment, FdContract)
for _model in SOURCED_EVENTS:
    _table = _model.__table__
    _table.append_column(sa.Column("source_system", sa.String(32), nullable=True))
    _table.append_column(sa.Column("source_id", sa.String(64), nullable=True))
    # Partial: the demo's millions of events have no source and cost the index nothing.
    sa.Index(f"uq_{_table.name}_source", _table.c.source_system, _table.c.source_id, unique=True,
             sqlite_where=_table.c.source_system.is_not(None), postgresql_where=_table.c.source_system.is_not(None))


# --- registers, monthly reports, fund -------------------------------------------------------------


class RegisterCount(Base):
    """Chronic-disease and pregnancy registers as counts per unit and month (no patient rows)."""

    __tablename__ = "register_count"
    __table_args__ = (sa.UniqueConstraint("facility_id", "month", "register"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = _fk("facility.id", index=False)
    month: Mapped[dt.date]  # first day of the month
    register: Mapped[str] = mapped_column(sa.String(16))  # htn | dm | pregnancy | priority_group
    registered: Mapped[int]
    managed: Mapped[int]  # under standard management (规范管理) this month


class MonthlyReport(Base):
    """Values a unit reports monthly (satisfaction, QC score, EMR level, TCM hall, equipment ...)."""

    __tablename__ = "monthly_report"
    __table_args__ = (sa.UniqueConstraint("facility_id", "month", "metric"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = _fk("facility.id", index=False)
    month: Mapped[dt.date]
    metric: Mapped[str] = mapped_column(sa.String(40))
    value: Mapped[float]
    received_at: Mapped[dt.datetime]  # seed 003 §四(二): due by the 16th of the following month


class IngestAudit(Base):
    """One accepted file (lib.ingest): who sent what, when, and what it changed (issue #12 item 7).

    A refused file changes nothing in the store, this table included: its report goes back to the
    sender (the page, the CLI's output, the drop folder's rejected/ report).
    """

    __tablename__ = "ingest_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime]  # county wall-clock time (lib.clock)
    by: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(12))  # upload | cli | watch | feed
    kind: Mapped[str] = mapped_column(sa.String(32))  # a report kind (data/reports.toml) or "events"
    file_name: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    month: Mapped[dt.date | None]
    rows: Mapped[int]
    inserted: Mapped[int]
    updated: Mapped[int]
    unchanged: Mapped[int]


class ReportHistory(Base):
    """A reported value replaced by a correction: kept, with the upload that replaced it (issue #12 item 4)."""

    __tablename__ = "report_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[int] = _fk("ingest_audit.id")
    facility_id: Mapped[int] = _fk("facility.id", index=False)
    month: Mapped[dt.date]
    item: Mapped[str] = mapped_column(sa.String(40))  # a monthly_report metric or a register
    field: Mapped[str] = mapped_column(sa.String(16), default="")  # '' (monthly_report) | registered | managed
    value: Mapped[float]
    received_at: Mapped[dt.datetime | None]


class FundBudget(Base):
    """The insurance envelope (seed 000 §二(一)3): revenue budget − 5% reserve − commercial premiums."""

    __tablename__ = "fund_budget"
    __table_args__ = (sa.UniqueConstraint("county_id", "year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = _fk("county.id")
    year: Mapped[int]
    revenue_budget: Mapped[float] = mapped_column(Money)
    reserve_rate: Mapped[float] = mapped_column(default=0.05)
    commercial_premium: Mapped[float] = mapped_column(Money)


class FundShare(Base):
    """How the year's envelope splits between the lead hospitals."""

    __tablename__ = "fund_share"
    __table_args__ = (sa.UniqueConstraint("year", "lead_facility_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    lead_facility_id: Mapped[int] = _fk("facility.id")
    share: Mapped[float]


class FundPayment(Base):
    """Prepayment at year start, monthly settlements, year-end clearing, per lead hospital."""

    __tablename__ = "fund_payment"
    id: Mapped[int] = mapped_column(primary_key=True)
    lead_facility_id: Mapped[int] = _fk("facility.id")
    year: Mapped[int]
    month: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))  # prepayment | settlement | clearing
    amount: Mapped[float] = mapped_column(Money)
    paid_on: Mapped[dt.date]


# --- early warning (lib.alerts) ---------------------------------------------------------------------


class AlertSignal(Base):
    """A signal: a township's syndrome above its threshold on a day, and how it was responded to (CIDARS's
    workflow: new → being verified → confirmed or dismissed, each step with who, when and a note)."""

    __tablename__ = "alert_signal"
    __table_args__ = (sa.UniqueConstraint("facility_id", "syndrome", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    facility_id: Mapped[int] = _fk("facility.id", index=False)  # the township's THC (its village clinics included)
    syndrome: Mapped[str] = mapped_column(sa.String(16))
    day: Mapped[dt.date] = mapped_column(index=True)  # the last day of the counted window
    count: Mapped[float]
    expected: Mapped[float]
    threshold: Mapped[float]
    method: Mapped[str] = mapped_column(sa.String(8))  # mpm | C1 | C2 | C3
    raised_at: Mapped[dt.datetime]
    state: Mapped[str] = mapped_column(sa.String(12), default="new")  # new | verifying | confirmed | dismissed
    state_at: Mapped[dt.datetime]
    state_by: Mapped[str] = mapped_column(sa.String(64), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")


class AlertResponse(Base):
    """One step of the response to a signal (verifying, confirmed, dismissed): who, when and why, kept."""

    __tablename__ = "alert_response"
    id: Mapped[int] = mapped_column(primary_key=True)
    signal_id: Mapped[int] = _fk("alert_signal.id")
    state: Mapped[str] = mapped_column(sa.String(12))
    at: Mapped[dt.datetime]
    by: Mapped[str] = mapped_column(sa.String(64))
    note: Mapped[str] = mapped_column(sa.Text, default="")


class AlertBreach(Base):
    """A threshold rule broken (lib.alerts.rules), kept until someone closes it: one row per topic (the rule
    and its period, as the outbox names it), seen again by every later check that finds it (``last_seen``);
    open → acknowledged → closed, each step with who, when and a note (alert_breach_step)."""

    __tablename__ = "alert_breach"
    __table_args__ = (sa.UniqueConstraint("topic"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = mapped_column(sa.ForeignKey("county.id"), index=True)  # whose figures broke it
    topic: Mapped[str] = mapped_column(sa.String(64))  # "rule:<county code>:<name>:<period>"
    rule: Mapped[str] = mapped_column(sa.String(64))  # the rule's name in the settings file
    kind: Mapped[str] = mapped_column(sa.String(24))  # missed_target | change | stale | referral_backlog | ...
    scope: Mapped[str] = mapped_column(sa.String(64))  # lib.kpi.Scope.label: county, area:CODE, facility:CODE
    lines_zh: Mapped[str] = mapped_column(sa.Text)  # what the message says, one line per line, as last seen
    lines_en: Mapped[str] = mapped_column(sa.Text)
    first_seen: Mapped[dt.datetime]
    last_seen: Mapped[dt.datetime]
    state: Mapped[str] = mapped_column(sa.String(12), default="open")  # open | acknowledged | closed
    state_at: Mapped[dt.datetime]
    state_by: Mapped[str] = mapped_column(sa.String(64), default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")


class AlertBreachStep(Base):
    """One step of the work on a breach (acknowledged, closed): who, when and why, kept."""

    __tablename__ = "alert_breach_step"
    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = _fk("alert_breach.id")
    state: Mapped[str] = mapped_column(sa.String(12))
    at: Mapped[dt.datetime]
    by: Mapped[str] = mapped_column(sa.String(64))
    note: Mapped[str] = mapped_column(sa.Text, default="")


class AlertOutbox(Base):
    """A message owed to a channel: kept until the endpoint takes it, so nothing is lost while it is down.

    ``topic`` names what the message is about ("signal:12", "pack:150824:2026-10:v1"): one row per topic and
    channel (the unique key), so each is sent once to each channel."""

    __tablename__ = "alert_outbox"
    __table_args__ = (sa.UniqueConstraint("topic", "channel"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[str] = mapped_column(sa.String(64))
    channel: Mapped[str] = mapped_column(sa.String(64))
    title: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)  # the message's lines, one per line
    link: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[dt.datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    next_try_at: Mapped[dt.datetime] = mapped_column(index=True)
    sent_at: Mapped[dt.datetime | None]
    last_error: Mapped[str] = mapped_column(sa.Text, default="")


# --- rollups (maintained by lib.events.rollup in the same transaction as each event insert) ----------------


class _RollupColumns:
    facility_id: Mapped[int] = mapped_column(sa.ForeignKey("facility.id"), primary_key=True)
    metric: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    dim: Mapped[str] = mapped_column(sa.String(64), primary_key=True, default="")
    value: Mapped[float] = mapped_column(sa.Float, default=0)


class DailyRollup(_RollupColumns, Base):
    """Per facility, day, metric and optional dimension (disease group, modality ...): for 'today' and days."""

    __tablename__ = "rollup_daily"
    __table_args__ = (sa.Index("ix_rollup_daily_metric_day", "metric", "day"),)
    day: Mapped[dt.date] = mapped_column(primary_key=True)


class MonthlyRollup(_RollupColumns, Base):
    """The same per month: month, year-to-date and rolling-12 figures read a few thousand rows at most."""

    __tablename__ = "rollup_monthly"
    __table_args__ = (sa.Index("ix_rollup_monthly_metric_month", "metric", "month"),)
    month: Mapped[dt.date] = mapped_column(primary_key=True)


# --- closed months computed once (lib.kpi.months) ---------------------------------------------------------


class MeasureGeneration(Base):
    """How often each month's source rows have changed: bumped by database triggers (migration 0010) in the
    transaction of every write to the rollups, reports, registers, sinking stints, the roster or the units,
    whichever code path makes it. A change in a month also changes every later month's stocks, so a month's
    snapshot stands on the sum of the generations up to it. ``ALL_MONTHS`` (year 1) stands for a change that
    touches every month (a unit or a roster row)."""

    __tablename__ = "measure_generation"
    month: Mapped[dt.date] = mapped_column(primary_key=True)
    gen: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class MeasureSnapshot(Base):
    """A month's or a year to date's per-unit measures (lib.kpi.months: lib.kpi.measures.PeriodMeasures as raw
    arrays), computed once and valid while ``basis`` equals the sum of the generations up to ``month`` (the
    span's last), ``fingerprint`` the code's and ``as_of`` the day asked for (the month's last day once it has
    ended; today while it runs)."""

    __tablename__ = "measure_snapshot"
    span: Mapped[str] = mapped_column(sa.String(8), primary_key=True)  # 'month' or 'ytd'
    month: Mapped[dt.date] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    basis: Mapped[int] = mapped_column(sa.BigInteger)
    as_of: Mapped[dt.date]
    computed_at: Mapped[dt.datetime]
    measures: Mapped[bytes] = mapped_column(sa.LargeBinary)
    reported: Mapped[bytes] = mapped_column(sa.LargeBinary)


class StockReported(Base):
    """Each register or monthly figure a unit has ever reported, once (migration 0019's triggers keep it on
    every write to register_count and monthly_report): which tiers owe a stock report, read in tens of rows
    whatever the years of history. No foreign key: units are retired, not deleted."""

    __tablename__ = "stock_reported"
    facility_id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(3), primary_key=True)  # 'reg' (a register) or 'rep' (a metric)
    stock: Mapped[str] = mapped_column(sa.String(40), primary_key=True)  # the register or the metric


class StoreMeta(Base):
    """Facts about the store itself, so a new app version can tell what its data was built with.

    ``rollup_fingerprint``: the hash of the rollup declarations the rollups were last rebuilt with
    (lib.events.rollup.fingerprint); lib.store.bootstrap rebuilds them when the code's differs.
    """

    __tablename__ = "store_meta"
    key: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(sa.Text)


# --- indicator catalogue and targets (lib.kpi.catalogue loads them; lib.kpi reads them) ----------------


class Indicator(Base):
    """One indicator of the catalogue (data/kpi/catalogue.toml): what it is, where its target comes from."""

    __tablename__ = "indicator"
    code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    section: Mapped[str] = mapped_column(sa.String(2))
    name_zh: Mapped[str] = mapped_column(sa.String(80))
    name_en: Mapped[str] = mapped_column(sa.String(160))
    numerator_zh: Mapped[str] = mapped_column(sa.Text)
    numerator_en: Mapped[str] = mapped_column(sa.Text)
    denominator_zh: Mapped[str] = mapped_column(sa.Text, default="")
    denominator_en: Mapped[str] = mapped_column(sa.Text, default="")
    unit: Mapped[str] = mapped_column(sa.String(12))  # pct | ratio | count | per_10k | per_1k | level | score | money
    direction: Mapped[str] = mapped_column(sa.String(10))  # up | down | band | on_track | none
    scopes: Mapped[str] = mapped_column(sa.String(64))  # comma list: county,community,area,facility
    tiers: Mapped[str] = mapped_column(sa.String(200), default="")  # comma list; empty = all tiers
    source: Mapped[str] = mapped_column(sa.Text)
    basis: Mapped[str] = mapped_column(sa.String(10), default="")  # resident | provider (lib.kpi.catalogue.BASES)


class IndicatorTarget(Base):
    """A county's target for an indicator and year, optionally only for one tier or peer group."""

    __tablename__ = "indicator_target"
    __table_args__ = (sa.UniqueConstraint("county_id", "indicator_code", "year", "tier", "peer_group"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = _fk("county.id")
    indicator_code: Mapped[str] = mapped_column(sa.ForeignKey("indicator.code"), index=True)
    year: Mapped[int]
    tier: Mapped[str] = mapped_column(sa.String(32), default="")  # '' = every tier
    peer_group: Mapped[str] = mapped_column(sa.String(32), default="")
    kind: Mapped[str] = mapped_column(sa.String(16), default="fixed")  # fixed | baseline_delta | elapsed_share
    value: Mapped[float | None]  # fixed: the target (band: lower bound); baseline_delta: the delta
    upper: Mapped[float | None]  # band upper bound
    baseline_year: Mapped[int | None]
    annual: Mapped[bool] = mapped_column(default=False)  # a per-year count, prorated for shorter periods
    deadline: Mapped[dt.date | None]
    source: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[dt.datetime] = mapped_column(server_default=sa.func.now())
    updated_by: Mapped[str] = mapped_column(sa.String(64), default="loader")


# --- monthly assessment (五大体系, lib.scoring): weights versions and published snapshots ------------
# Insert-only: migration 0003 puts triggers on these tables that refuse UPDATE and DELETE, so a
# published month or a weights version can only be superseded by a new row, never edited in place.


class ScoreWeights(Base):
    """One version of the assessment's weights and rules (lib.scoring.weights): who stored it, when."""

    __tablename__ = "score_weights"
    id: Mapped[int] = mapped_column(primary_key=True)  # the version number
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(sa.String(64))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    min_coverage: Mapped[float]  # share of a unit's weight that must be scored for it to be ranked
    # of the five systems a ranked unit must cover; versions stored before migration 0005 read 1 (no such rule)
    min_dimensions: Mapped[int] = mapped_column(server_default="1")


class ScoreRule(Base):
    """An indicator in a peer group's score: its dimension, weight (points of 100) and value→points rule."""

    __tablename__ = "score_rule"
    weights_id: Mapped[int] = mapped_column(sa.ForeignKey("score_weights.id"), primary_key=True)
    peer_group: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    indicator_code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    dimension: Mapped[str] = mapped_column(sa.String(16))  # satisfaction | health | quality | capacity | efficiency
    weight: Mapped[float]
    rule: Mapped[str] = mapped_column(sa.String(8))  # linear | bands
    zero_at: Mapped[float | None]  # linear: value ÷ target at which the points reach 0
    bands: Mapped[str] = mapped_column(sa.Text, default="")  # bands: JSON [[value ÷ target, share], ...]
    missing: Mapped[str] = mapped_column(sa.String(8))  # skip | zero
    stretch: Mapped[float | None]  # linear: value ÷ target beyond the target where full points are reached
    at_target: Mapped[float | None]  # with a stretch band: the share earned at target


class ScoreSnapshot(Base):
    """A published (frozen) month: version n of that month, the weights it used and the data's date."""

    __tablename__ = "score_snapshot"
    __table_args__ = (sa.UniqueConstraint("county_id", "month", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    county_id: Mapped[int] = _fk("county.id")  # migration 0016: each county publishes its own months
    month: Mapped[dt.date]
    version: Mapped[int]
    weights_id: Mapped[int] = mapped_column(sa.ForeignKey("score_weights.id"))
    published_at: Mapped[dt.datetime]
    published_by: Mapped[str] = mapped_column(sa.String(64))
    data_as_of: Mapped[dt.datetime | None]  # the latest monthly report received for the month
    note: Mapped[str] = mapped_column(sa.Text, default="")


class ScoreSnapshotUnit(Base):
    """A unit's published score: self-contained (names and groups as published, no link to the registry)."""

    __tablename__ = "score_snapshot_unit"
    snapshot_id: Mapped[int] = mapped_column(sa.ForeignKey("score_snapshot.id"), primary_key=True)
    facility_code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(64))
    name_en: Mapped[str] = mapped_column(sa.String(128))
    peer_group: Mapped[str] = mapped_column(sa.String(32))
    area: Mapped[str] = mapped_column(sa.String(32))
    community: Mapped[str] = mapped_column(sa.String(32))
    total: Mapped[float | None]
    rank: Mapped[int | None]
    previous_total: Mapped[float | None]
    previous_rank: Mapped[int | None]
    satisfaction: Mapped[float | None]
    health: Mapped[float | None]
    quality: Mapped[float | None]
    capacity: Mapped[float | None]
    efficiency: Mapped[float | None]
    coverage: Mapped[float]
    small_count: Mapped[int]
    missing_count: Mapped[int]
    report_status: Mapped[str] = mapped_column(sa.String(8))  # on_time | late | missing | pending
    report_received_at: Mapped[dt.datetime | None]
    trend: Mapped[str] = mapped_column(sa.Text)  # JSON: the totals of the 12 months to this one


class ScoreSnapshotItem(Base):
    """One indicator of a unit's published score: value, target, weight and points, and last month's."""

    __tablename__ = "score_snapshot_item"
    snapshot_id: Mapped[int] = mapped_column(sa.ForeignKey("score_snapshot.id"), primary_key=True)
    facility_code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    indicator_code: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    dimension: Mapped[str] = mapped_column(sa.String(16))
    unit: Mapped[str] = mapped_column(sa.String(12))
    value: Mapped[float | None]
    numerator: Mapped[float | None]
    denominator: Mapped[float | None]
    target: Mapped[float | None]
    status: Mapped[str | None] = mapped_column(sa.String(8))  # met | near | missed (lib.kpi.targets)
    state: Mapped[str] = mapped_column(sa.String(12))  # scored | small | missing | zero | no_target
    weight: Mapped[float]
    effective_weight: Mapped[float]
    share: Mapped[float | None]
    points: Mapped[float | None]
    previous_value: Mapped[float | None]
    previous_points: Mapped[float | None]


# --- access: roles, users, kiosk tokens and the audit of every change (lib.access, migration 0014) --------


class AccessRole(Base):
    """A role and what it may do; seeded by migration 0014, read by lib.access (the code never hard-codes
    who may publish)."""

    __tablename__ = "access_role"
    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(32))
    name_en: Mapped[str] = mapped_column(sa.String(64))
    reach: Mapped[str] = mapped_column(sa.String(8))  # county | area | unit | scoped (area or unit)
    may_publish: Mapped[bool] = mapped_column(default=False)  # publish scores, edit weights and targets
    may_upload: Mapped[bool] = mapped_column(default=False)  # monthly report files for the units it sees
    may_admin: Mapped[bool] = mapped_column(default=False)  # users, roles, scopes, kiosk tokens
    interactive: Mapped[bool] = mapped_column(default=True)  # False: no sign-in (a kiosk's token only)


class AccessUser(Base):
    """A person who signs in: role, scope (an area or a unit code), argon2 hash, lockout state."""

    __tablename__ = "access_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)  # the local login, or the OIDC e-mail
    role: Mapped[str] = mapped_column(sa.ForeignKey("access_role.code"), index=True)
    county_id: Mapped[int | None] = mapped_column(sa.ForeignKey("county.id"))  # None: every county's
    area_code: Mapped[str | None] = mapped_column(sa.String(32))  # an area or unit of that county
    unit_code: Mapped[str | None] = mapped_column(sa.String(32))
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))  # None: OIDC sign-in only
    active: Mapped[bool] = mapped_column(default=True)
    failures: Mapped[int] = mapped_column(default=0)  # failed sign-ins since failed_since
    failed_since: Mapped[dt.datetime | None]
    locked_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class AccessKioskToken(Base):
    """A wall screen's token: only its SHA-256 is kept; the view it opens; revoked when revoked_at is set."""

    __tablename__ = "access_kiosk_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    view: Mapped[str] = mapped_column(sa.String(255))  # a page and its query, e.g. "map?area=urban"
    county_id: Mapped[int | None] = mapped_column(sa.ForeignKey("county.id"))  # None: any (its view says)
    area_code: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[dt.datetime]
    created_by: Mapped[str] = mapped_column(sa.String(64))
    revoked_at: Mapped[dt.datetime | None]


class AccessAudit(Base):
    """Every change to users, roles, scopes and tokens, and every refused or locked sign-in: who, what, when."""

    __tablename__ = "access_audit"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(index=True)
    by: Mapped[str] = mapped_column(sa.String(64))
    action: Mapped[str] = mapped_column(sa.String(32))
    target: Mapped[str] = mapped_column(sa.String(64))
    detail: Mapped[str] = mapped_column(sa.Text, default="")


# Map every class now, at import, rather than inside the first query a visitor waits for (~80 ms).
sa.orm.configure_mappers()
