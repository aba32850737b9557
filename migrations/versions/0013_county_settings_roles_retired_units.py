"""any county: its settings, rural areas, unit roles, retired units, destinations per county, neutral tier names

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 03:00:00

Issue #15 items 1-3: a county's own settings (its word for itself, medicine, plan, rural areas, watched
disease groups, reporting deadline) are kept with it as JSON; an area says whether it counts as rural
(today's rule, "not coded urban", for the rows already loaded) and whether its people live far apart
(a herding area, "coded pastoral" for those rows); a unit has a role (member, auxiliary
hospital, non-member partner) and may be retired, keeping its history; destinations belong to a county,
so two counties can both name ``hohhot``. Tier names lose the reference county's words and a plain TCM
hospital tier is added.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# code: (old zh, new zh, old en, new en)
TIER_NAMES = {
    "county_hospital": ("旗县综合医院", "综合医院", "County general hospital", "General hospital"),
    "thc": ("苏木乡镇卫生院", "乡镇卫生院", "Township health centre", "Township health centre"),
    "village_clinic": ("嘎查村卫生室", "村卫生室", "Village clinic", "Village clinic"),
}
TCM_TIER = {"code": "tcm_hospital", "name_zh": "中医医院", "name_en": "TCM hospital", "level": "county",
            "peer_group": "county_hospital", "is_primary": False, "sort": 2}


SELF_WORDS = {"旗": "banner", "县": "county", "市": "city", "区": "district"}


def _settings_of_loaded_counties() -> None:
    # What the store itself tells of a county loaded before: its word from its name, its medicine from its
    # tiers, whether it has a border port. Loading its registry again adds what only the file says.
    bind = op.get_bind()
    for county_id, name in bind.execute(sa.text("SELECT id, name_zh FROM county")).all():
        word = name[-1] if name[-1:] in SELF_WORDS else "县"
        tiers = set(bind.execute(sa.text("SELECT DISTINCT tier_code FROM facility WHERE county_id = :c"),
                                 {"c": county_id}).scalars())
        port = bind.execute(sa.text("SELECT count(*) FROM facility WHERE county_id = :c AND is_border_port"),
                            {"c": county_id}).scalar_one()
        elderly = bind.execute(sa.text("SELECT code FROM area WHERE county_id = :c AND code = 'mountain_dry'"),
                               {"c": county_id}).scalar()  # the one elderly-care area a county had until now
        settings = {"self_zh": word, "self_en": SELF_WORDS.get(word, "county"), "has_border_port": bool(port),
                    "medicine": "mongolian_tcm" if "mongolian_tcm_hospital" in tiers else "tcm",
                    "elderly_care_area": elderly or ""}
        bind.execute(sa.text("UPDATE county SET settings = :s WHERE id = :c"),
                     {"s": json.dumps(settings, ensure_ascii=False), "c": county_id})


def _destination_columns(per_county: bool) -> list[sa.schema.SchemaItem]:
    key = [sa.Column('county_id', sa.Integer(), nullable=False)] if per_county else []
    retired = [sa.Column('retired_on', sa.Date(), nullable=True)] if per_county else []
    unique = ('county_id', 'code') if per_county else ('code',)
    return [
        sa.Column('id', sa.Integer(), nullable=False),
        *key,
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name_zh', sa.String(length=64), nullable=False),
        sa.Column('name_en', sa.String(length=128), nullable=False),
        sa.Column('latitude', sa.Double(), nullable=False),
        sa.Column('longitude', sa.Double(), nullable=False),
        *retired,
        *([sa.ForeignKeyConstraint(['county_id'], ['county.id'], name=op.f('fk_destination_county_id_county'))]
          if per_county else []),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_destination')),
        sa.UniqueConstraint(*unique, name=op.f('uq_destination_' + '_'.join(unique))),
    ]


def _rebuild_destination_sqlite(per_county: bool) -> None:
    # SQLite cannot change a table's UNIQUE constraint: the table is rebuilt. Admissions and referrals point
    # at it, so the foreign keys are deferred to the commit and the rows come back with their ids, which
    # settles every reference before it is checked.
    op.execute("PRAGMA defer_foreign_keys=ON")
    op.execute("CREATE TEMP TABLE destination_kept AS SELECT * FROM destination")
    if not per_county:
        op.drop_index(op.f('ix_destination_county_id'), table_name='destination')
    op.drop_table('destination')
    op.create_table('destination', *_destination_columns(per_county))
    county = "(SELECT min(id) FROM county), " if per_county else ""
    op.execute(f"INSERT INTO destination (id, {'county_id, ' if per_county else ''}code, name_zh, name_en, "
               f"latitude, longitude) SELECT id, {county}code, name_zh, name_en, latitude, longitude "
               "FROM destination_kept")
    op.execute("DROP TABLE destination_kept")


def _destinations_per_county_postgres() -> None:
    op.add_column('destination', sa.Column('county_id', sa.Integer(), nullable=True))
    op.add_column('destination', sa.Column('retired_on', sa.Date(), nullable=True))
    op.execute("UPDATE destination SET county_id = (SELECT min(id) FROM county)")
    op.alter_column('destination', 'county_id', nullable=False)
    op.create_foreign_key(op.f('fk_destination_county_id_county'), 'destination', 'county', ['county_id'], ['id'])
    op.drop_constraint(op.f('uq_destination_code'), 'destination', type_='unique')
    op.create_unique_constraint(op.f('uq_destination_county_id_code'), 'destination', ['county_id', 'code'])


def upgrade() -> None:
    op.add_column('county', sa.Column('settings', sa.Text(), server_default='{}', nullable=False))
    _settings_of_loaded_counties()
    op.add_column('area', sa.Column('rural', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.execute(sa.text("UPDATE area SET rural = :no WHERE code = 'urban'").bindparams(no=False))
    op.add_column('area', sa.Column('sparse', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(sa.text("UPDATE area SET sparse = :yes WHERE code = 'pastoral'").bindparams(yes=True))
    op.add_column('facility', sa.Column('role', sa.String(length=16), server_default='member', nullable=False))
    op.add_column('facility', sa.Column('retired_on', sa.Date(), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_destination_sqlite(per_county=True)
    else:
        _destinations_per_county_postgres()
    op.create_index(op.f('ix_destination_county_id'), 'destination', ['county_id'], unique=False)
    tier = sa.table("tier", sa.column("code", sa.String), sa.column("name_zh", sa.String),
                    sa.column("name_en", sa.String), sa.column("level", sa.String),
                    sa.column("peer_group", sa.String), sa.column("is_primary", sa.Boolean),
                    sa.column("sort", sa.Integer))
    for code, (_, zh, _, en) in TIER_NAMES.items():
        op.execute(tier.update().where(tier.c.code == code).values(name_zh=zh, name_en=en))
    op.execute(tier.update().where(tier.c.sort >= TCM_TIER["sort"]).values(sort=tier.c.sort + 1))
    op.bulk_insert(tier, [TCM_TIER])


def downgrade() -> None:
    tier = sa.table("tier", sa.column("code", sa.String), sa.column("name_zh", sa.String),
                    sa.column("name_en", sa.String), sa.column("sort", sa.Integer))
    op.execute(tier.delete().where(tier.c.code == TCM_TIER["code"]))
    op.execute(tier.update().where(tier.c.sort > TCM_TIER["sort"]).values(sort=tier.c.sort - 1))
    for code, (zh, _, en, _) in TIER_NAMES.items():
        op.execute(tier.update().where(tier.c.code == code).values(name_zh=zh, name_en=en))
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_destination_sqlite(per_county=False)
    else:
        op.drop_index(op.f('ix_destination_county_id'), table_name='destination')
        op.drop_constraint(op.f('uq_destination_county_id_code'), 'destination', type_='unique')
        op.drop_constraint(op.f('fk_destination_county_id_county'), 'destination', type_='foreignkey')
        op.drop_column('destination', 'retired_on')
        op.drop_column('destination', 'county_id')
        op.create_unique_constraint(op.f('uq_destination_code'), 'destination', ['code'])
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+): no rebuild of tables others point at.
    for table, column in (('facility', 'retired_on'), ('facility', 'role'), ('area', 'sparse'), ('area', 'rural'),
                          ('county', 'settings')):
        op.drop_column(table, column)
