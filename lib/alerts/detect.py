"""Aberration detection on daily counts of one township and syndrome: the two published methods.

- CIDARS moving-percentile method (移动百分位数法), China's national automated early-warning system: the
  count of the last ``window`` days against the same ``window``-day sums in past years, ending on the same
  calendar day and ``k`` weeks either side; a signal when the current sum exceeds the ``percentile`` of
  those blocks and reaches ``min_count``. Yang W et al., WPSAR 2011;2(1):10-15 (doi:10.5365/wpsar.2010.1.1.009);
  张洪龙等, 疾病监测 2018;33(2):159-167; P80/P90 found optimal per disease by Zhang HL et al., 中华预防医学杂志
  2014;48(4):265-269. The exact national baseline is not published: window, years, k and the percentile
  are settings (defaults 7 days, 3 years, k = 2, P80; numpy's linear quantile).
- US CDC EARS C1, C2, C3 for townships whose history is too short for the percentile: the day's count
  against the mean and standard deviation of the 7 days before it (C1), of days t−9…t−3 (C2, a 2-day
  guard band), and C3 built on the C2 statistics of the two previous days, ported from R
  ``surveillance::earsC`` (Fricker, Hegler & Dunfee, Stat Med 2008;27:3407-3429). ``min_sigma`` floors
  the standard deviation, as Burkom suggests for sparse counts (earsC's ``minSigma``).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

import numpy as np
import pandas as pd

EARS_ALPHA = {"C1": 0.001, "C2": 0.001, "C3": 0.025}  # earsC's defaults: z ≈ 3.09 (C1, C2), ≈ 1.96 (C3)
EARS_BASELINE = 7


@dataclass(frozen=True)
class Detection:
    """One method's verdict on one day: the count it judged, what it expected, the threshold, a signal or not."""

    method: str  # mpm | C1 | C2 | C3
    day: dt.date
    count: float
    expected: float
    threshold: float
    signal: bool


@dataclass(frozen=True)
class MovingPercentile:
    """CIDARS's settings for one syndrome (see the module docstring)."""

    window: int = 7
    years: int = 3
    k: int = 2
    percentile: float = 0.80
    min_count: int = 3
    min_blocks: int = 10  # fewer past blocks than this: history too thin, EARS judges instead


def _sum_ending(counts: pd.Series, day: dt.date, window: int) -> float | None:
    """The ``window``-day sum ending on ``day``; None when any of those days is outside the series."""
    start = day - dt.timedelta(days=window - 1)
    if pd.Timestamp(start) < counts.index[0] or pd.Timestamp(day) > counts.index[-1]:
        return None
    return float(counts.loc[pd.Timestamp(start):pd.Timestamp(day)].sum())


def year_back(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def moving_percentile(counts: pd.Series, day: dt.date, settings: MovingPercentile = MovingPercentile()
                      ) -> Detection | None:
    """CIDARS's verdict on ``day`` from ``counts`` (daily, indexed by date, gaps as 0); None if too little history."""
    counts = _daily(counts)
    current = _sum_ending(counts, day, settings.window)
    if current is None:
        return None
    blocks = []
    for year in range(1, settings.years + 1):
        anchor = year_back(day, year)
        for j in range(-settings.k, settings.k + 1):
            block = _sum_ending(counts, anchor + dt.timedelta(days=7 * j), settings.window)
            if block is not None:
                blocks.append(block)
    if len(blocks) < settings.min_blocks:
        return None
    threshold = float(np.quantile(blocks, settings.percentile, method="linear"))
    expected = float(np.median(blocks))
    return Detection("mpm", day, current, expected, threshold,
                     current > threshold and current >= settings.min_count)


def ears(counts: pd.Series, day: dt.date, method: str = "C2", *, min_sigma: float = 0.5,
         alpha: float | None = None) -> Detection | None:
    """EARS ``method`` (C1, C2 or C3) on ``day``; None when the series does not reach back far enough."""
    counts = _daily(counts)
    z = statistics.NormalDist().inv_cdf(1 - (alpha if alpha is not None else EARS_ALPHA[method]))
    values = counts.to_numpy(dtype=float)
    t = counts.index.get_indexer([pd.Timestamp(day)])[0]
    if t < 0:
        return None
    if method in ("C1", "C2"):
        stats = _baseline(values, t, method, min_sigma)
        if stats is None:
            return None
        mean, sigma = stats
        bound = mean + z * sigma
        return Detection(method, day, values[t], mean, bound, bool(values[t] > bound))
    parts = []
    for lag in (2, 1):  # earsC's C3: the C2 statistics of the two days before, above 1
        stats = _baseline(values, t - lag, "C2", min_sigma)
        if stats is None:
            return None
        mean, sigma = stats
        parts.append(max(0.0, (values[t - lag] - mean) / sigma - 1))
    stats = _baseline(values, t, "C2", min_sigma)
    if stats is None:
        return None
    mean, sigma = stats
    bound = max(0.0, values[t] + sigma * (z - sum(parts)))
    return Detection(method, day, values[t], mean, bound, bool(values[t] > bound))


def _baseline(values: np.ndarray, t: int, method: str, min_sigma: float) -> tuple[float, float] | None:
    """Mean and floored sample SD of the baseline days: t−7…t−1 (C1) or t−9…t−3 (C2)."""
    lag = 1 if method == "C1" else 3
    first = t - lag - EARS_BASELINE + 1
    if first < 0:
        return None
    window = values[first:t - lag + 1]
    return float(window.mean()), max(float(window.std(ddof=1)), min_sigma)


def _daily(counts: pd.Series) -> pd.Series:
    """Counts on every day from the first to the last (a day without a row had no visit: 0)."""
    counts = counts.copy()
    counts.index = pd.to_datetime(counts.index)
    counts = counts.sort_index()
    return counts.asfreq("D", fill_value=0)


def judge(counts: pd.Series, day: dt.date, settings: MovingPercentile = MovingPercentile(),
          ears_method: str = "C2", min_sigma: float = 0.5) -> Detection | None:
    """CIDARS where the history allows, EARS where it is too thin (the township's series starts late)."""
    return moving_percentile(counts, day, settings) or ears(counts, day, ears_method, min_sigma=min_sigma)
