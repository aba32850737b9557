"""Rollup tables: one declaration per metric, used both incrementally and for a full rebuild.

Every metric is ``SUM(value)`` (or a count) of one event table, bucketed by facility, day/month and an
optional dimension. The same SQL serves two paths, so they cannot drift apart:
- ``apply(conn, model, ids, sign)`` adds (or, before an update, subtracts) the contribution of some
  event rows, inside the writer's transaction (lib.events);
- ``rebuild(conn)`` recomputes both rollup tables from all raw events (``python -m lib.rollup rebuild``).

Rollups built by one version of these declarations are wrong for another, so ``rebuild`` records
``fingerprint()`` (a hash of the declarations) in the store, and lib.store.bootstrap rebuilds at start when
the stored one differs from the code's.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from lib.store import db, schema
from lib.store.models import (
    Admission,
    Base,
    DailyRollup,
    DrugDelivery,
    EmergencyDispatch,
    Facility,
    FdContract,
    FollowUp,
    LabTest,
    MonthlyRollup,
    Referral,
    RemoteRead,
    RxReview,
    SinkingDeployment,
    StoreMeta,
    Tier,
    Visit,
)
from lib.store.sqlfn import day_after, day_of, minutes_between, month_of


@dataclass(frozen=True)
class Metric:
    """``SUM(value)`` over rows of ``model`` matching ``where``, keyed by ``facility`` and the day of ``when``."""

    code: str
    model: type[Base]
    when: sa.ColumnElement
    facility: sa.ColumnElement
    value: ColumnElement | None = None  # None: count rows
    where: ColumnElement | None = None
    dim: ColumnElement | None = None  # None: no dimension ('')


def _s(col: ColumnElement) -> ColumnElement:
    return sa.cast(col, sa.String)


_resident_in = sa.and_(Admission.in_county, Admission.is_insured_resident)
_resident_out = sa.and_(sa.not_(Admission.in_county), Admission.is_insured_resident)
# The referral-flow dimension, "<direction>|<place>|<disease group>" with place "F<facility id>" (a member
# unit) or "D<destination id>" (out of county). It is built (here, in SQL) and read back (flow_keys,
# flow_where) only in this module: every other layer sees typed values.
FLOW_SEP = "|"
PLACE_PREFIX = {"facility": "F", "destination": "D"}


@dataclass(frozen=True, order=True)
class Place:
    """Where a referral goes: a member unit or an out-of-county destination."""

    kind: Literal["facility", "destination"]
    id: int

    @property
    def _text(self) -> str:
        return f"{PLACE_PREFIX[self.kind]}{self.id}"


_ref_target = sa.case(
    (Referral.to_facility_id.is_not(None), PLACE_PREFIX["facility"] + _s(Referral.to_facility_id)),
    else_=PLACE_PREFIX["destination"] + _s(Referral.destination_id),
)
_ref_flow_dim = Referral.direction + FLOW_SEP + _ref_target + FLOW_SEP + Referral.disease_group


def flow_keys(dims: pd.Series) -> pd.DataFrame:
    """'ref_flow' dimensions read back as typed columns: direction, to (a Place), disease."""
    parts = dims.str.split(FLOW_SEP, expand=True).reindex(columns=range(3))
    kinds = {prefix: kind for kind, prefix in PLACE_PREFIX.items()}
    return pd.DataFrame({"direction": parts[0],
                         "to": [Place(kinds[p[0]], int(p[1:])) for p in parts[1]],
                         "disease": parts[2]}, index=dims.index)


def flow_where(*, directions: Collection[str] | None = None, disease: str | None = None,
               to: Place | None = None, or_sent_by: int | None = None) -> Callable[[Any], ColumnElement]:
    """A condition on a rollup table's 'ref_flow' dimension (for lib.events.read.sums ``where``).

    ``directions``/``disease``/``to`` narrow the flows; ``or_sent_by`` also keeps every flow that unit sent
    (a unit's partners: what it sent, or what was sent to it).
    """

    def condition(table: Any) -> ColumnElement:
        dim = table.dim
        conds: list[ColumnElement] = []
        if directions is not None:
            conds.append(sa.or_(sa.false(), *(dim.startswith(f"{d}{FLOW_SEP}", autoescape=True) for d in directions)))
        if disease:
            conds.append(dim.endswith(f"{FLOW_SEP}{disease}", autoescape=True))
        if to is not None:
            conds.append(dim.contains(f"{FLOW_SEP}{to._text}{FLOW_SEP}", autoescape=True))
        both = sa.and_(sa.true(), *conds)
        return both if or_sent_by is None else sa.or_(both, table.facility_id == int(or_sent_by))

    return condition



# Made at a primary-care unit (基层, N#7: the tier's is_primary), read from the registry when the visit is
# rolled up; a unit moved to another tier needs ``rollup rebuild``.
_at_primary = Visit.facility_id.in_(sa.select(Facility.id).join(Tier, Tier.code == Facility.tier_code)
                                    .where(Tier.is_primary))

_fd_group = sa.case((FdContract.priority_group, "priority"), else_="general")


def _family(model: type[Base], when: sa.ColumnElement, facility: sa.ColumnElement, dim: ColumnElement | None,
            *specs: tuple[str, ColumnElement | None, ColumnElement | None]) -> list[Metric]:
    return [Metric(code, model, when, facility, value, where, dim) for code, value, where in specs]


# Metric codes are stable API for lib.kpi; add new ones, never rename.
METRICS: tuple[Metric, ...] = (
    *_family(Visit, Visit.ts, Visit.facility_id, None,
             ("visits", None, None),
             ("visits_emergency", None, Visit.kind == "emergency"),
             ("visits_outpatient", None, Visit.kind == "outpatient"),
             ("visits_tcm", None, Visit.is_tcm),
             ("visits_resident", None, Visit.is_insured_resident),
             ("visit_cost", Visit.cost, None),
             ("outpatient_cost", Visit.cost, Visit.kind == "outpatient"),
             ("visit_fund", Visit.fund_paid, Visit.is_insured_resident)),
    # Visits by syndrome group, for early warning (lib.alerts): the day's counts per unit and syndrome.
    *_family(Visit, Visit.ts, Visit.facility_id, Visit.syndrome,
             ("visits_syndrome", None, Visit.syndrome.is_not(None))),
    # Resident-based visit figures are keyed by the patient's home unit, wherever treated (issue #11 item 7).
    *_family(Visit, Visit.ts, Visit.home_facility_id, None,
             ("visits_home", None, Visit.is_insured_resident),
             ("visits_home_primary", None, sa.and_(Visit.is_insured_resident, _at_primary)),
             ("visit_fund_home", Visit.fund_paid, Visit.is_insured_resident)),
    # Resident-based admission figures are keyed by the patient's home unit (N#11), the
    # out-of-county part coming from insurance settlement.
    *_family(Admission, Admission.admitted_at, Admission.home_facility_id, Admission.disease_group,
             ("adm_home_in", None, _resident_in),
             ("adm_home_out", None, _resident_out),
             ("adm_home_chronic", None, sa.and_(Admission.chronic_managed, Admission.is_insured_resident)),
             ("fund_home_in", Admission.fund_paid, _resident_in),
             ("fund_home_out", Admission.fund_paid, _resident_out)),
    *_family(Admission, Admission.admitted_at, Admission.facility_id, None,
             ("adm_at", None, Admission.in_county),
             ("adm_at_cost", Admission.cost, Admission.in_county),
             ("fund_at", Admission.fund_paid, Admission.in_county)),
    *_family(Referral, Referral.sent_at, Referral.from_facility_id, Referral.direction,
             ("ref_sent", None, None),
             ("ref_accepted", None, Referral.accepted_at.is_not(None)),
             ("ref_closed", None, sa.and_(Referral.accepted_at.is_not(None), Referral.feedback_at.is_not(None))),
             ("ref_accept_min", minutes_between(Referral.sent_at, Referral.accepted_at),
              Referral.accepted_at.is_not(None))),
    *_family(Referral, Referral.sent_at, Referral.from_facility_id,
             _ref_flow_dim,
             ("ref_flow", None, None)),
    *_family(Referral, Referral.sent_at, Referral.to_facility_id, Referral.direction,
             ("ref_in", None, Referral.to_facility_id.is_not(None))),
    *_family(EmergencyDispatch, EmergencyDispatch.call_at, EmergencyDispatch.facility_id, None,
             ("ems_calls", None, None),
             ("ems_arrived", None, EmergencyDispatch.arrived_at.is_not(None)),
             ("ems_response_min", minutes_between(EmergencyDispatch.call_at, EmergencyDispatch.arrived_at),
              EmergencyDispatch.arrived_at.is_not(None))),
    *_family(RemoteRead, RemoteRead.requested_at, RemoteRead.facility_id, RemoteRead.modality,
             ("reads", None, None),
             ("reads_reported", None, RemoteRead.reported_at.is_not(None)),
             ("read_min", minutes_between(RemoteRead.requested_at, RemoteRead.reported_at),
              RemoteRead.reported_at.is_not(None))),
    *_family(RxReview, RxReview.submitted_at, RxReview.facility_id, None,
             ("rx_reviewed", None, RxReview.reviewed_at.is_not(None)),
             ("rx_passed", None, RxReview.passed),
             ("rx_min", minutes_between(RxReview.submitted_at, RxReview.reviewed_at),
              RxReview.reviewed_at.is_not(None))),
    *_family(LabTest, LabTest.collected_at, LabTest.facility_id, None,
             ("labs", None, None),
             ("labs_reported", None, LabTest.reported_at.is_not(None)),
             ("lab_min", minutes_between(LabTest.collected_at, LabTest.reported_at),
              LabTest.reported_at.is_not(None))),
    *_family(FollowUp, FollowUp.due_date, FollowUp.facility_id, FollowUp.programme,
             ("fu_due", None, None),
             ("fu_ontime", None, sa.and_(FollowUp.done_date.is_not(None), FollowUp.done_date <= FollowUp.due_date))),
    *_family(DrugDelivery, DrugDelivery.promised_at, DrugDelivery.facility_id, None,
             ("deliveries", None, None),
             ("deliveries_ontime", None, sa.and_(DrugDelivery.delivered_at.is_not(None),
                                                 DrugDelivery.delivered_at <= DrugDelivery.promised_at)),
             ("stockouts", None, DrugDelivery.stockout)),
    # Stints by the day they start; the days served are split by day across periods in lib.kpi.measures.
    *_family(SinkingDeployment, SinkingDeployment.start_date, SinkingDeployment.host_facility_id,
             SinkingDeployment.kind,
             ("sink_stints", None, None),
             ("sink_stints_planned", None, SinkingDeployment.planned)),  # rostered in the monthly plan (医护调度)
    # Contracts valid on day D = starts on or before D − ends on or before D (a running sum: lib.kpi.measures).
    *_family(FdContract, FdContract.signed_on, FdContract.facility_id, _fd_group, ("fd_start", None, None)),
    *_family(FdContract, day_after(FdContract.valid_until), FdContract.facility_id, _fd_group, ("fd_end", None, None)),
)

EVENT_MODELS: tuple[type[Base], ...] = tuple(dict.fromkeys(m.model for m in METRICS))

FINGERPRINT_KEY = "rollup_fingerprint"  # its row in store_meta
# Both stores' SQL: a change to one dialect's spelling of a construct (lib.store.sqlfn) changes its rollups too.
_DIALECTS = (postgresql.dialect(), sqlite.dialect())


def _sql(expr: ColumnElement | None) -> list[str] | None:
    if expr is None:
        return None
    # Literals inlined: with bound parameters, a changed constant (kind == 'emergency') would not show.
    return [str(expr.compile(dialect=d, compile_kwargs={"literal_binds": True})) for d in _DIALECTS]


def fingerprint(metrics: Sequence[Metric] | None = None) -> str:
    """A sha256 of the metric declarations (default: ``METRICS``), the same in every process.

    Each metric's code, table, day and month keys, facility, value, condition and dimension go in as the
    SQL they compile to, so changing, adding or removing a metric changes the hash, and reordering does
    not; nothing depends on object identity or Python's per-process string hashing.
    """
    parts = sorted(json.dumps([m.code, m.model.__tablename__, _sql(day_of(m.when)), _sql(month_of(m.when)),
                               _sql(m.facility), _sql(m.value), _sql(m.where), _sql(m.dim)], ensure_ascii=False)
                   for m in (METRICS if metrics is None else metrics))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def stored_fingerprint(conn: Connection) -> str | None:
    """The fingerprint of the declarations the store's rollups were last rebuilt with (None: never)."""
    return conn.execute(sa.select(StoreMeta.value).where(StoreMeta.key == FINGERPRINT_KEY)).scalar_one_or_none()


def has_events(conn: Connection) -> bool:
    """True when any table the rollups read holds a row (otherwise there is nothing to rebuild)."""
    return any(conn.execute(sa.select(sa.literal(1)).select_from(m).limit(1)).first() for m in EVENT_MODELS)


def _record_fingerprint(conn: Connection) -> None:
    insert = postgresql.insert(StoreMeta) if conn.dialect.name == "postgresql" else sqlite.insert(StoreMeta)
    stmt = insert.values(key=FINGERPRINT_KEY, value=fingerprint())
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": stmt.excluded.value}))


def families() -> list[list[Metric]]:
    """Metrics that share a table, time key, facility key and dimension: one scan computes them all."""
    groups: dict[tuple[int, ...], list[Metric]] = {}
    for m in METRICS:
        groups.setdefault((id(m.model), id(m.when), id(m.facility), id(m.dim)), []).append(m)
    return list(groups.values())


# The rows and direction of an incremental write, bound at execution: ``apply`` builds its statements once.
_IDS = sa.bindparam("ids", expanding=True)
# PostgreSQL takes the ids as one array (id = ANY(:ids)): an expanding IN of a thousand placeholders is
# rendered and parsed again on every call, which cost the ingest path most of its time.
_IDS_ARRAY = sa.bindparam("ids", type_=postgresql.ARRAY(sa.BigInteger()))
_SIGN = sa.bindparam("sign", type_=sa.Integer)


def _contribution(family: list[Metric], bucket: type[day_of] | type[month_of], ids: sa.BindParameter | None,
                  sign: sa.BindParameter | int) -> sa.Select:
    """(bucket, facility, metric, dim, value) rows for one family: one GROUP BY, unpivoted with UNION ALL."""
    first = family[0]
    key = bucket(first.when)
    dim = sa.literal("") if first.dim is None else sa.func.coalesce(first.dim, "")
    columns = []
    for i, m in enumerate(family):
        value = sa.literal(1) if m.value is None else m.value
        cond = sa.true() if m.where is None else m.where
        columns.append(sa.func.sum(sa.case((cond, value * sign))).label(f"m{i}"))
    conds: list[ColumnElement] = [first.facility.is_not(None)]
    if ids is not None:
        model_id = first.model.id  # type: ignore[attr-defined]
        conds.append(model_id == sa.any_(ids) if ids is _IDS_ARRAY else model_id.in_(ids))
    grouped = (sa.select(key.label("k"), first.facility.label("f"), dim.label("d"), *columns)
               .where(*conds).group_by(key, first.facility, dim).cte(f"fam_{first.code}").prefix_with("MATERIALIZED"))
    parts = [sa.select(grouped.c.k, grouped.c.f, sa.literal(m.code).label("m"), grouped.c.d,
                       grouped.c[f"m{i}"].label("v")).where(grouped.c[f"m{i}"].is_not(None))
             for i, m in enumerate(family)]
    union = sa.union_all(*parts).subquery()
    # SQLite's upsert needs a WHERE on the SELECT it takes rows from (its parsing ambiguity rule).
    return sa.select(union.c.k, union.c.f, union.c.m, union.c.d, union.c.v).where(sa.true())


def _columns(target: type[DailyRollup] | type[MonthlyRollup]) -> list[str]:
    return ["day" if target is DailyRollup else "month", "facility_id", "metric", "dim", "value"]


def _upsert(target: type[DailyRollup] | type[MonthlyRollup], select: sa.Select, dialect: str) -> sa.Executable:
    """INSERT … SELECT that adds to the rows already there."""
    table = target.__table__
    columns = _columns(target)
    stmt = (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)).from_select(columns, select)
    return stmt.on_conflict_do_update(index_elements=columns[:-1], set_={"value": table.c.value + stmt.excluded.value})


