"""The two detection methods on hand-made series, each answer worked out here (lib.alerts.detect)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from lib.alerts import detect

DAY = dt.date(2026, 10, 20)


def _series(values: list[float], last: dt.date = DAY) -> pd.Series:
    return pd.Series(values, index=pd.date_range(end=last, periods=len(values), freq="D"))


def test_c1_against_the_seven_days_before() -> None:
    # baseline 2,3,2,4,3,2,5: mean 3; squared deviations 1,0,1,1,0,1,4 = 8, / 6 → sd 1.1547;
    # z = Φ⁻¹(0.999) = 3.0902 → bound 3 + 3.0902 × 1.1547 = 6.568
    baseline = [2, 3, 2, 4, 3, 2, 5]
    found = detect.ears(_series([*baseline, 7]), DAY, "C1")
    assert found.expected == 3
    assert found.threshold == pytest.approx(6.568, abs=1e-3)
    assert found.signal
    assert not detect.ears(_series([*baseline, 6]), DAY, "C1").signal


def test_c2_leaves_a_two_day_guard_band() -> None:
    # baseline t−9…t−3 (all 2, sd 0 floored at 0.5): bound 2 + 3.0902 × 0.5 = 3.545; the two days just
    # before (9, 9) are an outbreak already under way and must not raise the baseline
    values = [2] * 7 + [9, 9, 4]
    found = detect.ears(_series(values), DAY, "C2")
    assert found.expected == 2
    assert found.threshold == pytest.approx(3.545, abs=1e-3)
    assert found.signal


def test_c3_adds_the_two_previous_days_c2_excess() -> None:
    # days 0…11 at 2, then 4, 4, 3. C2 of t−2 and t−1: (4 − 2) / 0.5 = 4 each, parts 3 + 3 = 6;
    # at t: bound max(0, 3 + 0.5 × (1.96 − 6)) = 0.98 → 3 signals. A quiet series: 2 + 0.5 × 1.96 = 2.98.
    found = detect.ears(_series([2] * 12 + [4, 4, 3]), DAY, "C3")
    assert found.threshold == pytest.approx(0.980, abs=1e-3)
    assert found.signal
    quiet = detect.ears(_series([2] * 15), DAY, "C3")
    assert quiet.threshold == pytest.approx(2.980, abs=1e-3)
    assert not quiet.signal


def test_ears_needs_its_baseline() -> None:
    assert detect.ears(_series([1] * 9), DAY, "C2") is None  # C2 needs 10 days: t−9…t
    assert detect.ears(_series([1] * 10), DAY, "C2") is not None


def _years(rates: list[float], current: list[float]) -> pd.Series:
    """Three past years at a constant daily rate each (newest first), then the current days up to DAY."""
    start = dt.date(DAY.year - len(rates), 1, 1)
    index = pd.date_range(start, DAY, freq="D")
    values = pd.Series(0.0, index=index)
    for years_back, rate in enumerate(rates, 1):
        values[(index.year == DAY.year - years_back)] = rate
    values.iloc[-len(current):] = current
    return values


def test_moving_percentile_against_the_same_weeks_of_past_years() -> None:
    # blocks: 5 a year (k = 2) × 3 years, 7-day sums of rates 1, 2, 3 → 7 ×5, 14 ×5, 21 ×5;
    # linear P80 of the 15: position 14 × 0.8 = 11.2, between the 12th and 13th (both 21) → 21
    found = detect.moving_percentile(_years([1, 2, 3], [3, 3, 3, 3, 3, 3, 4]), DAY)
    assert found.count == 22
    assert found.threshold == 21
    assert found.expected == 14
    assert found.signal
    assert not detect.moving_percentile(_years([1, 2, 3], [3] * 7), DAY).signal  # 21 is not above 21


def test_a_quiet_township_raises_nothing() -> None:
    quiet = _years([0, 0, 0], [0, 0, 1, 0, 0, 1, 0])  # 2 cases in a week where there were none: below min_count
    assert detect.moving_percentile(quiet, DAY).threshold == 0
    assert not detect.moving_percentile(quiet, DAY).signal


def test_thin_history_falls_back_to_ears() -> None:
    short = _series([2] * 12 + [4, 4, 3])
    assert detect.moving_percentile(short, DAY) is None
    assert detect.judge(short, DAY, ears_method="C3").method == "C3"
    assert detect.judge(_years([1, 2, 3], [3] * 7), DAY).method == "mpm"
