"""a kept month says the day it was computed as of, so the month still running can be kept too

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-01 13:00:00

Issue #14 item 1: the month running today is computed as of today (stocks, the roster and days served
to today), so its snapshot is valid only for that day as well as for its basis. ``as_of`` names that day;
a closed month's is its last day. Snapshots kept before have none and are computed again when next read.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('measure_snapshot', sa.Column('as_of', sa.Date(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM measure_snapshot")  # a running month's row would pass for its closed month
    with op.batch_alter_table('measure_snapshot') as batch:
        batch.drop_column('as_of')
