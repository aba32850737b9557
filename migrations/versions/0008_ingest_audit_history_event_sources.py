"""ingest audit, report history, event sources

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:00:00

Issue #12, "real data in": every accepted file leaves an audit row; a corrected monthly value keeps the
value it replaced; an event sent by another system carries that system's name and id, so a re-sent
event is recognised (unique per table) and a changed one updates its row.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENT_TABLES = ('visit', 'admission', 'referral', 'emergency_dispatch', 'remote_read', 'rx_review', 'lab_test',
                'follow_up', 'drug_delivery', 'sinking_deployment', 'fd_contract')


def upgrade() -> None:
    op.create_table(
        'ingest_audit',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('by', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=12), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('month', sa.Date(), nullable=True),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('inserted', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('unchanged', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_ingest_audit')),
    )
    op.create_index(op.f('ix_ingest_audit_sha256'), 'ingest_audit', ['sha256'], unique=False)
    op.create_table(
        'report_history',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=False),
        sa.Column('facility_id', sa.Integer(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('item', sa.String(length=40), nullable=False),
        sa.Column('field', sa.String(length=16), nullable=False),
        sa.Column('value', sa.Double(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['audit_id'], ['ingest_audit.id'], name=op.f('fk_report_history_audit_id_ingest_audit')),
        sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_report_history_facility_id_facility')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_history')),
    )
    op.create_index(op.f('ix_report_history_audit_id'), 'report_history', ['audit_id'], unique=False)
    for table in EVENT_TABLES:
        op.add_column(table, sa.Column('source_system', sa.String(length=32), nullable=True))
        op.add_column(table, sa.Column('source_id', sa.String(length=64), nullable=True))
        op.create_index(f'uq_{table}_source', table, ['source_system', 'source_id'], unique=True,
                        sqlite_where=sa.text('source_system IS NOT NULL'),
                        postgresql_where=sa.text('source_system IS NOT NULL'))


def downgrade() -> None:
    for table in EVENT_TABLES:
        op.drop_index(f'uq_{table}_source', table_name=table)
        op.drop_column(table, 'source_id')
        op.drop_column(table, 'source_system')
    op.drop_index(op.f('ix_report_history_audit_id'), table_name='report_history')
    op.drop_table('report_history')
    op.drop_index(op.f('ix_ingest_audit_sha256'), table_name='ingest_audit')
    op.drop_table('ingest_audit')
