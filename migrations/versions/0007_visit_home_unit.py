"""visit home unit, indicator basis

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 09:00:00

Issue #11 item 7, "areas are their residents": a resident-based rate counts an area's residents wherever
they were treated, so a visit carries the resident's registered unit (NULL for non-residents and visits
recorded before this revision), and the catalogue says of each indicator whether it is resident- or
provider-based (filled by the catalogue sync at start).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD/DROP COLUMN (SQLite ≥ 3.35 has both), the foreign key written inline: a batch copy of the
# table would trip the foreign keys that point at it.
def upgrade() -> None:
    op.add_column('visit', sa.Column('home_facility_id', sa.Integer(), sa.ForeignKey('facility.id'), nullable=True),
                  inline_references=True)
    op.add_column('indicator', sa.Column('basis', sa.String(length=10), server_default='', nullable=False))


def downgrade() -> None:
    op.drop_column('indicator', 'basis')
    op.drop_column('visit', 'home_facility_id')
