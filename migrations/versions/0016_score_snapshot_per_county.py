"""a published month belongs to one county: several counties in one store publish their own months

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 07:00:00

Issue #15 item 5: score_snapshot gains county_id, and a version is numbered per county and month
(unique county_id, month, version). Snapshots published before belong to the store's first county, the
only one a store could hold then. The table stays insert-only (migration 0003): its guard is lifted for
the back-fill and put back in the same transaction. The monthly packs already sent (alert_outbox topics
``pack:YYYY-MM:vN``) are renamed to the county's topic (``pack:CODE:YYYY-MM:vN``), so none is sent twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "insert-only: a published snapshot or weights version is never changed; publish a new version"
FIRST_COUNTY = "(SELECT MIN(id) FROM county)"


def _sqlite_guard(create: bool) -> None:
    for verb in ("UPDATE", "DELETE"):
        name = f"score_snapshot_no_{verb.lower()}"
        op.execute(f"CREATE TRIGGER {name} BEFORE {verb} ON score_snapshot "
                   f"BEGIN SELECT RAISE(ABORT, 'score_snapshot: {MESSAGE}'); END" if create else f"DROP TRIGGER {name}")


COLUMNS = ("id", "month", "version", "weights_id", "published_at", "published_by", "data_as_of", "note")


def _create(with_county: bool) -> None:
    """score_snapshot as migration 0003 made it, with county_id and its key when ``with_county``."""
    county = [sa.Column("county_id", sa.Integer(), nullable=False),
              sa.ForeignKeyConstraint(["county_id"], ["county.id"], name="fk_score_snapshot_county_id_county")] \
        if with_county else []
    key = ["county_id", "month", "version"] if with_county else ["month", "version"]
    op.create_table(
        "score_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("weights_id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=False),
        sa.Column("data_as_of", sa.DateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        *county,
        sa.ForeignKeyConstraint(["weights_id"], ["score_weights.id"], name="fk_score_snapshot_weights_id_score_weights"),
        sa.PrimaryKeyConstraint("id", name="pk_score_snapshot"),
        sa.UniqueConstraint(*key, name=f"uq_score_snapshot_{'_'.join(key)}"),
    )
    if with_county:
        op.create_index("ix_score_snapshot_county_id", "score_snapshot", ["county_id"])


def _rebuild_sqlite(with_county: bool) -> None:
    """SQLite changes a table's keys by rebuilding it. Its rows wait in a plain copy while the table is
    dropped and made again; the published units and items that point at them are checked at commit
    (defer_foreign_keys), when their snapshots are back under the same ids. The driver opens a transaction
    only before DML, and the pragma lasts only until the end of one: it is opened here first."""
    if not op.get_bind().connection.dbapi_connection.in_transaction:
        op.execute("BEGIN")
    op.execute("PRAGMA defer_foreign_keys=ON")
    _sqlite_guard(create=False)
    op.execute("CREATE TABLE score_snapshot_copy AS SELECT * FROM score_snapshot")
    op.drop_table("score_snapshot")
    _create(with_county)
    columns = ", ".join(COLUMNS)
    if with_county:
        op.execute(f"INSERT INTO score_snapshot ({columns}, county_id) SELECT {columns}, {FIRST_COUNTY} "
                   "FROM score_snapshot_copy")
    else:
        op.execute(f"INSERT INTO score_snapshot ({columns}) SELECT {columns} FROM score_snapshot_copy")
    op.drop_table("score_snapshot_copy")
    _sqlite_guard(create=True)


def _alter_postgres(with_county: bool) -> None:
    """PostgreSQL alters the table in place; its insert-only guard is lifted for the back-fill."""
    op.execute("ALTER TABLE score_snapshot DISABLE TRIGGER score_snapshot_insert_only")
    if with_county:
        op.add_column("score_snapshot", sa.Column("county_id", sa.Integer(), nullable=True))
        op.execute(f"UPDATE score_snapshot SET county_id = {FIRST_COUNTY}")
        op.alter_column("score_snapshot", "county_id", nullable=False)
        op.create_foreign_key("fk_score_snapshot_county_id_county", "score_snapshot", "county", ["county_id"], ["id"])
        op.create_index("ix_score_snapshot_county_id", "score_snapshot", ["county_id"])
        op.drop_constraint("uq_score_snapshot_month_version", "score_snapshot", type_="unique")
        op.create_unique_constraint("uq_score_snapshot_county_id_month_version", "score_snapshot",
                                    ["county_id", "month", "version"])
    else:
        op.drop_constraint("uq_score_snapshot_county_id_month_version", "score_snapshot", type_="unique")
        op.create_unique_constraint("uq_score_snapshot_month_version", "score_snapshot", ["month", "version"])
        op.drop_index("ix_score_snapshot_county_id", "score_snapshot")
        op.drop_constraint("fk_score_snapshot_county_id_county", "score_snapshot", type_="foreignkey")
        op.drop_column("score_snapshot", "county_id")
    op.execute("ALTER TABLE score_snapshot ENABLE TRIGGER score_snapshot_insert_only")


def _scope(with_county: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        _alter_postgres(with_county)
    else:
        _rebuild_sqlite(with_county)


FIRST_CODE = "(SELECT code FROM county WHERE id = (SELECT MIN(id) FROM county))"


def upgrade() -> None:
    _scope(with_county=True)
    # "\\:" is a colon to SQLAlchemy's text(), not the start of a bind parameter
    op.execute(f"UPDATE alert_outbox SET topic = 'pack\\:' || {FIRST_CODE} || '\\:' || substr(topic, 6) "
               "WHERE topic LIKE 'pack\\:____-__\\:v%'")


def downgrade() -> None:
    op.execute("UPDATE alert_outbox SET topic = 'pack\\:' || substr(topic, 7 + length(" + FIRST_CODE + ")) "
               "WHERE topic LIKE 'pack\\:%\\:____-__\\:v%'")
    _scope(with_county=False)
