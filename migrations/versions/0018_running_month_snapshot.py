"""kept measures say their span and the day they were computed as of: the running month and years to date kept too

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 13:00:00

Issue #14 item 1: the month running today is computed as of today (stocks, the roster and days served to
today), so its snapshot holds only for that day as well as for its basis: ``as_of`` names the day (a
closed month's last day). A year to date is kept whole beside its months (``span`` 'ytd', keyed by its last
month), so a page reads one row for it instead of composing twelve. measure_snapshot is a cache: it is made
anew, and what it held is computed again when next read.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _snapshot_table(spans: bool) -> None:
    """measure_snapshot as migration 0010 made it, or with ``span`` and ``as_of``."""
    op.create_table(
        'measure_snapshot',
        *([sa.Column('span', sa.String(length=8), nullable=False)] if spans else []),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('basis', sa.BigInteger(), nullable=False),
        *([sa.Column('as_of', sa.Date(), nullable=False)] if spans else []),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.Column('measures', sa.LargeBinary(), nullable=False),
        sa.Column('reported', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint(*(['span', 'month'] if spans else ['month'])),
    )


def upgrade() -> None:
    op.drop_table('measure_snapshot')
    _snapshot_table(spans=True)


def downgrade() -> None:
    op.drop_table('measure_snapshot')
    _snapshot_table(spans=False)
