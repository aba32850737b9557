"""Month partitions of the event tables on PostgreSQL: the store at region scale (~100 counties, ~10^8 events a year).

    python -m lib.store.partition apply  [--db URL] [--months-ahead 3] [--lang zh|en]
    python -m lib.store.partition ensure [--db URL] [--months-ahead 3] [--lang zh|en]   # monthly, from cron

``apply`` turns each event table into a declarative range-partitioned table on its time column, one
partition per month plus a default one, keeping every row and id (the id sequence moves to the new table).
Opt-in and idempotent: tables already partitioned are left as they are. One transaction: on any error
nothing changes. It locks the event tables while it copies them: run it in a quiet hour.

What a partitioned table cannot keep, and what stands instead:
- the primary key is (id, time column): PostgreSQL's unique indexes must hold the partition key. Ids still
  come from one sequence, so an id stays unique; ``lib.events.write`` reads ids back by RETURNING or by
  source key, and updates by id, which both keep working;
- the unique (source_system, source_id) index gains the time column for the same reason: a re-sent event
  is still recognised by ``lib.ingest.events``, which looks the pair up before writing.
No table refers to an event table by foreign key (checked here: ``apply`` refuses if one does).

The rollups stay as they are: the pages read them, not the events. SQLite has no partitions: refused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import clock, i18n
from lib.kpi.period import add_months, first_of_month
from lib.store import db

# Each event table and the time column its months are cut by (lib/store/models.py).
PARTITIONED: dict[str, str] = {
    "visit": "ts", "admission": "admitted_at", "referral": "sent_at", "emergency_dispatch": "call_at",
    "remote_read": "requested_at", "rx_review": "submitted_at", "lab_test": "collected_at",
    "follow_up": "due_date", "drug_delivery": "promised_at", "fd_contract": "signed_on",
}
MONTHS_AHEAD = 3  # partitions made ahead of today, so a missed cron run or two loses nothing to the default
OLD = "{}_unpartitioned"  # the table's name while its rows are copied


class PartitionError(Exception):
    """The store cannot be partitioned (SQLite, or a table something else refers to); nothing changed."""


@dataclass(frozen=True)
class Done:
    """What a run changed: tables converted, month partitions created."""

    converted: list[str]
    created: list[str]


def partition_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y_%m}"


def is_partitioned(conn: Connection, table: str) -> bool:
    return conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(:t))"),
                        {"t": table}).scalar_one()


def apply(conn: Connection, today: dt.date, months_ahead: int = MONTHS_AHEAD) -> Done:
    """Partition every event table not partitioned yet, then make sure the months ahead exist."""
    _refuse_sqlite(conn)
    converted = [table for table in PARTITIONED if not is_partitioned(conn, table)]
    created = [name for table in converted for name in _convert(conn, table, PARTITIONED[table], today, months_ahead)]
    return Done(converted, created + ensure(conn, today, months_ahead).created)


def ensure(conn: Connection, today: dt.date, months_ahead: int = MONTHS_AHEAD) -> Done:
    """Create this month's and the next ``months_ahead`` months' partitions where missing (cron, monthly)."""
    _refuse_sqlite(conn)
    this = first_of_month(today)
    created = [name for table in PARTITIONED if is_partitioned(conn, table)
               for name in _add_months(conn, table, PARTITIONED[table], this, add_months(this, months_ahead))]
    return Done([], created)


def _refuse_sqlite(conn: Connection) -> None:
    if db.is_sqlite(conn):
        raise PartitionError("partition.sqlite", {})


def _convert(conn: Connection, table: str, key: str, today: dt.date, months_ahead: int) -> list[str]:
    """Rename the table aside, create its partitioned twin, copy the rows, then give it back its sequence,
    key, indexes, foreign keys and triggers under their old names; returns the month partitions made."""
    old = OLD.format(table)
    referring = _catalog(conn, "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' "
                               "AND confrelid = to_regclass(:t)", table).scalars().all()
    if referring:
        raise PartitionError("partition.referred", {"table": table, "by": ", ".join(referring)})
    indexes = _catalog(conn, "SELECT pg_get_indexdef(indexrelid) FROM pg_index "
                             "WHERE indrelid = to_regclass(:t) AND NOT indisprimary", table).scalars().all()
    foreign = _catalog(conn, "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                             "WHERE contype = 'f' AND conrelid = to_regclass(:t)", table).all()
    triggers = _catalog(conn, "SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                              "WHERE tgrelid = to_regclass(:t) AND NOT tgisinternal", table).scalars().all()
    pk = _catalog(conn, "SELECT conname FROM pg_constraint WHERE contype = 'p' AND conrelid = to_regclass(:t)",
                  table).scalar_one()
    sequence = _catalog(conn, "SELECT pg_get_serial_sequence(:t, 'id')", table).scalar_one()
    first, last = conn.execute(sa.text(f"SELECT min({key}), max({key}) FROM {table}")).one()
    this = first_of_month(today)
    start = this if first is None else dt.date(first.year, first.month, 1)  # a date or a timestamp
    end = max(add_months(this, months_ahead), this if last is None else dt.date(last.year, last.month, 1))

    conn.execute(sa.text(f"ALTER TABLE {table} RENAME TO {old}"))
    conn.execute(sa.text(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
                         f"PARTITION BY RANGE ({key})"))
    conn.execute(sa.text(f"CREATE TABLE {table}_default PARTITION OF {table} DEFAULT"))
    created = _add_months(conn, table, key, start, end)
    conn.execute(sa.text(f"INSERT INTO {table} SELECT * FROM {old}"))
    conn.execute(sa.text(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id"))
    conn.execute(sa.text(f"DROP TABLE {old}"))
    conn.execute(sa.text(f"ALTER TABLE {table} ADD CONSTRAINT {pk} PRIMARY KEY (id, {key})"))
    for definition in indexes:
        conn.execute(sa.text(_with_key(definition, key)))
    for name, definition in foreign:
        conn.execute(sa.text(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}"))
    for definition in triggers:  # none on the event tables today; kept should one be added
        conn.execute(sa.text(definition))
    conn.execute(sa.text(f"ANALYZE {table}"))
    return created


def _catalog(conn: Connection, sql: str, table: str) -> sa.CursorResult:
    """A query of PostgreSQL's catalogue about ``table`` (bound as :t, found on the search path)."""
    return conn.execute(sa.text(sql), {"t": table})


