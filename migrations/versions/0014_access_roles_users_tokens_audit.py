"""access: roles with what each may do, users with scope and argon2 hash, kiosk tokens, the audit

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 03:00:00

Issue #16: who sees which units at unit level, who may publish or upload, which wall screens may open
the cockpit without a sign-in; every change kept with who, what and when. Independent of 0013's tables.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = [
    # code, name_zh, name_en, reach, may_publish, may_upload, may_admin, interactive
    ("leader", "领导", "Leader", "county", False, True, True, True),
    ("ops_centre", "运营中心", "Operations centre", "county", True, True, True, True),
    ("area_staff", "片区人员", "Area staff", "area", False, False, False, True),
    ("unit_staff", "单位人员", "Unit staff", "unit", False, False, False, True),
    ("data_clerk", "数据填报员", "Data clerk", "scoped", False, True, False, True),
    ("kiosk", "大屏", "Kiosk", "county", False, False, False, False),
]


def upgrade() -> None:
    role = op.create_table(
        'access_role',
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('name_zh', sa.String(length=32), nullable=False),
        sa.Column('name_en', sa.String(length=64), nullable=False),
        sa.Column('reach', sa.String(length=8), nullable=False),
        sa.Column('may_publish', sa.Boolean(), nullable=False),
        sa.Column('may_upload', sa.Boolean(), nullable=False),
        sa.Column('may_admin', sa.Boolean(), nullable=False),
        sa.Column('interactive', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('code', name=op.f('pk_access_role')),
    )
    op.bulk_insert(role, [dict(zip(("code", "name_zh", "name_en", "reach", "may_publish", "may_upload",
                                    "may_admin", "interactive"), r, strict=True)) for r in ROLES])
    op.create_table(
        'access_user',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('role', sa.String(length=16), nullable=False),
        sa.Column('area_code', sa.String(length=32), nullable=True),
        sa.Column('unit_code', sa.String(length=32), nullable=True),
        sa.Column('password_hash', sa.String(length=255), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('failed_since', sa.DateTime(), nullable=True),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['role'], ['access_role.code'], name=op.f('fk_access_user_role_access_role')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_user')),
        sa.UniqueConstraint('name', name=op.f('uq_access_user_name')),
    )
    op.create_index(op.f('ix_access_user_role'), 'access_user', ['role'], unique=False)
    op.create_table(
        'access_kiosk_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('label', sa.String(length=64), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('view', sa.String(length=255), nullable=False),
        sa.Column('area_code', sa.String(length=32), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_kiosk_token')),
        sa.UniqueConstraint('label', name=op.f('uq_access_kiosk_token_label')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_access_kiosk_token_token_hash')),
    )
    op.create_table(
        'access_audit',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('by', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('target', sa.String(length=64), nullable=False),
        sa.Column('detail', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_access_audit')),
    )
    op.create_index(op.f('ix_access_audit_at'), 'access_audit', ['at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_access_audit_at'), table_name='access_audit')
    op.drop_table('access_audit')
    op.drop_table('access_kiosk_token')
    op.drop_index(op.f('ix_access_user_role'), table_name='access_user')
    op.drop_table('access_user')
    op.drop_table('access_role')
