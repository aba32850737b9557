"""drop the indexes no query uses

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 23:15:00

Issue #14 item 3, a smaller store. Checked with EXPLAIN QUERY PLAN against every reader of these tables in lib/:
- ``ix_visit_facility_ts`` (~60 MB at demo scale 1): visits are read by unit only through the rollups;
  the rollup upserts find their rows by id, the data's freshness (the newest visit) by ``ix_visit_ts``.
  Units are never deleted, so no foreign-key check needs it either.
- ``ix_fd_contract_signed_on`` (~7 MB): contracts are read only through the rollups (``fd_start``/``fd_end``).

Kept: every other index serves a reader (the rollups' ``metric, day`` indexes the KPI engine and early
warning, the event times the live counters and the feed), a write (the rollups' primary keys the upserts,
``uq_*_source`` the ingest's de-duplication) or a foreign key. Clustering SQLite's rollup tables on their
key (WITHOUT ROWID, ~65 MB less) was tried and left out: it made the reads through ``metric, day`` 1.3–3×
slower, each index hit a search of the composite key instead of a rowid lookup.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_visit_facility_ts', table_name='visit')
    op.drop_index('ix_fd_contract_signed_on', table_name='fd_contract')


def downgrade() -> None:
    op.create_index('ix_fd_contract_signed_on', 'fd_contract', ['signed_on'], unique=False)
    op.create_index('ix_visit_facility_ts', 'visit', ['facility_id', 'ts'], unique=False)
