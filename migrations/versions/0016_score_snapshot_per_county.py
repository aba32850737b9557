"""a published month belongs to one county: several counties in one store publish their own months

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 07:00:00

Issue #15 item 5: score_snapshot gains county_id, and a version is numbered per county and month
(unique county_id, month, version). Snapshots published before belong to the store's first county, the
only one a store could hold then. The table stays insert-only (migration 0003): its guard is lifted for
the back-fill and put back in the same transaction. The monthly packs already sent (alert_outbox topics
``pack:YYYY-MM:vN``) are renamed to the county's topic (``pack:CODE:YYYY-MM:vN``), so none is sent twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "insert-only: a published snapshot or weights version is never changed; publish a new version"
FIRST_COUNTY = "(SELECT MIN(id) FROM county)"


def _sqlite_guard(create: bool) -> None:
    for verb in ("UPDATE", "DELETE"):
        name = f"score_snapshot_no_{verb.lower()}"
        op.execute(f"CREATE TRIGGER {name} BEFORE {verb} ON score_snapshot "
                   f"BEGIN SELECT RAISE(ABORT, 'score_snapshot: {MESSAGE}'); END" if create else f"DROP TRIGGER {name}")


def _scope(old: list[str], new: list[str]) -> None:
    """Rekey the snapshot's version from ``old`` columns to ``new`` ones, with county_id's link and index."""
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE score_snapshot DISABLE TRIGGER score_snapshot_insert_only")
    else:  # the table is rebuilt: its children's links are checked at commit, its guard comes back after
        op.execute("PRAGMA defer_foreign_keys=ON")
        _sqlite_guard(create=False)
    adding = "county_id" in new
    with op.batch_alter_table("score_snapshot", recreate="auto") as batch:
        if adding:
            batch.add_column(sa.Column("county_id", sa.Integer(), nullable=True))
    if adding:
        op.execute(f"UPDATE score_snapshot SET county_id = {FIRST_COUNTY}")
    with op.batch_alter_table("score_snapshot", recreate="auto") as batch:
        batch.drop_constraint(f"uq_score_snapshot_{'_'.join(old)}", type_="unique")
        if adding:
            batch.alter_column("county_id", existing_type=sa.Integer(), nullable=False)
            batch.create_foreign_key("fk_score_snapshot_county_id_county", "county", ["county_id"], ["id"])
            batch.create_index("ix_score_snapshot_county_id", ["county_id"])
        else:
            batch.drop_index("ix_score_snapshot_county_id")
            batch.drop_constraint("fk_score_snapshot_county_id_county", type_="foreignkey")
            batch.drop_column("county_id")
        batch.create_unique_constraint(f"uq_score_snapshot_{'_'.join(new)}", new)
    if postgres:
        op.execute("ALTER TABLE score_snapshot ENABLE TRIGGER score_snapshot_insert_only")
    else:
        _sqlite_guard(create=True)


FIRST_CODE = "(SELECT code FROM county WHERE id = (SELECT MIN(id) FROM county))"


def upgrade() -> None:
    _scope(["month", "version"], ["county_id", "month", "version"])
    op.execute(f"UPDATE alert_outbox SET topic = 'pack:' || {FIRST_CODE} || ':' || substr(topic, 6) "
               "WHERE topic LIKE 'pack:____-__:v%'")


def downgrade() -> None:
    op.execute("UPDATE alert_outbox SET topic = 'pack:' || substr(topic, 7 + length(" + FIRST_CODE + ")) "
               "WHERE topic LIKE 'pack:%:____-__:v%'")
    _scope(["county_id", "month", "version"], ["month", "version"])