# apply()'s statements per (declarations, model, dialect): building them costs more than running them
# on the handful of rows a write carries. The declarations are held with them, so a changed METRICS
# (a test's monkeypatch) is never served another's statements.
_APPLY: dict[tuple[int, str, str], tuple[Sequence[Metric], list[sa.Executable]]] = {}


def _apply_statements(model: type[Base], dialect: str) -> list[sa.Executable]:
    key = (id(METRICS), model.__tablename__, dialect)
    cached = _APPLY.get(key)
    if cached is None or cached[0] is not METRICS:
        ids = _IDS_ARRAY if dialect == "postgresql" else _IDS
        statements = [_upsert(target, _contribution(family, bucket, ids, _SIGN), dialect)
                      for family in families() if family[0].model is model
                      for target, bucket in ((DailyRollup, day_of), (MonthlyRollup, month_of))]
        cached = _APPLY[key] = (METRICS, statements)
    return cached[1]


def apply(conn: Connection, model: type[Base], ids: Sequence[int], sign: int = 1) -> None:
    """Add (sign=1) or remove (sign=-1) the rollup contribution of the given event rows."""
    if not ids:
        return
    for statement in _apply_statements(model, conn.dialect.name):
        conn.execute(statement, {"ids": list(ids), "sign": sign})


