"""The registry as pages read it: the county's own communities and areas, for filters and legends."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.store import db
from lib.store.models import Area, Community


def choices(conn: Connection, county_id: int) -> dict[str, pd.DataFrame]:
    """County ``county_id``'s own communities and areas (code, name_zh, name_en), in registry order, for filters."""
    return {kind: db.read_frame(conn, sa.select(model.code, model.name_zh, model.name_en)
                                .where(model.county_id == county_id).order_by(model.id))
            for kind, model in (("community", Community), ("area", Area))}
