"""The registry as pages read it: member units, the county's own communities and areas, counts."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import i18n
from lib.store import db
from lib.store.models import Area, Community, Facility, Tier


def facility_counts(conn: Connection, lang: str = i18n.DEFAULT_LANG) -> pd.DataFrame:
    """Facilities per tier and area, names in ``lang``; columns tier, area, facilities, in tier order.

    The database groups and counts, so the frame has one row per (tier, area) however large the
    registry grows.
    """
    en = i18n.normalize_lang(lang) == "en"
    tier_name = Tier.name_en if en else Tier.name_zh
    area_name = Area.name_en if en else Area.name_zh
    stmt = (
        sa.select(tier_name.label("tier"), area_name.label("area"), sa.func.count(Facility.id).label("facilities"))
        .join(Tier, Facility.tier_code == Tier.code)
        .join(Area, Facility.area_id == Area.id)
        .group_by(Tier.sort, Tier.code, tier_name, Area.code, Area.id, area_name)
        .order_by(Tier.sort, Area.code, Area.id)
    )
    return db.read_frame(conn, stmt)


def choices(conn: Connection) -> dict[str, pd.DataFrame]:
    """The county's own communities and areas (code, name_zh, name_en), in registry order, for filters."""
    return {
        "community": db.read_frame(conn, sa.select(Community.code, Community.name_zh, Community.name_en)
                                   .order_by(Community.id)),
        "area": db.read_frame(conn, sa.select(Area.code, Area.name_zh, Area.name_en).order_by(Area.id)),
    }