def rebuild(conn: Connection, progress: Callable[[float, int, int], None] | None = None) -> None:
    """Recompute both rollup tables from the raw events (after a bulk load, a change of the declarations,
    or to repair drift) and record the declarations' fingerprint, all in the caller's transaction.

    ``progress(fraction, step, steps)`` hears as each step starts (a metric family's daily rows, then the
    months), so a watcher can say which one runs, and 1.0 at the end.
    """
    all_families = families()
    steps = len(all_families) + 1

    def say(step: int) -> None:
        if progress is not None:
            progress(min(step - 1, steps) / steps, min(step, steps), steps)

    if conn.dialect.name == "postgresql":
        # Writers (the live feed) wait until this transaction ends, so none interleaves its upserts with
        # the delete and inserts below; readers go on. (SQLite has one writer at a time anyway.)
        conn.exec_driver_sql(f"LOCK TABLE {DailyRollup.__tablename__}, {MonthlyRollup.__tablename__} "
                             "IN SHARE ROW EXCLUSIVE MODE")
    conn.execute(sa.delete(DailyRollup))
    conn.execute(sa.delete(MonthlyRollup))
    for i, family in enumerate(all_families, 1):
        say(i)
        conn.execute(sa.insert(DailyRollup).from_select(_columns(DailyRollup), _contribution(family, day_of, None, 1)))
    say(steps)
    d = DailyRollup
    conn.execute(
        sa.insert(MonthlyRollup).from_select(
            ["month", "facility_id", "metric", "dim", "value"],
            sa.select(month_of(d.day), d.facility_id, d.metric, d.dim, sa.func.sum(d.value))
            .group_by(month_of(d.day), d.facility_id, d.metric, d.dim),
        )
    )
    _record_fingerprint(conn)
    say(steps + 1)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m lib.rollup", description=__doc__)
    parser.add_argument("command", choices=["rebuild"])
    parser.parse_args(argv)
    schema.upgrade()  # a store from before migration 0004 has no table for the fingerprint yet
    with db.engine().begin() as conn:
        rebuild(conn)
    print("rollups rebuilt")


if __name__ == "__main__":
    main()
