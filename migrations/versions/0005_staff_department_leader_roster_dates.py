"""staff: department, leader flag and roster dates

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 13:25:00

Who owes days at the grassroots (000 §二(六)1: intermediate+ clinical front-line doctors, not hospital
leaders nor imaging, ultrasound or laboratory) and the roster of a past period (GPs per 10,000 of that
period, issue #11) need to know a doctor's department, whether a leader, and when on the roster.
Existing rows: department unknown, not a leader, on the roster since before any period.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD/DROP COLUMN (SQLite ≥ 3.35 has both): a batch copy of the table would trip the foreign keys
# of the stints that point at it.
def upgrade() -> None:
    op.add_column('staff', sa.Column('department', sa.String(length=16), nullable=True))
    op.add_column('staff', sa.Column('is_leader', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column('staff', sa.Column('start_date', sa.Date(), nullable=True))
    op.add_column('staff', sa.Column('end_date', sa.Date(), nullable=True))


def downgrade() -> None:
    for column in ('end_date', 'start_date', 'is_leader', 'department'):
        op.drop_column('staff', column)