def _with_key(definition: str, key: str) -> str:
    """An index as the old table had it (read before the rename, so it names the table's own name, now the
    partitioned one's); a unique index gains the partition key."""
    if definition.startswith("CREATE UNIQUE INDEX"):
        definition = re.sub(r"USING (\w+) \(([^)]*)\)", rf"USING \1 (\2, {key})", definition, count=1)
    return definition


def _add_months(conn: Connection, table: str, key: str, start: dt.date, end: dt.date) -> list[str]:
    """Month partitions from ``start`` to ``end`` (both first days, inclusive) that do not exist yet.

    Made as plain tables and attached, so rows the default partition already holds for that month
    move into them first (PostgreSQL refuses a new partition whose rows sit in the default)."""
    created = []
    month = start
    while month <= end:
        name, after = partition_name(table, month), add_months(month, 1)
        if conn.execute(sa.text("SELECT to_regclass(:n)"), {"n": name}).scalar_one() is None:
            bounds = {"a": month, "b": after}
            conn.execute(sa.text(f"CREATE TABLE {name} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
            conn.execute(sa.text(f"WITH moved AS (DELETE FROM {table}_default WHERE {key} >= :a AND {key} < :b "
                                 f"RETURNING *) INSERT INTO {name} SELECT * FROM moved"), bounds)
            conn.execute(sa.text(f"ALTER TABLE {table} ATTACH PARTITION {name} "
                                 f"FOR VALUES FROM ('{month.isoformat()}') TO ('{after.isoformat()}')"))
            created.append(name)
        month = after
    return created


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lib.store.partition", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("apply", "ensure"))
    parser.add_argument("--db", help="store URL (default: COCKPIT_DB_URL or [connections.cockpit])")
    parser.add_argument("--months-ahead", type=int, default=MONTHS_AHEAD)
    parser.add_argument("--lang", choices=i18n.LANGS, default=i18n.DEFAULT_LANG)
    args = parser.parse_args(argv)
    run, url = (apply if args.command == "apply" else ensure), db.resolve_url(args.db)
    try:
        if url.startswith("sqlite"):  # said before a connection would create a missing file
            raise PartitionError("partition.sqlite", {})
        with db.engine(url).begin() as conn:
            done = run(conn, clock.today(), args.months_ahead)
    except PartitionError as refused:
        key, fields = refused.args
        print(i18n.t(key, args.lang, **fields), file=sys.stderr)
        return 1
    print(i18n.t("partition.done", args.lang, tables=", ".join(done.converted) or "—", created=len(done.created)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
