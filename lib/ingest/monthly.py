"""A monthly report file checked whole, then written all or nothing (issue #12 items 2–4).

``check`` reads the table against the registry and data/reports.toml and either returns a ``Plan`` (every
value the file holds, typed) or raises ``Refused`` with every problem found. ``apply`` writes a plan in
one transaction: new values are inserted, changed ones updated with the old value kept in
``report_history``, equal ones left alone (the same file twice changes nothing), and one
``ingest_audit`` row says who sent what. A published month keeps its snapshot: the new values make the
next version when the operations centre publishes again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.ingest import kinds, values
from lib.ingest.kinds import MONTH, UNIT_CODE, UNIT_NAME, Column, Kind
from lib.ingest.problems import Collector, Written
from lib.ingest.table import Table, is_empty
from lib.kpi.period import first_of_month
from lib.store import db
from lib.store.models import IngestAudit, MonthlyReport, RegisterCount, ReportHistory, ScoreSnapshot

REQUIRED = (UNIT_CODE,)
MONTH_IN_NAME = re.compile(r"(20\d{2})[-_.年]?(0[1-9]|1[0-2])")  # …2026-10…, 202610, 2026年10


@dataclass(frozen=True)
class Value:
    facility_id: int
    column: Column
    value: float


@dataclass(frozen=True)
class Plan:
    """A checked file: what it would write, for which month and units."""

    file: str
    sha256: str
    month: dt.date
    kind: str  # the template's kind, or "monthly" when the columns span several
    rows: int
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Outcome(Written):
    """What writing a plan did; ``audit_id`` is None when nothing changed."""

    published: bool  # the month has a published snapshot, which keeps its figures


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def county_units(conn: Connection, county: str | None) -> tuple[int, str, pd.DataFrame]:
    """(county id, county code, every unit of the store with its county's code), for ``check``."""
    counties = db.read_frame(conn, sa.text("SELECT id, code FROM county ORDER BY id"))
    if county is None:
        if len(counties) != 1:
            msg = f"the store holds {len(counties)} counties: name one (--county CODE)"
            raise ValueError(msg)
        county = str(counties["code"].iloc[0])
    chosen = counties[counties["code"] == county]
    if chosen.empty:
        msg = f"no county {county!r} in the store"
        raise ValueError(msg)
    units = db.read_frame(conn, sa.text(
        "SELECT f.id AS facility_id, f.code, f.name_zh, f.name_en, t.level, t.name_zh AS tier_zh, "
        "t.name_en AS tier_en, c.code AS county, f.retired_on "
        "FROM facility f JOIN tier t ON t.code = f.tier_code JOIN county c ON c.id = f.county_id "
        "ORDER BY t.sort, f.code"))
    return int(chosen["id"].iloc[0]), county, units


def _columns(table: Table, found: Collector) -> dict[int, tuple[Kind | None, str]]:
    """Header position → (kind, column key); unknown and repeated headers are problems."""
    index = kinds.header_index()
    known: dict[int, tuple[Kind | None, str]] = {}
    seen: dict[str, str] = {}
    for position, header in enumerate(table.header):
        if not header:
            if any(not is_empty(cells[position]) for _, cells in table.rows if position < len(cells)):
                found.add("no_header", row=table.header_row, column=_letter(table, position))
            continue
        match = index.get(kinds.normalise_header(header))
        if match is None:
            found.add("unknown_column", row=table.header_row, column=header)
        elif match[1] in seen:
            found.add("repeated_column", row=table.header_row, column=header, first=seen[match[1]])
        else:
            seen[match[1]] = header
            known[position] = match
    for key in REQUIRED:
        if key not in seen:
            zh, en = kinds.FIXED_HEADERS[key]
            found.add("missing_column", row=table.header_row, header={"zh": zh, "en": en})
    if not any(kind for kind, _ in known.values()) and not found.problems:
        found.add("no_value_columns", row=table.header_row)
    return known


def _letter(table: Table, position: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(position + 1) if table.sheet else str(position + 1)


def month_of(table: Table) -> dt.date | None:
    """The month a file reports when none is given: its month column's first value, or its name's."""
    position = next((i for i, h in enumerate(table.header)
                     if kinds.header_index().get(kinds.normalise_header(h), (None, ""))[1] == MONTH), None)
    for _, cells in table.rows if position is not None else ():
        try:
            return values.month(cells[position])
        except (values.BadValue, IndexError):
            continue
    found = MONTH_IN_NAME.search(table.file)
    return dt.date(int(found.group(1)), int(found.group(2)), 1) if found else None


def check(table: Table, content: bytes, month: dt.date, units: pd.DataFrame, county: str,
          today: dt.date) -> Plan:
    """Every value of ``table`` for ``month``, or Refused naming each problem (all of them, up to the cap)."""
    found = Collector(table.file, table.sheet)
    month = first_of_month(month)
    if month >= first_of_month(today):
        found.add("month_not_over", value=month.strftime("%Y-%m"))
    columns = _columns(table, found)
    by_code = {str(code).strip().casefold(): row for code, row in
               zip(units["code"], units.itertuples(index=False), strict=True)}
    header = dict(enumerate(table.header))
    first_row: dict[int, int] = {}
    planned: list[Value] = []
    used_kinds: set[str] = set()
    for number, cells in table.rows:
        cell = dict(enumerate(cells))
        fields = {key: (position, cell.get(position)) for position, (_, key) in columns.items()}
        unit = _unit(found, number, header, fields, by_code, county)
        _month(found, number, header, fields, month)
        if unit is None:
            continue
        if unit.facility_id in first_row:
            found.add("duplicate_unit", row=number, column=header[fields[UNIT_CODE][0]], value=unit.code,
                      first=first_row[unit.facility_id])
            continue
        first_row[unit.facility_id] = number
        row_values: dict[str, float] = {}
        for position, (kind, key) in columns.items():
            raw = cell.get(position)
            if kind is None or is_empty(raw):
                continue
            column = next(c for c in kind.columns if c.metric == key)
            if unit.level not in kind.levels:
                found.add("not_for_level", row=number, column=header[position], value=raw,
                          unit=unit.code, tier={"zh": unit.tier_zh, "en": unit.tier_en})
                continue
            try:
                value = values.number(raw, column.type)
            except values.BadValue as bad:
                found.add(bad.reason, row=number, column=header[position], value=raw, **bad.params)
                continue
            if value < column.min or value > column.max:
                reason = "negative" if value < 0 <= column.min else "out_of_range"
                found.add(reason, row=number, column=header[position], value=raw,
                          low=values.plain(column.min), high=values.plain(column.max))
                continue
            row_values[key] = value
            used_kinds.add(kind.code)
            planned.append(Value(int(unit.facility_id), column, value))
        _row_rules(found, number, columns, header, row_values)
    found.refuse_if_any()
    kind = used_kinds.pop() if len(used_kinds) == 1 else "monthly"
    return Plan(table.file, digest(content), month, kind, len(table.rows), tuple(planned))


def _unit(found: Collector, number: int, header: dict[int, str], fields: dict, by_code: dict, county: str):
    if UNIT_CODE not in fields:
        return None
    position, raw = fields[UNIT_CODE]
    if is_empty(raw):
        found.add("missing_unit", row=number, column=header[position])
        return None
    unit = by_code.get(str(raw).strip().removesuffix(".0").casefold())
    if unit is None:
        found.add("unknown_unit", row=number, column=header[position], value=raw)
        return None
    if unit.county != county:
        found.add("other_county", row=number, column=header[position], value=raw, county=unit.county, ours=county)
        return None
    if UNIT_NAME in fields:
        name_position, name = fields[UNIT_NAME]
        written = "" if is_empty(name) else str(name).replace(" ", "")
        if written and written not in (unit.name_zh.replace(" ", ""), unit.name_en.replace(" ", "")):
            found.add("name_mismatch", row=number, column=header[name_position], value=name, unit=unit.code,
                      name=unit.name_zh)
            return None
    return unit


def _month(found: Collector, number: int, header: dict[int, str], fields: dict, month: dt.date) -> None:
    if MONTH not in fields:
        return
    position, raw = fields[MONTH]
    if is_empty(raw):
        found.add("missing_month", row=number, column=header[position], month=month.strftime("%Y-%m"))
        return
    try:
        written = values.month(raw)
    except values.BadValue:
        found.add("not_month", row=number, column=header[position], value=raw)
        return
    if written != month:
        found.add("wrong_month", row=number, column=header[position], value=raw, month=month.strftime("%Y-%m"))


def _row_rules(found: Collector, number: int, columns: dict[int, tuple[Kind | None, str]],
               header: dict[int, str], row: dict[str, float]) -> None:
    """Rules across one row's cells: managed ≤ registered, and a register's two counts together."""
    position_of = {key: position for position, (_, key) in columns.items()}
    for kind in {k for k, _ in columns.values() if k is not None}:
        for column in kind.columns:
            if column.not_above and column.metric in row and column.not_above in row \
                    and row[column.metric] > row[column.not_above]:
                found.add("above_denominator", row=number, column=header[position_of[column.metric]],
                          value=values.plain(row[column.metric]), other=header[position_of[column.not_above]],
                          limit=values.plain(row[column.not_above]))
            if column.register and column.metric in row:
                partner = next(c for c in kind.columns if c.register == column.register and c is not column)
                if partner.metric not in row:
                    found.add("register_pair", row=number, column=header[position_of[column.metric]],
                              other={"zh": partner.header_zh, "en": partner.header_en})


def apply(conn: Connection, plan: Plan, *, by: str, channel: str, now: dt.datetime) -> Outcome:
    """Write ``plan`` inside the caller's transaction; equal values are left alone and not audited."""
    reports = [v for v in plan.values if not v.column.register]
    registers = [v for v in plan.values if v.column.register]
    r, g = MonthlyReport, RegisterCount
    old_reports = _existing(conn, r, r.metric, (r.value, r.received_at), plan.month, reports)
    old_registers = _existing(conn, g, g.register, (g.registered, g.managed), plan.month, registers)
    new_reports = [v for v in reports if (v.facility_id, v.column.metric) not in old_reports]
    changed_reports = [v for v in reports if (key := (v.facility_id, v.column.metric)) in old_reports
                       and old_reports[key][1] != v.value]
    register_rows = _register_rows(registers)
    new_registers = {k: r for k, r in register_rows.items() if k not in old_registers}
    changed_registers = {k: r for k, r in register_rows.items()
                         if k in old_registers and old_registers[k][1:] != (r["registered"], r["managed"])}
    inserted = len(new_reports) + 2 * len(new_registers)
    updated = len(changed_reports) + sum(_changed_fields(old_registers[k], r) for k, r in changed_registers.items())
    published = conn.execute(sa.select(sa.literal(1)).where(ScoreSnapshot.month == plan.month).limit(1)).first()
    if not inserted and not updated:
        return Outcome(0, 0, len(plan.values), None, published is not None)
    audit_id = conn.execute(sa.insert(IngestAudit).returning(IngestAudit.id), {
        "at": now, "by": by, "channel": channel, "kind": plan.kind, "file_name": plan.file[:255],
        "sha256": plan.sha256, "month": plan.month, "rows": plan.rows, "inserted": inserted, "updated": updated,
        "unchanged": len(plan.values) - inserted - updated}).scalar_one()
    history = [{"audit_id": audit_id, "facility_id": v.facility_id, "month": plan.month, "item": v.column.metric,
                "field": "", "value": old_reports[(v.facility_id, v.column.metric)][1],
                "received_at": old_reports[(v.facility_id, v.column.metric)][2]} for v in changed_reports]
    history += [{"audit_id": audit_id, "facility_id": k[0], "month": plan.month, "item": k[1], "field": field,
                 "value": old_registers[k][1 + i], "received_at": None}
                for k, r in changed_registers.items() for i, field in enumerate(("registered", "managed"))
                if old_registers[k][1 + i] != r[field]]
    if history:
        conn.execute(sa.insert(ReportHistory), history)
    if new_reports:
        conn.execute(sa.insert(MonthlyReport), [
            {"facility_id": v.facility_id, "month": plan.month, "metric": v.column.metric, "value": v.value,
             "received_at": now} for v in new_reports])
    for v in changed_reports:  # a correction keeps the date the report first came in (timeliness)
        row_id = old_reports[(v.facility_id, v.column.metric)][0]
        conn.execute(sa.update(MonthlyReport).where(MonthlyReport.id == row_id).values(value=v.value))
    if new_registers:
        conn.execute(sa.insert(RegisterCount), [
            {"facility_id": k[0], "month": plan.month, "register": k[1], **r} for k, r in new_registers.items()])
    for k, r in changed_registers.items():
        conn.execute(sa.update(RegisterCount).where(RegisterCount.id == old_registers[k][0]).values(**r))
    unchanged = len(plan.values) - inserted - updated
    return Outcome(inserted, updated, unchanged, audit_id, published is not None)


def _changed_fields(old: tuple, new: dict[str, int]) -> int:
    return int(old[1] != new["registered"]) + int(old[2] != new["managed"])


def _existing(conn: Connection, model: type[MonthlyReport | RegisterCount], item: sa.Column,
              values: tuple[sa.Column, ...], month: dt.date, wanted: Iterable[Value]) -> dict[tuple[int, str], tuple]:
    """(facility, item) → (id, *values) of the month's rows of ``model`` for the units the plan touches."""
    ids = sorted({v.facility_id for v in wanted})
    if not ids:
        return {}
    rows = conn.execute(sa.select(model.facility_id, item, model.id, *values)
                        .where(model.month == month, model.facility_id.in_(ids))).all()
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


def _register_rows(registers: Iterable[Value]) -> dict[tuple[int, str], dict[str, int]]:
    rows: dict[tuple[int, str], dict[str, int]] = {}
    for v in registers:
        rows.setdefault((v.facility_id, v.column.register), {})[v.column.field] = int(v.value)
    return rows
