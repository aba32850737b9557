"""fair rankings: dimensions a ranked unit covers, stretch bands beyond the target

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# Issue #11 item 9 (lib.scoring.weights). Versions stored before this revision keep the rules they were
# published under: min_dimensions 1 (no dimension rule) and no stretch band, so their months recompute
# exactly. Adding columns fires no UPDATE trigger, so the insert-only tables (0003) stay as they are.

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('score_weights', sa.Column('min_dimensions', sa.Integer(), server_default='1', nullable=False))
    op.add_column('score_rule', sa.Column('stretch', sa.Double(), nullable=True))
    op.add_column('score_rule', sa.Column('at_target', sa.Double(), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite ≥ 3.35): a batch copy would drop the tables' insert-only triggers.
    op.drop_column('score_rule', 'at_target')
    op.drop_column('score_rule', 'stretch')
    op.drop_column('score_weights', 'min_dimensions')
