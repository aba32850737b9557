"""Funnel limits, rank intervals and significant moves (lib.scoring.uncertainty), worked by hand.

methods.md §2a: θ₀ ± z·√(θ₀(1−θ₀)/n); §2b: Beta(r + ½, n − r + ½) draws, 2.5%/97.5% rank quantiles.
"""

from __future__ import annotations

import datetime as dt
import warnings

import numpy as np
import pandas as pd
import pytest

from lib.scoring import pooling, tables, uncertainty
from lib.scoring.weights import Rule

RULE = Rule("thc", "rate", "health", 100, "linear", zero_at=0.5)  # share = (r ÷ 0.9 − 0.5) ÷ 0.5
TARGET = 0.9


def _items(rows: list[tuple[str, str, float, float]], unit: str = "pct") -> pd.DataFrame:
    """One item per (facility, indicator, r, n), scored under RULE with its full weight."""
    frame = pd.DataFrame(rows, columns=["facility_code", "indicator_code", "numerator", "denominator"])
    share = [RULE.share(r / n, TARGET, "up") if n else 0.0 for r, n in zip(frame["numerator"], frame["denominator"],
                                                                          strict=True)]
    return frame.assign(unit=unit, state="scored", target=TARGET, effective_weight=100.0,
                        points=np.array(share) * 100.0, dimension="health")


def _units(items: pd.DataFrame, group: str = "thc") -> pd.DataFrame:
    totals = items.groupby("facility_code")["points"].sum().round(2)
    units = pd.DataFrame({"facility_code": totals.index, "peer_group": group, "total": totals.to_numpy()})
    return units.assign(rank=units["total"].rank(method="min", ascending=False).astype("Int64"))


def _intervals(items: pd.DataFrame, **kw: int) -> pd.DataFrame:
    units = _units(items)
    rules = {("thc", c): RULE for c in items["indicator_code"].unique()}
    return uncertainty.rank_intervals(units, items, rules, dict.fromkeys(items["indicator_code"], "up"), **kw)


def test_funnel_limits_worked_example():
    # θ₀ = 0.8, n = 100: √(0.8 × 0.2 / 100) = 0.04.
    low, high = uncertainty.limits(0.8, [100], uncertainty.Z95)
    assert (low[0], high[0]) == pytest.approx((0.8 - 1.959964 * 0.04, 0.8 + 1.959964 * 0.04))
    low, high = uncertainty.limits(0.8, [100], uncertainty.Z998)
    assert (low[0], high[0]) == pytest.approx((0.67639072, 0.92360928))
    low, high = uncertainty.limits(0.8, [4], uncertainty.Z998)  # 0.8 ± 3.09 × 0.2 runs past 1: clipped
    assert (low[0], high[0]) == pytest.approx((0.8 - 3.090232 * 0.2, 1.0))


def test_funnel_limits_at_the_edges_raise_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert [a.tolist() for a in uncertainty.limits(0.0, [50, 0], uncertainty.Z95)] == \
            [[0.0, pytest.approx(np.nan, nan_ok=True)], [0.0, pytest.approx(np.nan, nan_ok=True)]]
        low, high = uncertainty.limits(1.0, [50], uncertainty.Z998)
        assert (low[0], high[0]) == (1.0, 1.0)
        items = _items([("A", "rate", 0, 40), ("B", "rate", 0, 10)])
        assert uncertainty.positions(items, {"A": "thc", "B": "thc"})["position95"].tolist() == ["inside", "inside"]


def test_units_above_inside_and_below_the_limits():
    # θ₀ = 225 / 300 = 0.75; at n = 100 the 95% limits are 0.75 ± 0.0849, the 99.8% ones 0.75 ± 0.1338.
    items = pd.concat([_items([("A", "rate", 80, 100), ("B", "rate", 95, 100), ("C", "rate", 50, 100)]),
                       _items([("A", "cost", 300, 10)], unit="money")])
    pos = uncertainty.positions(items, {"A": "thc", "B": "thc", "C": "thc"}).set_index("facility_code")
    assert pos["indicator_code"].tolist() == ["rate"] * 3  # the cost per visit is a mean, not a rate
    assert pos["theta0"].tolist() == pytest.approx([0.75] * 3)
    assert pos.loc["A", "high95"] == pytest.approx(0.75 + 1.959964 * np.sqrt(0.75 * 0.25 / 100))
    assert pos["position95"].to_dict() == {"A": "inside", "B": "above", "C": "below"}
    assert pos["position998"].to_dict() == {"A": "inside", "B": "above", "C": "below"}


