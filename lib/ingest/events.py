"""Events from other systems (HIS, public health, insurance): JSON lines or CSV, one schema per event kind
(data/schemas/<kind>.json, generated from the store's models), checked whole, written all or nothing
through lib.events.write so the rollups move in the same transaction (issue #12 item 5).

An event is identified by its sending system and that system's id (``source_system``, ``source_id``): a
re-sent event that is unchanged is ignored, a changed one updates its row (and moves its rollup
contribution). Units are named by code, destinations by code, staff by their pseudonymous key; no other
field is accepted, so a name, ID number or phone cannot get in. Times with an offset are turned into the
county's wall-clock time (lib.clock); times without one are read as the county's.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

import fastjsonschema
import jsonschema
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import clock
from lib.events import write
from lib.ingest.problems import Collector, Written, refuse
from lib.ingest.table import check_size, decode
from lib.store.db import ROOT
from lib.store.models import SOURCED_EVENTS, Base, Destination, Facility, IngestAudit, Staff

SCHEMA_DIR = ROOT / "data" / "schemas"
BATCH = 1000
SOURCE_FIELDS = ("source_system", "source_id")
# ISO 8601 with "T" or a space, the offset optional: a time without one is the county's wall clock.
DATETIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
EVENT = "event"  # the field naming an event's kind (visit, referral ...): "kind" is a field of some events
_REFERENCES = {"facility.id": (Facility, "code", "_code"), "destination.id": (Destination, "code", "_code"),
               "staff.id": (Staff, "staff_key", "_key")}
# Rules across fields the store's check constraints hold (lib.store.models), said before a write tries them.
_CONDITIONS = {
    "referral": [{"if": {"properties": {"direction": {"const": "out"}}},
                  "then": {"required": ["destination_code"]}, "else": {"required": ["to_facility_code"]}}],
    "admission": [{"if": {"properties": {"in_county": {"const": True}}}, "then": {"required": ["facility_code"]}}],
}
_ENUMS = {("referral", "direction"): ["up", "down", "out"], ("visit", "kind"): ["outpatient", "emergency"],
          ("remote_read", "modality"): ["imaging", "ecg"],
          ("sinking_deployment", "kind"): ["stationed", "rotation", "tour"],
          ("follow_up", "programme"): ["htn", "dm", "maternal", "elderly", "severe_mental"]}
MODELS = {m.__tablename__: m for m in SOURCED_EVENTS}


@dataclass(frozen=True)
class Field:
    """A field of an event as sent: its name, the column it fills, and how its value is read (once per kind)."""

    name: str
    column: str
    reference: tuple[type[Base], str] | None  # (table, code column) for a unit, destination or staff member
    time: str  # '' | date | datetime
    default: object  # what an absent optional field stores: the column's default, or NULL


@cache
def fields(kind: str) -> tuple[Field, ...]:
    out = []
    for column in MODELS[kind].__table__.columns:
        if column.primary_key or column.name in SOURCE_FIELDS:
            continue
        kind_of = column.type
        time = "datetime" if isinstance(kind_of, sa.DateTime) else "date" if isinstance(kind_of, sa.Date) else ""
        default = column.default.arg if column.default is not None and not callable(column.default.arg) else None
        foreign = next(iter(column.foreign_keys), None)
        if foreign is None:
            out.append(Field(column.name, column.name, None, time, default))
            continue
        table, code, suffix = _REFERENCES[foreign.target_fullname]
        out.append(Field(column.name.removesuffix("_id") + suffix, column.name, (table, code), time, default))
    return tuple(out)


def _json_type(column: sa.Column) -> dict:
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return {"type": "string", "pattern": DATETIME_PATTERN}
    if isinstance(kind, sa.Date):
        return {"type": "string", "format": "date"}
    if isinstance(kind, sa.Boolean):
        return {"type": "boolean"}
    if isinstance(kind, sa.Integer) and not column.foreign_keys:
        return {"type": "integer"}
    if isinstance(kind, (sa.Numeric, sa.Float)):
        return {"type": "number"}
    length = getattr(kind, "length", None)
    return {"type": "string", "minLength": 1, **({"maxLength": length} if length else {})}


def schema(kind: str) -> dict:
    """The JSON Schema of one event kind (what data/schemas/<kind>.json holds)."""
    table = MODELS[kind].__table__
    properties: dict[str, dict] = {EVENT: {"const": kind},
                                   "source_system": {"type": "string", "minLength": 1, "maxLength": 32},
                                   "source_id": {"type": "string", "minLength": 1, "maxLength": 64}}
    required = [EVENT, *SOURCE_FIELDS]
    for f in fields(kind):
        column = table.c[f.column]
        prop = {"type": "string", "minLength": 1} if f.reference else _json_type(column)
        if (kind, f.name) in _ENUMS:
            prop = {"enum": _ENUMS[(kind, f.name)]}
        if column.nullable:
            prop = {"anyOf": [prop, {"type": "null"}]}
        elif column.default is None and column.server_default is None:
            required.append(f.name)
        properties[f.name] = prop
    # "$schema" names the JSON Schema dialect (an identifier, never fetched: jsonschema and fastjsonschema
    # carry draft 2020-12 themselves), so the files in data/schemas/ read as standard schemas offline.
    doc = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"cockpit/events/{kind}.json",
           "title": f"{kind} event", "description": (MODELS[kind].__doc__ or "").strip().split("\n")[0],
           "type": "object", "properties": properties, "required": required, "additionalProperties": False}
    if kind in _CONDITIONS:
        doc["allOf"] = _CONDITIONS[kind]
    return doc


def write_schemas(folder: Path = SCHEMA_DIR) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in MODELS:
        path = folder / f"{kind}.json"
        path.write_text(json.dumps(schema(kind), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


@cache
def _validator(kind: str) -> jsonschema.protocols.Validator:
    """The full validator: every error of a record, with its path, for the problems a sender reads."""
    return jsonschema.Draft202012Validator(schema(kind), format_checker=jsonschema.FormatChecker())


@cache
def _fast(kind: str) -> Callable[[dict], object]:
    """A compiled check (fastjsonschema, tens of times quicker) that only says whether a record is valid:
    most records are, and only the others go through the full validator to say why."""
    return fastjsonschema.compile(schema(kind))


def _errors(kind: str, record: dict) -> list[jsonschema.ValidationError]:
    try:
        _fast(kind)(record)
    except fastjsonschema.JsonSchemaException:
        return sorted(_validator(kind).iter_errors(record), key=lambda e: list(e.path))
    return []


@dataclass(frozen=True)
class Batch:
    """Checked events of one file: per kind, the rows ready to write, each with its source key."""

    file: str
    rows: dict[str, list[dict]]
    count: int


def parse(file: str, content: bytes) -> list[tuple[int, dict]]:
    """(line, object) of a JSON-lines or CSV file; CSV cells are typed by the schema of the row's kind."""
    check_size(file, len(content))
    text = decode(file, content)
    found = Collector(file)
    records: list[tuple[int, dict]] = []
    if file.lower().endswith(".csv"):
        reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline=""))
        for record in reader:
            records.append((reader.line_num, _typed({k: v for k, v in record.items() if k is not None})))
    else:
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except json.JSONDecodeError as err:
                found.add("not_json", row=number, detail=err.msg)
                continue
            if not isinstance(value, dict):
                found.add("not_object", row=number)
                continue
            records.append((number, value))
    found.refuse_if_any()
    if not records:
        raise refuse(file, "no_rows")
    return records


