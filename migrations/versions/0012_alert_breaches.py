"""rule breaches kept and worked: first and last seen, acknowledged or closed with who, when and a note

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 00:00:00

Issue #17 item 5: a threshold rule's breach was only sent to the groups. Now each is kept, one row per
topic (rule and period, the outbox's topic), seen again by later checks (``last_seen``) until someone
acknowledges and closes it; every step is kept with who, when and a note (as ``alert_response`` keeps a
signal's).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'alert_breach',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=64), nullable=False),
        sa.Column('rule', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('scope', sa.String(length=64), nullable=False),
        sa.Column('lines_zh', sa.Text(), nullable=False),
        sa.Column('lines_en', sa.Text(), nullable=False),
        sa.Column('first_seen', sa.DateTime(), nullable=False),
        sa.Column('last_seen', sa.DateTime(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('state_at', sa.DateTime(), nullable=False),
        sa.Column('state_by', sa.String(length=64), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_breach')),
        sa.UniqueConstraint('topic', name=op.f('uq_alert_breach_topic')),
    )
    op.create_table(
        'alert_breach_step',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('breach_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('by', sa.String(length=64), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['breach_id'], ['alert_breach.id'],
                                name=op.f('fk_alert_breach_step_breach_id_alert_breach')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_breach_step')),
    )
    op.create_index(op.f('ix_alert_breach_step_breach_id'), 'alert_breach_step', ['breach_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_alert_breach_step_breach_id'), table_name='alert_breach_step')
    op.drop_table('alert_breach_step')
    op.drop_table('alert_breach')
