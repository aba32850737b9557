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


def test_published_months_and_sent_packs_before_0016_belong_to_the_first_county(store_url):
    """Migration 0016: a snapshot published before it is the store's first county's, found again as it was;
    a pack already sent keeps being sent once (its topic now names the county); and back down."""
    import datetime as dt

    from alembic import command

    from lib.scoring import snapshot
    from tests.fixtures import tiny

    tiny.build(store_url)
    month, now = dt.date(2026, 10, 1), dt.datetime(2026, 11, 20, 9)
    with db.engine(store_url).begin() as conn:
        snapshot.publish(conn, month, by="test", now=now)
    command.downgrade(schema._config(store_url), "0015")
    with db.engine(store_url).begin() as conn:
        conn.execute(sa.text("INSERT INTO alert_outbox (topic, channel, title, body, link, created_at, attempts, "
                             "next_try_at, last_error) VALUES ('pack:2026-10:v1', 'wecom', 't', 'b', '', :now, 0, "
                             ":now, '')"), {"now": now})
    schema.upgrade(store_url)
    with db.engine(store_url).connect() as conn:
        published = snapshot.load(conn, month, county="000001")
        topics = list(conn.execute(sa.text("SELECT topic FROM alert_outbox")).scalars())
    assert published is not None
    assert published.published.version == 1
    assert topics == ["pack:000001:2026-10:v1"]
    command.downgrade(schema._config(store_url), "0015")
    with db.engine(store_url).connect() as conn:
        assert list(conn.execute(sa.text("SELECT topic FROM alert_outbox")).scalars()) == ["pack:2026-10:v1"]


def test_breaches_kept_before_0017_are_the_first_countys_and_keep_their_topics(store_url):
    """Migration 0017: a breach kept (with a step of its work) and its message sent before it belong to the
    store's first county; both topics now name it, so the next check neither reopens nor resends it; and
    back down."""
    import datetime as dt

    from alembic import command

    from tests.fixtures import tiny

    tiny.build(store_url)
    now = {"now": dt.datetime(2026, 11, 5, 9)}
    command.downgrade(schema._config(store_url), "0016")
    with db.engine(store_url).begin() as conn:
        conn.execute(sa.text("INSERT INTO alert_breach (topic, rule, kind, scope, lines_zh, lines_en, first_seen, "
                             "last_seen, state, state_at, state_by, note) VALUES ('rule:数据中断:2026-11-05', "
                             "'数据中断', 'stale', 'county', 'z', 'e', :now, :now, 'acknowledged', :now, '王', '')"),
                     now)
        conn.execute(sa.text("INSERT INTO alert_breach_step (breach_id, state, at, by, note) "
                             "VALUES (1, 'acknowledged', :now, '王', '')"), now)
        conn.execute(sa.text("INSERT INTO alert_outbox (topic, channel, title, body, link, created_at, attempts, "
                             "next_try_at, last_error) VALUES ('rule:数据中断:2026-11-05', 'wecom', 't', 'b', '', "
                             ":now, 0, :now, '')"), now)
    schema.upgrade(store_url)
    with db.engine(store_url).connect() as conn:
        kept = conn.execute(sa.text("SELECT b.topic, c.code, b.state, s.state FROM alert_breach b "
                                    "JOIN county c ON c.id = b.county_id "
                                    "JOIN alert_breach_step s ON s.breach_id = b.id")).all()
        sent = list(conn.execute(sa.text("SELECT topic FROM alert_outbox")).scalars())
    assert [tuple(row) for row in kept] == [("rule:000001:数据中断:2026-11-05", "000001", "acknowledged",
                                             "acknowledged")]
    assert sent == ["rule:000001:数据中断:2026-11-05"]
    command.downgrade(schema._config(store_url), "0016")
    with db.engine(store_url).connect() as conn:
        assert list(conn.execute(sa.text("SELECT topic FROM alert_breach")).scalars()) == ["rule:数据中断:2026-11-05"]
        assert list(conn.execute(sa.text("SELECT topic FROM alert_outbox")).scalars()) == ["rule:数据中断:2026-11-05"]