def _typed(record: dict[str, str]) -> dict:
    """A CSV row as JSON would carry it: empty cells absent, numbers and booleans typed by the schema."""
    kind = record.get(EVENT, "")
    props = schema(kind)["properties"] if kind in MODELS else {}
    out: dict[str, object] = {}
    for key, raw in record.items():
        if raw is None or raw.strip() == "":
            continue
        spec = props.get(key, {})
        types = {s.get("type") for s in spec.get("anyOf", [spec])}
        try:
            if "boolean" in types and raw.strip().lower() in ("true", "false", "1", "0"):
                out[key] = raw.strip().lower() in ("true", "1")
            elif "integer" in types:
                out[key] = int(raw)
            elif "number" in types:
                out[key] = float(raw)
            else:
                out[key] = raw.strip()
        except ValueError:
            out[key] = raw  # left as text: the schema check names it
    return out


def check(conn: Connection, file: str, records: Sequence[tuple[int, dict]]) -> Batch:
    """Every record against its kind's schema and the registry; Refused with every problem, or a Batch."""
    found = Collector(file)
    codes = _codes(conn, {r.get(EVENT) for _, r in records})
    rows: dict[str, list[dict]] = {}
    seen: dict[tuple[str, str, str], int] = {}
    zone = clock.zone()
    for number, record in records:
        kind = record.get(EVENT)
        if kind not in MODELS:
            found.add("unknown_kind", row=number, column=EVENT, value=kind, kinds=", ".join(MODELS))
            continue
        errors = _errors(kind, record)
        for error in errors:
            _schema_problem(found, number, error)
        if errors:
            continue
        key = (kind, record["source_system"], record["source_id"])
        if key in seen:
            found.add("duplicate_event", row=number, column="source_id", value=record["source_id"], first=seen[key])
            continue
        seen[key] = number
        row = {"source_system": record["source_system"], "source_id": record["source_id"]}
        for f in fields(kind):
            value = record.get(f.name)
            if value is None:
                value = f.default
            elif f.reference is not None:
                value = codes[f.reference[0].__tablename__].get(str(value))
                if value is None:
                    found.add("unknown_code", row=number, column=f.name, value=record[f.name])
                    continue
            elif f.time:
                try:
                    value = _when(value, f.time, zone)
                except ValueError:
                    found.add("bad_format", row=number, column=f.name, value=value)
                    continue
            row[f.column] = value
        rows.setdefault(kind, []).append(row)
    found.refuse_if_any()
    return Batch(file, rows, len(records))


