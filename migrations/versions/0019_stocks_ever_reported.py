"""which unit has ever reported which register or monthly figure, kept on write

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 13:10:00

Issue #14: the KPI engine asks which tiers owe each stock report (a unit of a tier that has ever reported
a register or a status figure is missing one when it has none). Read from register_count and
monthly_report, that question scanned every row of every year, so a page's first cost grew with the years
of history. ``stock_reported`` holds each (unit, register) and (unit, metric) pair once, filled here and
kept by triggers in the transaction of every write, whoever writes (an upload, the demo, a script): tens
of rows per unit, whatever the years. A pair goes when the last row of it is deleted or changed, so the
answer is the scan's. No foreign key: a unit removed from the registry simply no longer joins.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCES = {"register_count": ("reg", "register"), "monthly_report": ("rep", "metric")}  # table: (kind, stock column)
ROWS = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}  # the rows a write leaves or takes


def _postgres_body(table: str, kind: str, column: str, rows: tuple[str, ...]) -> str:
    """Pairs written are added; pairs of rows taken away are dropped once no row of theirs is left."""
    body = ""
    if "NEW" in rows:
        body += (f"INSERT INTO stock_reported (facility_id, kind, stock) SELECT DISTINCT facility_id, '{kind}', "
                 f"{column} FROM new_rows ON CONFLICT DO NOTHING; ")
    if "OLD" in rows:
        body += (f"DELETE FROM stock_reported s USING (SELECT DISTINCT facility_id, {column} AS stock FROM old_rows) o "
                 f"WHERE s.facility_id = o.facility_id AND s.kind = '{kind}' AND s.stock = o.stock AND NOT EXISTS "
                 f"(SELECT 1 FROM {table} t WHERE t.facility_id = o.facility_id AND t.{column} = o.stock); ")
    return body


def _sqlite_body(table: str, kind: str, column: str, rows: tuple[str, ...]) -> str:
    # Row triggers; no INSERT OR IGNORE (an outer statement's conflict rule would replace it).
    body = ""
    if "NEW" in rows:
        body += (f"INSERT INTO stock_reported (facility_id, kind, stock) SELECT NEW.facility_id, '{kind}', "
                 f"NEW.{column} WHERE NOT EXISTS (SELECT 1 FROM stock_reported WHERE facility_id = NEW.facility_id "
                 f"AND kind = '{kind}' AND stock = NEW.{column}); ")
    if "OLD" in rows:
        body += (f"DELETE FROM stock_reported WHERE facility_id = OLD.facility_id AND kind = '{kind}' AND "
                 f"stock = OLD.{column} AND NOT EXISTS (SELECT 1 FROM {table} WHERE facility_id = OLD.facility_id "
                 f"AND {column} = OLD.{column}); ")
    return body


def upgrade() -> None:
    op.create_table(
        'stock_reported',
        sa.Column('facility_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=3), nullable=False),
        sa.Column('stock', sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint('facility_id', 'kind', 'stock', name=op.f('pk_stock_reported')),
    )
    for table, (kind, column) in SOURCES.items():
        op.execute(f"INSERT INTO stock_reported (facility_id, kind, stock) "
                   f"SELECT DISTINCT facility_id, '{kind}', {column} FROM {table}")
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, (kind, column) in SOURCES.items():
        for event, rows in ROWS.items():
            name = f"stock_reported_{table}_{event.lower()}"
            if postgres:  # statement-level, reading the rows it changed from transition tables
                op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                           f"{_postgres_body(table, kind, column, rows)}RETURN NULL; END $$")
                referencing = " ".join(f"{r} TABLE AS {r.lower()}_rows" for r in rows)
                op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
                           f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
            else:  # an update of the figure alone (an upload's upsert) changes no pair: not even fired
                of = f" OF facility_id, {column}" if event == "UPDATE" else ""
                op.execute(f"CREATE TRIGGER {name} AFTER {event}{of} ON {table} BEGIN "
                           f"{_sqlite_body(table, kind, column, rows)}END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in SOURCES:
        for event in ROWS:
            name = f"stock_reported_{table}_{event.lower()}"
            op.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if postgres else ""))
            if postgres:
                op.execute(f"DROP FUNCTION {name}()")
    op.drop_table('stock_reported')
