"""the engine's other inputs bump a generation too: an unchanged store is answered from memory

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 09:00:00

Issue #14: a KPI engine whose store has not changed since another engine of the process read it can
share that engine's work (lib.kpi.engine). Migration 0010's triggers bump a month's generation for every
change under the measures; these bump the row of CONFIG_MONTH for changes to what the engine reads
beside them (the registry's names and areas, the catalogue, targets, fund budgets). CONFIG_MONTH sorts
after every real month, so no closed month's snapshot is made stale by a target edit. ``store_id`` (in
store_meta) tells a store rebuilt at the same address from the one a process remembers.
"""

import uuid
from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONFIG_MONTH = "9999-12-01"  # lib.kpi.months.CONFIG_MONTH
TABLES = ("county", "area", "tier", "community", "indicator", "indicator_target", "fund_budget")
EVENTS = ("INSERT", "UPDATE", "DELETE")


def _name(table: str, event: str) -> str:
    return f"engine_input_changed_{table}_{event.lower()}"


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.execute(f"INSERT INTO store_meta (key, value) VALUES ('store_id', '{uuid.uuid4().hex}')")
    bump = (f"INSERT INTO measure_generation (month, gen) VALUES (DATE '{CONFIG_MONTH}', 1) "
            "ON CONFLICT (month) DO UPDATE SET gen = measure_generation.gen + 1;")
    if postgres:
        op.execute(f"CREATE FUNCTION engine_input_changed() RETURNS trigger LANGUAGE plpgsql AS $$ "
                   f"BEGIN {bump} RETURN NULL; END $$")
    for table in TABLES:
        for event in EVENTS:
            if postgres:  # once per statement, whatever the rows
                op.execute(f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} "
                           "FOR EACH STATEMENT EXECUTE FUNCTION engine_input_changed()")
            else:  # SQLite has row triggers only; as in 0010, no INSERT OR IGNORE under an outer upsert
                op.execute(f"CREATE TRIGGER {_name(table, event)} AFTER {event} ON {table} BEGIN "
                           f"INSERT INTO measure_generation (month, gen) SELECT '{CONFIG_MONTH}', 0 WHERE NOT EXISTS "
                           f"(SELECT 1 FROM measure_generation WHERE month = '{CONFIG_MONTH}'); "
                           f"UPDATE measure_generation SET gen = gen + 1 WHERE month = '{CONFIG_MONTH}'; END")


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER {_name(table, event)}" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION engine_input_changed()")
    op.execute("DELETE FROM store_meta WHERE key = 'store_id'")