def _when(text: str, kind: str, zone: dt.tzinfo) -> dt.date | dt.datetime:
    """An ISO date, or a time in the county's wall clock (converted when it carries an offset)."""
    if kind == "date":
        return dt.date.fromisoformat(text)
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone).replace(tzinfo=None)
    return moment.replace(microsecond=0)


_SCHEMA_REASONS = {"required": "missing_field", "type": "wrong_type", "format": "bad_format",
                   "pattern": "bad_format", "enum": "not_allowed",
                   "const": "not_allowed", "additionalProperties": "unknown_field", "maxLength": "too_long",
                   "minLength": "missing_field", "anyOf": "wrong_type"}


def _schema_problem(found: Collector, number: int, error: jsonschema.ValidationError) -> None:
    reason = _SCHEMA_REASONS.get(error.validator, "schema")
    column = ".".join(str(p) for p in error.path)
    value: object = "" if error.validator in ("required", "additionalProperties") else error.instance
    if error.validator == "required":
        column = error.message.split("'")[1]
    if error.validator == "additionalProperties":
        column = ", ".join(sorted(set(error.instance) - set(error.schema.get("properties", {}))))
    found.add(reason, row=number, column=column, value=value, detail=error.message)


def _codes(conn: Connection, kinds: Iterable[str]) -> dict[str, dict[str, int]]:
    """Code → id of the tables the ``kinds`` refer to (units, and destinations or staff where they are used)."""
    tables = {f.reference for kind in kinds if kind in MODELS for f in fields(kind) if f.reference is not None}
    return {table.__tablename__: dict(conn.execute(sa.select(getattr(table, code), table.id)).all())
            for table, code in tables}


def sent_form(conn: Connection, kind: str, rows: Sequence[dict], source_system: str, prefix: str) -> list[dict]:
    """Rows as the store holds them (ids) in the form another system sends them (codes, ISO times), so the
    demo's live feed takes the same path as any system's: ``prefix`` makes each row's source id unique."""
    names = {table: {i: code for code, i in pairs.items()} for table, pairs in _codes(conn, [kind]).items()}
    records = []
    for n, row in enumerate(rows):
        record: dict[str, object] = {EVENT: kind, "source_system": source_system, "source_id": f"{prefix}-{n}"}
        for f in fields(kind):
            value = row.get(f.column)
            if value is None:
                continue
            if f.reference is not None:
                value = names[f.reference[0].__tablename__][value]
            elif isinstance(value, dt.date | dt.datetime):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = float(value)
            record[f.name] = value
        records.append(record)
    return records


def apply(conn: Connection, batch: Batch, *, sha256: str, by: str, channel: str, now: dt.datetime,
          audit: bool = True) -> Written:
    """Write ``batch`` in the caller's transaction: new events inserted, changed ones updated, equal ones left.

    ``audit=False`` for the demo's live feed, whose every tick would otherwise add a row to the audit.
    """
    inserted = updated = 0
    for kind, rows in batch.rows.items():
        model = MODELS[kind]
        for start in range(0, len(rows), BATCH):
            part = rows[start:start + BATCH]
            existing = _existing(conn, model, part)
            new = [r for r in part if (r["source_system"], r["source_id"]) not in existing]
            write.record_sourced(conn, model, new)
            inserted += len(new)
            for row in part:
                old = existing.get((row["source_system"], row["source_id"]))
                if old is None:
                    continue
                changes = {k: v for k, v in row.items() if not _same(old.get(k), v)}
                if changes:
                    write.update(conn, model, [old["id"]], changes)
                    updated += 1
    unchanged = batch.count - inserted - updated
    if not audit or (not inserted and not updated):
        return Written(inserted, updated, unchanged, None)
    audit_id = conn.execute(sa.insert(IngestAudit).returning(IngestAudit.id), {
        "at": now, "by": by, "channel": channel, "kind": "events", "file_name": batch.file[:255], "sha256": sha256,
        "month": None, "rows": batch.count, "inserted": inserted, "updated": updated,
        "unchanged": unchanged}).scalar_one()
    return Written(inserted, updated, unchanged, audit_id)


def _same(old: object, new: object) -> bool:
    if isinstance(old, Decimal | float | int) and isinstance(new, float | int) and not isinstance(new, bool):
        return abs(float(old) - float(new)) < 0.005
    if isinstance(old, str) and isinstance(new, dt.datetime | dt.date):
        return old[:19] == new.isoformat(sep=" ")[:19]
    return old == new


def _existing(conn: Connection, model: type[Base], rows: Iterable[dict]) -> dict[tuple[str, str], dict]:
    table = model.__table__
    keys = {(r["source_system"], r["source_id"]) for r in rows}
    found: dict[tuple[str, str], dict] = {}
    for system in {s for s, _ in keys}:
        ids = [i for s, i in keys if s == system]
        for row in conn.execute(sa.select(table).where(table.c.source_system == system,
                                                       table.c.source_id.in_(ids))).mappings():
            found[(row["source_system"], row["source_id"])] = dict(row)
    return found
