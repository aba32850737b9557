"""Where a headline indicator is heading: at the last 12 months' trend, when does it reach its target,
and what monthly gain would reach it by the deadline (e.g. 基层首诊率 65% by end-2027, 000 主要目标)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lib.kpi.period import add_months

MIN_POINTS = 6  # fewer monthly values than this make no trend worth stating


@dataclass(frozen=True)
class Trajectory:
    slope_per_month: float  # fitted change per month (indicator units)
    reached_by: dt.date | None  # month the trend line meets the target; None if it never does
    already_met: bool
    needed_per_month: float | None  # gain per month from the latest value to the target by the deadline
    months_left: int | None
    on_course: bool | None  # will the trend reach the target by the deadline?


def trajectory(months: Sequence[dt.date], values: Sequence[float | None], target: float, direction: str,
               deadline: dt.date | None, horizon_months: int = 120) -> Trajectory | None:
    """Fit a straight line to the monthly values (least squares) and read it against the target."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(points) < MIN_POINTS or direction not in ("up", "down"):
        return None
    x, y = np.array([p[0] for p in points], dtype=float), np.array([p[1] for p in points], dtype=float)
    slope, intercept = np.polyfit(x, y, 1)
    sign = 1 if direction == "up" else -1
    latest_i, latest = points[-1]
    met = sign * (latest - target) >= 0
    reached = None
    if met:
        reached = months[latest_i]
    elif sign * slope > 0:
        # Months after the latest point until the fitted line crosses the target.
        ahead = int(np.ceil((target - intercept) / slope - latest_i))
        if ahead <= horizon_months:
            reached = add_months(months[latest_i], max(ahead, 1))
    months_left = needed = on_course = None
    if deadline is not None:
        months_left = (deadline.year - months[latest_i].year) * 12 + deadline.month - months[latest_i].month
        if months_left > 0 and not met:
            needed = (target - latest) / months_left
        on_course = met or (reached is not None and reached <= deadline)
    return Trajectory(float(slope), reached, met, needed, months_left, on_course)
