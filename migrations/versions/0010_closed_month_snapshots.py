"""closed months computed once: measure snapshots and the generations that keep them true

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 07:00:00

Issue #14: a closed month's per-unit measures are computed once and kept (measure_snapshot, written by
lib.kpi.months). Triggers on every table the measures read bump that month's generation in the
transaction of the write, whoever writes (the event path through the rollups, an upload, a roster load,
a script), so a snapshot is used only while nothing under it has changed since it was computed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALL_MONTHS = "0001-01-01"  # lib.kpi.months.ALL_MONTHS: a change that touches every month
# The month each table's row changes: a column holding the first of the month, a day, or every month.
SOURCES = {
    "rollup_monthly": ("month", "month"),
    "monthly_report": ("month", "month"),
    "register_count": ("month", "month"),
    "sinking_deployment": ("day", "start_date"),
    "staff": ("all", None),
    "facility": ("all", None),
}
ROWS = {"INSERT": ("NEW",), "UPDATE": ("OLD", "NEW"), "DELETE": ("OLD",)}  # the rows whose months changed
EVENTS = tuple(ROWS)


def _sqlite_month(row: str, kind: str, column: str | None) -> str:
    if kind == "all":
        return f"'{ALL_MONTHS}'"
    return f"{row}.{column}" if kind == "month" else f"date({row}.{column}, 'start of month')"


def _postgres_month(kind: str, column: str | None) -> str:
    if kind == "all":
        return f"DATE '{ALL_MONTHS}'"
    return column if kind == "month" else f"date_trunc('month', {column})::date"


def upgrade() -> None:
    op.create_table(
        'measure_generation',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('gen', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('month'),
    )
    op.create_table(
        'measure_snapshot',
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('basis', sa.BigInteger(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('measures', sa.LargeBinary(), nullable=False),
        sa.Column('reported', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('month'),
    )
    postgres = op.get_bind().dialect.name == "postgresql"
    for table, (kind, column) in SOURCES.items():
        for event in EVENTS:
            name = f"measure_changed_{table}_{event.lower()}"
            rows = ROWS[event]
            if postgres:  # statement-level, reading the rows it changed from transition tables
                sources = " UNION ".join(f"SELECT {_postgres_month(kind, column)} AS month FROM {r.lower()}_rows"
                                         for r in rows)
                op.execute(f"""
                    CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        INSERT INTO measure_generation (month, gen) SELECT DISTINCT month, 1 FROM ({sources}) s
                        ON CONFLICT (month) DO UPDATE SET gen = measure_generation.gen + 1;
                        RETURN NULL;
                    END $$""")
                referencing = " ".join(f"{r} TABLE AS {r.lower()}_rows" for r in rows)
                op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} REFERENCING {referencing} "
                           f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()")
                continue
            months = dict.fromkeys(_sqlite_month(r, kind, column) for r in rows)  # SQLite: row triggers only
            # No INSERT OR IGNORE: an outer upsert (the rollups') would impose its own conflict rule on it.
            body = "".join(f"INSERT INTO measure_generation (month, gen) SELECT {m}, 0 WHERE NOT EXISTS "
                           f"(SELECT 1 FROM measure_generation WHERE month = {m}); "
                           f"UPDATE measure_generation SET gen = gen + 1 WHERE month = {m}; " for m in months)
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {body}END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in SOURCES:
        for event in EVENTS:
            name = f"measure_changed_{table}_{event.lower()}"
            op.execute(f"DROP TRIGGER {name}" + (f" ON {table}" if postgres else ""))
            if postgres:
                op.execute(f"DROP FUNCTION {name}()")
    op.drop_table('measure_snapshot')
    op.drop_table('measure_generation')