def test_rank_intervals_are_wider_for_a_small_unit_with_the_same_rate():
    spread = [("U1", 600), ("U2", 650), ("U3", 720), ("U4", 750), ("U5", 800)]
    items = _items([(c, "rate", r, 1000) for c, r in spread] + [("small", "rate", 7, 10), ("large", "rate", 700, 1000)])
    got = _intervals(items)
    width = got["rank_high"] - got["rank_low"]
    assert width["small"] >= 4 > width["large"]
    observed = _units(items).set_index("facility_code")["rank"]
    assert got.loc["large", "rank_low"] <= observed["large"] <= got.loc["large", "rank_high"]


def test_a_fixed_seed_gives_the_same_intervals_twice():
    items = _items([("A", "rate", 18, 25), ("B", "rate", 20, 25), ("C", "rate", 22, 25), ("D", "rate", 15, 25)])
    first = _intervals(items)
    pd.testing.assert_frame_equal(first, _intervals(items.sample(frac=1, random_state=1)))  # order does not matter
    assert (first["rank_high"] > first["rank_low"]).all()  # 25 cases each: every rank is uncertain


def test_points_that_are_not_rates_do_not_move():
    items = _items([("A", "n", 90, 100), ("B", "n", 50, 100), ("C", "n", 70, 100)], unit="count")
    got = _intervals(items)
    assert got["rank_low"].tolist() == got["rank_high"].tolist() == [1, 3, 2]


def test_unranked_units_get_no_interval():
    items = _items([("A", "rate", 80, 100), ("B", "rate", 60, 100)])
    units = _units(items)
    units.loc[units["facility_code"] == "B", "rank"] = pd.NA
    got = uncertainty.rank_intervals(units, items, {("thc", "rate"): RULE}, {"rate": "up"})
    assert (got.loc["A", "rank_low"], got.loc["A", "rank_high"]) == (1, 1)
    assert pd.isna(got.loc["B", "rank_low"])


def test_a_move_inside_the_interval_is_not_significant():
    rank = pd.Series([3, 5, 2, 4], dtype="Int64")
    previous = pd.Series([1, 9, 2, pd.NA], dtype="Int64")
    low, high = pd.Series([2, 3, 1, 4], dtype="Int64"), pd.Series([6, 8, 3, 4], dtype="Int64")
    got = uncertainty.significant(rank, previous, low, high)
    assert got.tolist()[:3] == [True, True, False]  # 1 < 2; 9 > 8; 2 inside 1–3
    assert pd.isna(got.iloc[3])  # not ranked last month: nothing to judge
    assert tables.move(2, False, "zh") == "不显著（▲2）"
    assert tables.move(-1, False, "en") == "n.s. (▼1)"
    assert (tables.move(2, True, "zh"), tables.move(0, False, "zh"), tables.move(None, None, "zh")) == ("▲2", "–", "")
    assert tables.interval(2, 11) == "2–11"


def _month(rows: list[tuple[str, str, str, float, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["facility_code", "indicator_code", "state", "numerator", "denominator"])
    return frame.assign(value=frame["numerator"] / frame["denominator"], target=1.0, share=np.nan)


def test_village_clinics_small_flow_rates_are_pooled_over_three_months():
    aug, sep, oct_ = dt.date(2026, 8, 1), dt.date(2026, 9, 1), dt.date(2026, 10, 1)
    rule = Rule("village_clinic", "followup_completion", "quality", 15, "linear", zero_at=0.8)
    rules = {(g, c): rule for g in ("village_clinic", "thc") for c in ("followup_completion", "htn_managed_rate")}
    groups = {"V1": "village_clinic", "V2": "village_clinic", "T1": "thc"}
    by_month = {
        aug: _month([("V1", "followup_completion", "small", 8, 9), ("V2", "followup_completion", "small", 1, 2)]),
        sep: _month([("V1", "followup_completion", "small", 11, 12), ("V2", "followup_completion", "small", 2, 3)]),
        oct_: _month([("V1", "followup_completion", "small", 9, 10), ("V2", "followup_completion", "small", 4, 5),
                      ("V1", "htn_managed_rate", "small", 20, 25), ("T1", "followup_completion", "small", 9, 10)]),
    }
    got = pooling.pool(by_month, oct_, groups, rules, dict.fromkeys(("followup_completion", "htn_managed_rate"),
                                                                     "up")).set_index(["facility_code",
                                                                                      "indicator_code"])
    v1 = got.loc[("V1", "followup_completion")]
    assert (v1["state"], v1["numerator"], v1["denominator"]) == ("pooled", 28, 31)  # 9+11+8 of 10+12+9
    assert v1["share"] == pytest.approx((28 / 31 - 0.8) / 0.2)  # target 100%: (0.903 − 0.8) ÷ 0.2
    assert got.loc[("V2", "followup_completion"), "state"] == "small"  # 10 cases even pooled
    assert got.loc[("V1", "htn_managed_rate"), "state"] == "small"  # a register (stock): never pooled
    assert got.loc[("T1", "followup_completion"), "state"] == "small"  # township centres are not pooled
