"""Targets for a county, indicator and year, and the met / near / missed status of a value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from lib.kpi.period import Period
from lib.store import db
from lib.store.models import IndicatorTarget

Status = Literal["met", "near", "missed"]
DEFAULT_MARGIN = 0.05  # "near": within 5% of the target (relative), configurable per call


@dataclass(frozen=True)
class Target:
    value: float
    upper: float | None
    deadline: dt.date | None
    source: str


class TargetBook:
    """All target rows of one county, looked up most specific first: tier, then peer group, then general."""

    def __init__(self, conn: Connection, county_id: int) -> None:
        t = IndicatorTarget
        self.rows = db.read_frame(conn, sa.select(t.indicator_code, t.year, t.tier, t.peer_group, t.kind, t.value,
                                                  t.upper, t.baseline_year, t.annual, t.deadline, t.source)
                                  .where(t.county_id == county_id))
        self._index = {(r.indicator_code, r.year, r.tier, r.peer_group): r for r in self.rows.itertuples()}
        self._resolved: dict[tuple[str, Period, dt.date, str, str], Target | None] = {}

    def row(self, code: str, year: int, tier: str = "", peer_group: str = "") -> Any | None:
        for want_tier, want_group in ((tier, ""), ("", peer_group), ("", "")):
            hit = self._index.get((code, year, want_tier, want_group))
            if hit is not None:
                return hit
        return None

    def resolve(self, code: str, period: Period, today: dt.date, baseline: Callable[[int], float | None], *,
                tier: str = "", peer_group: str = "") -> Target | None:
        """The target that applies to this period; ``baseline(year)`` gives the indicator over a past year."""
        key = (code, period, today, tier, peer_group)
        if key in self._resolved:  # the same for every scope of a tier: a page asks thousands of times
            return self._resolved[key]
        row = self.row(code, period.last_month.year, tier, peer_group)
        if row is not None and row.kind == "baseline_delta":  # depends on the scope's own past: never kept
            return self._resolve(row, period, today, baseline)
        self._resolved[key] = None if row is None else self._resolve(row, period, today, baseline)
        return self._resolved[key]

    @staticmethod
    def _resolve(row: Any, period: Period, today: dt.date, baseline: Callable[[int], float | None]) -> Target | None:
        deadline = None if pd.isna(row.deadline) else pd.Timestamp(row.deadline).date()
        if row.kind == "elapsed_share":
            value: float | None = period.elapsed_share(today)
        elif row.kind == "baseline_delta":
            base = baseline(int(row.baseline_year))
            value = None if base is None else base + float(row.value)
        else:
            value = float(row.value)
            if row.annual:  # a per-year count: prorate to the months the period covers
                value = value * (period.months_elapsed(today) if period.kind == "ytd" else period.months) / 12
        if value is None:
            return None
        upper = None if pd.isna(row.upper) else float(row.upper)
        return Target(value, upper, deadline, str(row.source))


def status(value: float | None, target: Target | None, direction: str, margin: float = DEFAULT_MARGIN) -> Status | None:
    """met / near (within ``margin`` of the target, relative) / missed; None without value, target or direction."""
    if value is None or target is None or direction == "none":
        return None
    slack = abs(target.value) * margin
    if direction == "band":
        upper = target.upper if target.upper is not None else float("inf")
        if target.value <= value <= upper:
            return "met"
        return "near" if target.value - slack <= value <= upper + abs(upper) * margin else "missed"
    if direction in ("down", "on_track"):
        return "met" if value <= target.value else "near" if value <= target.value + slack else "missed"
    return "met" if value >= target.value else "near" if value >= target.value - slack else "missed"
