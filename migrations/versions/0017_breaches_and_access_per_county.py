"""rule breaches belong to a county; users and wall tokens may be confined to one

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01 10:30:00

Issue #15 item 5: with several counties in one store, each county's rules are judged on its own figures,
so alert_breach gains county_id (breaches found before belong to the store's first county, the only one
a store could hold then) and the rule topics name the county (``rule:CODE:NAME:PERIOD``; the kept
breaches and the outbox renamed in place, so none is sent twice). access_user and access_kiosk_token gain
a county_id that confines the user or the screen to one county (NULL: every county of the store); an
area or unit scope is a county's, so those given before are the first county's.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIRST_COUNTY = "(SELECT MIN(id) FROM county)"
FIRST_CODE = "(SELECT code FROM county WHERE id = (SELECT MIN(id) FROM county))"
BREACH_COLUMNS = ("id", "topic", "rule", "kind", "scope", "lines_zh", "lines_en", "first_seen", "last_seen",
                  "state", "state_at", "state_by", "note")
CONFINED = ("access_user", "access_kiosk_token")


def _breach_table(with_county: bool) -> None:
    """alert_breach as migration 0012 made it, with county_id when ``with_county``."""
    county = [sa.Column('county_id', sa.Integer(), nullable=False),
              sa.ForeignKeyConstraint(['county_id'], ['county.id'], name=op.f('fk_alert_breach_county_id_county'))] \
        if with_county else []
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
        *county,
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_breach')),
        sa.UniqueConstraint('topic', name=op.f('uq_alert_breach_topic')),
    )


def _breaches_sqlite(with_county: bool) -> None:
    """SQLite adds a NOT NULL key by rebuilding the table. The steps that point at the breaches are checked
    at commit (defer_foreign_keys), when their rows are back under the same ids; the driver opens no
    transaction before DDL and the pragma lasts one transaction, so it is opened here first (as in 0016)."""
    if not op.get_bind().connection.dbapi_connection.in_transaction:
        op.execute("BEGIN")
    op.execute("PRAGMA defer_foreign_keys=ON")
    op.execute("CREATE TEMP TABLE alert_breach_kept AS SELECT * FROM alert_breach")
    if not with_county:
        op.drop_index(op.f('ix_alert_breach_county_id'), table_name='alert_breach')
    op.drop_table('alert_breach')
    _breach_table(with_county)
    columns = ", ".join(BREACH_COLUMNS)
    county = (", county_id", f", {FIRST_COUNTY}") if with_county else ("", "")
    op.execute(f"INSERT INTO alert_breach ({columns}{county[0]}) SELECT {columns}{county[1]} FROM alert_breach_kept")
    op.execute("DROP TABLE alert_breach_kept")


def _breaches_postgres(with_county: bool) -> None:
    if with_county:
        op.add_column('alert_breach', sa.Column('county_id', sa.Integer(), nullable=True))
        op.execute(f"UPDATE alert_breach SET county_id = {FIRST_COUNTY}")
        op.alter_column('alert_breach', 'county_id', nullable=False)
        op.create_foreign_key(op.f('fk_alert_breach_county_id_county'), 'alert_breach', 'county', ['county_id'],
                              ['id'])
    else:
        op.drop_index(op.f('ix_alert_breach_county_id'), table_name='alert_breach')
        op.drop_constraint(op.f('fk_alert_breach_county_id_county'), 'alert_breach', type_='foreignkey')
        op.drop_column('alert_breach', 'county_id')


def _rename_rule_topics(with_county: bool) -> None:
    """``rule:NAME:PERIOD`` ⇄ ``rule:CODE:NAME:PERIOD`` in the kept breaches and the outbox ("\\:" is a colon
    to SQLAlchemy's text(), not a bind parameter)."""
    for table in ("alert_breach", "alert_outbox"):
        if with_county:
            op.execute(f"UPDATE {table} SET topic = 'rule\\:' || {FIRST_CODE} || '\\:' || substr(topic, 6) "
                       "WHERE topic LIKE 'rule\\:%'")
        else:
            op.execute(f"UPDATE {table} SET topic = 'rule\\:' || substr(topic, 7 + length({FIRST_CODE})) "
                       "WHERE topic LIKE 'rule\\:%'")


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    (_breaches_sqlite if sqlite else _breaches_postgres)(with_county=True)
    op.create_index(op.f('ix_alert_breach_county_id'), 'alert_breach', ['county_id'], unique=False)
    _rename_rule_topics(with_county=True)
    for table in CONFINED:  # nothing points at these two: batch mode may rebuild them on SQLite
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('county_id', sa.Integer(), nullable=True))
            batch.create_foreign_key(op.f(f'fk_{table}_county_id_county'), 'county', ['county_id'], ['id'])
    op.execute(f"UPDATE access_user SET county_id = {FIRST_COUNTY} WHERE area_code IS NOT NULL OR unit_code IS NOT NULL")
    op.execute(f"UPDATE access_kiosk_token SET county_id = {FIRST_COUNTY} WHERE area_code IS NOT NULL")


def downgrade() -> None:
    for table in CONFINED:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f'fk_{table}_county_id_county'), type_='foreignkey')
            batch.drop_column('county_id')
    _rename_rule_topics(with_county=False)
    sqlite = op.get_bind().dialect.name == "sqlite"
    (_breaches_sqlite if sqlite else _breaches_postgres)(with_county=False)
