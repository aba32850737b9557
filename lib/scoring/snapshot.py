"""Published months: frozen, versioned snapshots of a month's scores (issue 6 §3).

``publish`` stores the draft as version n + 1 of its month with who, when, the weights version and the
data's date (the latest monthly report received). Nothing is edited in place: the snapshot tables are
insert-only (migration 0003 adds triggers that refuse UPDATE and DELETE), so late data can only make a
new version, and ``diff`` shows what changed between two. Publishing what is already published (same
weights, same numbers) adds nothing. What is derived from the stored numbers (rank intervals, why a
unit is unranked: lib.scoring.score.derive) is recomputed on reading, identically, with a fixed seed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib import clock
from lib.kpi.period import first_of_month
from lib.scoring import score, weights
from lib.scoring.score import ITEM_COLUMNS, UNIT_COLUMNS, Published, Scores
from lib.store import counties, db
from lib.store.models import ScoreSnapshot, ScoreSnapshotItem, ScoreSnapshotUnit

SAME_DIGITS = 6  # two versions are the same when every number agrees to this many decimals


class PublishError(ValueError):
    """A month that cannot be published (still running)."""


@dataclass(frozen=True)
class Outcome:
    """What ``publish`` did: the version now latest for the month, and whether it is new."""

    version: int
    created: bool


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows for an INSERT: pandas' NA/NaN/NaT become NULL, numpy scalars plain Python."""
    out = frame.astype(object).where(frame.notna(), None)
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in out.to_dict("records")]


def versions(conn: Connection, month: dt.date, county: str | None = None) -> list[Published]:
    """The month's published versions of county ``county`` (None: the store's first), oldest first."""
    s = ScoreSnapshot
    rows = conn.execute(sa.select(s.version, s.published_at, s.published_by, s.data_as_of, s.note)
                        .where(s.county_id == counties.resolve(conn, county).id, s.month == month)
                        .order_by(s.version)).all()
    return [Published(*r) for r in rows]


def published_months(conn: Connection, county: str | None = None) -> list[dt.date]:
    """Months of county ``county`` (None: the store's first) with at least one published version, newest first."""
    s = ScoreSnapshot
    rows = conn.execute(sa.select(s.month).distinct().where(s.county_id == counties.resolve(conn, county).id)
                        .order_by(s.month.desc())).scalars()
    return [pd.Timestamp(m).date() for m in rows]


def load(conn: Connection, month: dt.date, version: int | None = None, county: str | None = None) -> Scores | None:
    """A published version of the month of county ``county`` (None: the store's first; the latest version by
    default), as the same Scores a draft is."""
    s = ScoreSnapshot
    place = counties.resolve(conn, county)
    where = sa.and_(s.county_id == place.id, s.month == month)
    if version is not None:
        where = sa.and_(where, s.version == version)
    head = conn.execute(sa.select(s).where(where).order_by(s.version.desc()).limit(1)).first()
    if head is None:
        return None
    u, i = ScoreSnapshotUnit, ScoreSnapshotItem
    units = db.read_frame(conn, sa.select(*(getattr(u, c) for c in UNIT_COLUMNS)).where(u.snapshot_id == head.id))
    items = db.read_frame(conn, sa.select(*(getattr(i, c) for c in ITEM_COLUMNS)).where(i.snapshot_id == head.id))
    units = units.astype({"rank": "Int64", "previous_rank": "Int64"})
    units["report_received_at"] = pd.to_datetime(units["report_received_at"])
    used = weights.load(conn, head.weights_id)
    items, names = score.order_items(items), score.indicators(conn, used.codes)
    return Scores(month=month, weights=used, units=score.derive(score.order(units), items, used, names), items=items,
                  indicators=names, county_zh=place.name_zh, county_en=place.name_en,
                  computed_at=head.published_at, data_as_of=head.data_as_of,
                  published=Published(head.version, head.published_at, head.published_by, head.data_as_of, head.note))


