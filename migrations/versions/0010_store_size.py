"""smaller store: indexes no query uses dropped, rollup tables clustered on their key (SQLite)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 23:10:00

Issue #14 item 3. Checked with EXPLAIN QUERY PLAN against every reader of the tables in lib/:
- ``ix_visit_facility_ts`` (~60 MB at demo scale 1): visits are read by unit only through the rollups;
  the rollup upserts find their rows by id, today's freshness by ``ix_visit_ts``. Units are never
  deleted, so no foreign-key check needs it either.
- ``ix_fd_contract_signed_on`` (~7 MB): contracts are read only through the rollups (``fd_start``/``fd_end``).
- SQLite only: ``rollup_daily`` and ``rollup_monthly`` become WITHOUT ROWID tables. Their primary key
  is nearly the whole row, so a rowid table stored every row twice (~65 MB); clustered on the key, the
  upserts' conflict lookups and the range reads by day or month use the table itself.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROLLUPS = ('rollup_daily', 'rollup_monthly')


def _recreate_rollups(with_rowid: bool) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return  # PostgreSQL has no such choice: its tables are heaps either way
    for table in _ROLLUPS:
        with op.batch_alter_table(table, recreate='always', table_kwargs={'sqlite_with_rowid': with_rowid}):
            pass


def upgrade() -> None:
    op.drop_index('ix_visit_facility_ts', table_name='visit')
    op.drop_index('ix_fd_contract_signed_on', table_name='fd_contract')
    _recreate_rollups(with_rowid=False)


def downgrade() -> None:
    _recreate_rollups(with_rowid=True)
    op.create_index('ix_fd_contract_signed_on', 'fd_contract', ['signed_on'], unique=False)
    op.create_index('ix_visit_facility_ts', 'visit', ['facility_id', 'ts'], unique=False)
