"""Syndromic signals per township: daily visit counts by syndrome from the rollups, judged, raised once.

A township is a THC with its village clinics (a county-level unit stands for itself). The counts read are
bounded by the methods' windows (the last weeks, and the same weeks of the past ``years``), never the
whole history, so a check costs the same in the tenth year as in the first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.alerts import detect, signals
from lib.alerts.config import Settings
from lib.kpi import measures
from lib.store import db
from lib.store.models import AlertSignal, DailyRollup

METRIC = "visits_syndrome"
RECENT_DAYS = 16  # EARS C3 on day t reads back to t−13 (C2's baseline of t−2); a little more for safety


@dataclass(frozen=True)
class Finding:
    """A township and syndrome whose count on ``day`` is above its threshold."""

    facility_id: int  # the township's THC (or the county-level unit)
    syndrome: str
    detection: detect.Detection


def township_of(units: pd.DataFrame) -> pd.Series:
    """Each unit's township: a village clinic's parent THC, every other unit itself."""
    parent = units["parent_id"].where(units["level"] == "village")
    return parent.fillna(pd.Series(units.index, index=units.index)).astype(int)


def _windows(day: dt.date, years: int, k: int, window: int) -> list[tuple[dt.date, dt.date]]:
    spans = [(day - dt.timedelta(days=RECENT_DAYS), day)]
    for year in range(1, years + 1):
        anchor = detect.year_back(day, year)
        spans.append((anchor - dt.timedelta(days=7 * k + window - 1), anchor + dt.timedelta(days=7 * k)))
    return spans


def counts(conn: Connection, day: dt.date, settings: Settings) -> pd.DataFrame:
    """(township, syndrome, day, count) over the windows the methods read, from the daily rollups."""
    longest = max((s.method for s in settings.syndromes), key=lambda m: (m.years, m.k, m.window))
    r = DailyRollup
    spans = _windows(day, longest.years, longest.k, longest.window)
    rows = db.read_frame(conn, sa.select(r.facility_id, r.dim.label("syndrome"), r.day, sa.func.sum(r.value)
                                         .label("count"))
                         .where(r.metric == METRIC, sa.or_(*(r.day.between(a, b) for a, b in spans)))
                         .group_by(r.facility_id, r.dim, r.day))
    units = measures.facilities(conn)
    rows["township"] = rows["facility_id"].map(township_of(units))
    rows["day"] = pd.to_datetime(rows["day"])
    return rows.groupby(["township", "syndrome", "day"], as_index=False)["count"].sum()


def evaluate(conn: Connection, day: dt.date, settings: Settings) -> list[Finding]:
    """Every township and watched syndrome above its threshold on ``day`` (today's count so far included)."""
    found = counts(conn, day, settings)
    units = measures.facilities(conn)
    townships = sorted(set(township_of(units)))
    first_data = found["day"].min() if not found.empty else pd.Timestamp(day)
    index = pd.date_range(min(first_data, pd.Timestamp(day) - pd.Timedelta(days=RECENT_DAYS)), day, freq="D")
    findings = []
    for syndrome in settings.syndromes:
        mine = found[found["syndrome"] == syndrome.code]
        by_township = {t: g.set_index("day")["count"] for t, g in mine.groupby("township")}
        for township in townships:
            series = by_township.get(township, pd.Series(dtype=float)).reindex(index, fill_value=0.0)
            verdict = detect.judge(series, day, syndrome.method, settings.ears_method, settings.min_sigma)
            if verdict is not None and verdict.signal:
                findings.append(Finding(int(township), syndrome.code, verdict))
    return findings


def raise_signals(conn: Connection, findings: list[Finding], settings: Settings, now: dt.datetime) -> list[int]:
    """Record each finding as a signal unless the township and syndrome already have an open one raised in
    the last ``renotify_days`` (one outbreak, one signal); returns the new signals' ids."""
    ids = []
    for f in findings:
        since = f.detection.day - dt.timedelta(days=settings.renotify_days)
        s = AlertSignal
        recent = conn.execute(sa.select(s.id).where(s.facility_id == f.facility_id, s.syndrome == f.syndrome,
                                                    s.day > since, s.state.in_(signals.OPEN)).limit(1)).first()
        if recent is not None:
            continue
        d = f.detection
        ids.append(conn.execute(sa.insert(s).returning(s.id), {
            "facility_id": f.facility_id, "syndrome": f.syndrome, "day": d.day, "count": d.count,
            "expected": d.expected, "threshold": d.threshold, "method": d.method, "raised_at": now,
            "state": "new", "state_at": now, "state_by": "", "note": ""}).scalar_one())
    return ids
