"""Time of day, timestamps and table frames shared by the demo generator and the live feed.

A *frame* is a dict of equal-length numpy columns named like the table's columns. Timestamps are
``datetime64[s]`` (NaT = not happened yet), dates ``datetime64[D]``. ``sql_rows`` turns a frame into
tuples for ``lib.store.db.bulk_insert``; ``records`` into dicts for ``lib.events.record``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import numpy as np

Frame = dict[str, np.ndarray]

# Relative activity per hour of the day [E]: outpatient clinics peak mid-morning with a smaller
# afternoon peak and are quiet at night; emergencies are flatter with an evening rise; office work
# (reports, deliveries, referrals paperwork) happens 8:00-18:00.
OUTPATIENT_HOURS = np.array([0.2, 0.15, 0.1, 0.1, 0.1, 0.2, 0.5, 1.5, 5, 8, 8.5, 7,
                             3, 2.5, 5, 6, 5, 3, 1.5, 1, 0.8, 0.6, 0.4, 0.3])
EMERGENCY_HOURS = np.array([2, 1.6, 1.3, 1.1, 1, 1.1, 1.5, 2.2, 3, 3.4, 3.5, 3.4,
                            3.2, 3.1, 3.2, 3.3, 3.4, 3.6, 3.8, 3.8, 3.5, 3.1, 2.7, 2.3])
OFFICE_HOURS = np.array([0] * 8 + [3, 5, 5, 4, 1, 2, 4, 4, 3, 1.5] + [0] * 6, dtype=float)
ADMISSION_HOURS = OUTPATIENT_HOURS / OUTPATIENT_HOURS.sum() + EMERGENCY_HOURS / EMERGENCY_HOURS.sum()
WEEKEND_OUTPATIENT = 0.75  # [E] clinics open at weekends, with fewer patients

_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)
_SECOND = np.timedelta64(1, "s")


def weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6 for datetime64[D] values."""
    return (days.astype("datetime64[D]").astype(np.int64) + _EPOCH_WEEKDAY) % 7


def month_times(rng: np.random.Generator, n: int, first_day: np.datetime64, hours: np.ndarray,
                weekend: float = 1.0) -> np.ndarray:
    """``n`` sorted timestamps in the month starting ``first_day``, shaped by an hourly profile."""
    first = first_day.astype("datetime64[D]")
    days = np.arange(first, (first.astype("datetime64[M]") + 1).astype("datetime64[D]"))
    day_w = np.where(weekday(days) >= 5, weekend, 1.0)
    day = days[rng.choice(len(days), n, p=day_w / day_w.sum())]
    hour = rng.choice(24, n, p=hours / hours.sum())
    seconds = hour * 3600 + rng.integers(0, 3600, n)
    return np.sort(day.astype("datetime64[s]") + seconds * _SECOND)


def hour_weight(hours: np.ndarray, when: dt.datetime) -> float:
    """The profile's weight at ``when`` relative to its daily mean (1.0 = an average hour)."""
    return float(hours[when.hour] / hours.mean())


def after(base: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """``base`` plus a (float) number of minutes, to the second."""
    return base + np.round(minutes * 60).astype(np.int64) * _SECOND


def until(ts: np.ndarray, now: np.datetime64) -> np.ndarray:
    """Times that lie after ``now`` have not happened yet: NaT (the feed fills them in later)."""
    out = ts.copy()
    out[~(ts <= now)] = np.datetime64("NaT")
    return out


def lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: float, n: int) -> np.ndarray:
    return np.asarray(median) * rng.lognormal(0.0, sigma, n)


def money(x: np.ndarray) -> np.ndarray:
    """Yuan to the fen, as both stores will hold it (Numeric(14, 2))."""
    return np.round(x, 2)


def _sql_column(col: np.ndarray) -> list[Any]:
    if col.dtype.kind != "M":
        return col.tolist()
    unit = np.datetime_data(col.dtype)[0]
    if unit == "D":
        text = np.datetime_as_string(col)
    else:
        # SQLAlchemy's SQLite DateTime format ("YYYY-MM-DD HH:MM:SS.ffffff"), so raw rows compare
        # equal to rows written through the ORM; PostgreSQL's COPY parses the same text.
        text = np.datetime_as_string(col.astype("datetime64[us]")).astype("U26")
        chars = text.view(np.uint32).reshape(len(col), 26).copy()
        chars[:, 10] = ord(" ")
        text = chars.view("U26").ravel()
    out = text.astype(object)
    out[np.isnat(col)] = None
    return out.tolist()


def sql_rows(frame: Frame) -> Iterator[tuple[Any, ...]]:
    """Row tuples for ``lib.store.db.bulk_insert``, columns in the frame's order."""
    return zip(*(_sql_column(c) for c in frame.values()), strict=True)


def _py_column(col: np.ndarray) -> list[Any]:
    if col.dtype.kind == "M":
        unit = np.datetime_data(col.dtype)[0]
        return col.astype("datetime64[D]" if unit == "D" else "datetime64[us]").astype(object).tolist()
    return col.tolist()


def records(frame: Frame) -> list[dict[str, Any]]:
    """Row dicts of Python values for ``lib.events.record`` (NaT becomes None)."""
    names = list(frame)
    return [dict(zip(names, row, strict=True)) for row in zip(*(_py_column(c) for c in frame.values()), strict=True)]


def concat(frames: list[Frame]) -> Frame:
    """Stack frames with the same columns."""
    return {k: np.concatenate([f[k] for f in frames]) for k in frames[0]}


def take(frame: Frame, index: np.ndarray) -> Frame:
    return {k: v[index] for k, v in frame.items()}


def year_of(day: np.datetime64) -> int:
    return int(day.astype("datetime64[Y]").astype(int)) + 1970
