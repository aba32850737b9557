"""visit syndromes, alert signals and outbox

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 09:00:00

Issue #17, early warning: a visit carries the syndrome group of its diagnosis (NULL when none is
watched); a signal records a township's syndrome above its threshold and the response to it; the
outbox keeps each message owed to a channel until the endpoint takes it; each step of the
response to a signal (verifying, confirmed, dismissed) is kept with who, when and a note.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('visit', sa.Column('syndrome', sa.String(length=16), nullable=True))
    op.create_table(
        'alert_signal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('facility_id', sa.Integer(), nullable=False),
        sa.Column('syndrome', sa.String(length=16), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('count', sa.Double(), nullable=False),
        sa.Column('expected', sa.Double(), nullable=False),
        sa.Column('threshold', sa.Double(), nullable=False),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('raised_at', sa.DateTime(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('state_at', sa.DateTime(), nullable=False),
        sa.Column('state_by', sa.String(length=64), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_alert_signal_facility_id_facility')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_signal')),
        sa.UniqueConstraint('facility_id', 'syndrome', 'day', name=op.f('uq_alert_signal_facility_id_syndrome_day')),
    )
    op.create_index(op.f('ix_alert_signal_day'), 'alert_signal', ['day'], unique=False)
    op.create_table(
        'alert_response',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('signal_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=12), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('by', sa.String(length=64), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['signal_id'], ['alert_signal.id'], name=op.f('fk_alert_response_signal_id_alert_signal')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_response')),
    )
    op.create_index(op.f('ix_alert_response_signal_id'), 'alert_response', ['signal_id'], unique=False)
    op.create_table(
        'alert_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=64), nullable=False),
        sa.Column('title', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('link', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_try_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_outbox')),
        sa.UniqueConstraint('topic', 'channel', name=op.f('uq_alert_outbox_topic_channel')),
    )
    op.create_index(op.f('ix_alert_outbox_next_try_at'), 'alert_outbox', ['next_try_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_alert_outbox_next_try_at'), table_name='alert_outbox')
    op.drop_table('alert_outbox')
    op.drop_index(op.f('ix_alert_response_signal_id'), table_name='alert_response')
    op.drop_table('alert_response')
    op.drop_index(op.f('ix_alert_signal_day'), table_name='alert_signal')
    op.drop_table('alert_signal')
    op.drop_column('visit', 'syndrome')