def same(a: Scores, b: Scores) -> bool:
    """True when two scorings of a month hold the same weights and numbers (what publishing compares)."""
    if a.weights.version != b.weights.version:
        return False
    return _canon(a.units, "facility_code").equals(_canon(b.units, "facility_code")) and \
        _canon(a.items, "facility_code", "indicator_code").equals(_canon(b.items, "facility_code", "indicator_code"))


def _canon(frame: pd.DataFrame, *key: str) -> pd.DataFrame:
    out = frame.sort_values(list(key))
    numbers = out.select_dtypes("number").columns
    out[numbers] = out[numbers].astype(float).round(SAME_DIGITS)
    for column in out.select_dtypes("datetime").columns:
        out[column] = out[column].astype(str)
    return out.astype(object).where(out.notna(), None).reset_index(drop=True)


def publish(conn: Connection, month: dt.date, *, by: str, county: str | None = None, now: dt.datetime | None = None,
            note: str = "") -> Outcome:
    """Freeze the month's draft of county ``county`` (None: the store's first) as its next version (storing the
    default weights first if none are)."""
    now = now or clock.now()
    if month >= first_of_month(now.date()):
        raise PublishError(f"{month:%Y-%m} is not over yet: a month is published after its last day")
    stored = weights.ensure_stored(conn, by=by)
    place = counties.resolve(conn, county)
    draft = score.draft(conn, month, county=place.code, weights=stored, now=now)
    latest = load(conn, month, county=place.code)
    if latest is not None and same(latest, draft):
        return Outcome(latest.published.version, created=False)  # type: ignore[union-attr]
    version = 1 if latest is None else latest.published.version + 1  # type: ignore[union-attr]
    snapshot_id = conn.execute(sa.insert(ScoreSnapshot).values(
        county_id=place.id, month=month, version=version, weights_id=stored.version, published_at=now, published_by=by,
        data_as_of=draft.data_as_of, note=note).returning(ScoreSnapshot.id)).scalar_one()
    conn.execute(sa.insert(ScoreSnapshotUnit), [{"snapshot_id": snapshot_id, **r}
                                                for r in _records(draft.units[list(UNIT_COLUMNS)])])
    conn.execute(sa.insert(ScoreSnapshotItem), [{"snapshot_id": snapshot_id, **r} for r in _records(draft.items)])
    return Outcome(version, created=True)


def diff(old: Scores, new: Scores) -> pd.DataFrame:
    """Units whose total or rank differs between two scorings of a month, with what moved them.

    Columns: facility_code, peer_group, old_total, new_total, old_rank, new_rank, indicators (codes whose
    points changed). The "visible difference" between a published version and its successor or the draft.
    """
    cols = ["facility_code", "peer_group", "total", "rank"]
    both = old.units[cols].merge(new.units[cols], on=["facility_code", "peer_group"], how="outer",
                                 suffixes=("_old", "_new"))
    total_moved = ~np.isclose(both["total_old"].astype(float), both["total_new"].astype(float), atol=1e-6,
                              equal_nan=True)
    rank_moved = both["rank_old"].astype("Float64").fillna(-1) != both["rank_new"].astype("Float64").fillna(-1)
    changed = both[total_moved | rank_moved.to_numpy(dtype=bool)].copy()
    key = ["facility_code", "indicator_code"]
    items = old.items[[*key, "points"]].merge(new.items[[*key, "points"]], on=key, how="outer")
    moved = items[~np.isclose(items["points_x"].astype(float), items["points_y"].astype(float), atol=1e-6,
                              equal_nan=True)]
    which = moved.groupby("facility_code")["indicator_code"].agg(lambda s: ",".join(sorted(s)))
    changed["indicators"] = changed["facility_code"].map(which).fillna("")
    return changed.rename(columns={"total_old": "old_total", "total_new": "new_total", "rank_old": "old_rank",
                                   "rank_new": "new_rank"}).reset_index(drop=True)
