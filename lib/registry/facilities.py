"""The registry as pages read it: the county's own communities and areas, for filters and legends."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.store import db
from lib.store.models import Area, Community


def choices(conn: Connection) -> dict[str, pd.DataFrame]:
    """The county's own communities and areas (code, name_zh, name_en), in registry order, for filters."""
    return {
        "community": db.read_frame(conn, sa.select(Community.code, Community.name_zh, Community.name_en)
                                   .order_by(Community.id)),
        "area": db.read_frame(conn, sa.select(Area.code, Area.name_zh, Area.name_en).order_by(Area.id)),
    }
