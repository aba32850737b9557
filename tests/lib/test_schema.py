import sqlalchemy as sa

from lib.store import db, schema
from lib.store.models import Base


def test_upgrade_from_empty_builds_every_table(store_url):
    with db.engine(store_url).connect() as conn:
        tables = set(sa.inspect(conn).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert schema.is_current(store_url)


def test_tiers_are_seeded_with_peer_groups(store_url):
    with db.engine(store_url).connect() as conn:
        rows = dict(conn.execute(sa.text("SELECT code, peer_group FROM tier")).all())
    assert rows["village_clinic"] == "village_clinic"
    assert rows["sub_centre_thc"] == rows["thc"] == "thc"
    assert rows["mongolian_tcm_hospital"] == "county_hospital"


def test_no_identifying_columns_anywhere():
    forbidden = {"name", "patient_name", "id_number", "id_card", "phone", "mobile", "address", "national_id"}
    person_tables = {"visit", "admission", "referral", "follow_up", "fd_contract", "staff"}
    for table in person_tables:
        assert not forbidden & set(Base.metadata.tables[table].columns.keys()), table


def test_models_and_migrations_agree(store_url):
    """What lib/models.py declares is exactly what the migrations build (alembic check)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with db.engine(store_url).connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []
