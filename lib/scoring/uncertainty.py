"""How sure a league table is: funnel limits for rates and simulated intervals around each rank.

Sources: ../shared/domain/methods.md §2 (issue #11 item 9).
- Funnel limits (§2a; Spiegelhalter, Stat Med 2005;24:1185): centre θ₀ = Σr/Σn over the peer group's
  units, limits θ₀ ± z·√(θ₀(1−θ₀)/n) (the normal approximation, as cran/funnelR), clipped to [0, 1], at
  95% (z = 1.959964, "alert") and 99.8% (z = 3.090232, "alarm"). No over-dispersion adjustment: the
  limits are the plain binomial ones, so a unit outside them is a prompt to look, not a verdict.
- Rank intervals (§2b; Marshall & Spiegelhalter, BMJ 1998;316:1701): 2,000 draws of each scored rate
  θ ~ Beta(r + ½, n − r + ½), each turned into points by the item's own rule and effective weight;
  counts, means and survey scores keep their observed points in every draw. Units are ranked within
  the peer group in each draw exactly as the table ranks them (competition ranking of totals at two
  decimals); the interval is the 2.5% and 97.5% quantiles of a unit's simulated ranks. The seed is
  fixed and draws follow (facility code, indicator code), so a published month gives the same
  intervals every time it is read.
- Rank change (§2b says no simple published rule was verified; ours): a move is significant only when
  last month's rank lies outside this month's 95% rank interval — last month's place is not a place
  this month's data make plausible. Otherwise it is "不显著" (n.s.). It needs only this month's items,
  so a published month is judged from its own snapshot.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from lib.scoring.weights import TIE_DIGITS, Rule

Z95, Z998 = 1.959964, 3.090232
DRAWS = 2000
SEED = 20261101  # fixed: the same items always give the same intervals

COUNTED = ("scored", "zero", "pooled")  # states whose points count (lib.scoring.score.NOT_SCORED are not)
POSITIONS = ("below", "inside", "above")


def is_rate(items: pd.DataFrame) -> pd.Series:
    """Items that are proportions r of n (unit pct, 0 ≤ r ≤ n, n > 0): the ones with binomial noise."""
    r, n = items["numerator"].astype(float), items["denominator"].astype(float)
    return (items["unit"] == "pct") & r.notna() & n.notna() & (n > 0) & (r >= 0) & (r <= n)


def limits(theta0: float | np.ndarray, n: np.ndarray | pd.Series, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper funnel limits at each denominator; NaN where n = 0, the centre itself where θ₀ is 0 or 1."""
    n = np.asarray(n, dtype=float)
    theta0 = np.asarray(theta0, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(n > 0, np.sqrt(theta0 * (1.0 - theta0) / np.where(n > 0, n, 1.0)), np.nan)
    return np.clip(theta0 - z * se, 0.0, 1.0), np.clip(theta0 + z * se, 0.0, 1.0)


def _position(rate: np.ndarray, low: np.ndarray, high: np.ndarray) -> list[str | None]:
    return [None if np.isnan(lo) else "above" if x > hi else "below" if x < lo else "inside"
            for x, lo, hi in zip(rate, low, high, strict=True)]


def positions(items: pd.DataFrame, groups: Mapping[str, str] | pd.Series) -> pd.DataFrame:
    """Per unit × rate indicator: rate, n, the peer group's θ₀, both pairs of limits, and where the unit lies.

    ``groups`` maps facility code → peer group. Columns: facility_code, indicator_code, peer_group, numerator,
    denominator, rate, theta0, low95, high95, low998, high998, position95, position998 (below|inside|above).
    """
    rates = items[is_rate(items)][["facility_code", "indicator_code", "numerator", "denominator"]].astype(
        {"numerator": float, "denominator": float})
    rates = rates.assign(peer_group=rates["facility_code"].map(groups), rate=rates["numerator"] / rates["denominator"])
    sums = rates.groupby(["peer_group", "indicator_code"])[["numerator", "denominator"]].transform("sum")
    out = rates.assign(theta0=sums["numerator"] / sums["denominator"])
    for z, tag in ((Z95, "95"), (Z998, "998")):
        low, high = limits(out["theta0"].to_numpy(float), out["denominator"].to_numpy(float), z)
        out[f"low{tag}"], out[f"high{tag}"] = low, high
        out[f"position{tag}"] = _position(out["rate"].to_numpy(), low, high)
    return out.reset_index(drop=True)


def rank_intervals(units: pd.DataFrame, items: pd.DataFrame, rules: Mapping[tuple[str, str], Rule],
                   directions: Mapping[str, str], *, draws: int = DRAWS, seed: int = SEED) -> pd.DataFrame:
    """The 95% interval of each ranked unit's rank (rank_low, rank_high), indexed by facility code.

    ``units``: facility_code, peer_group, rank (NA: not ranked, left out); ``items``: the month's items
    (state, unit, numerator, denominator, target, effective_weight, points); ``rules``: (peer group,
    indicator) → Rule; ``directions``: indicator → up | down.
    """
    ranked = units[units["rank"].notna()].sort_values("facility_code")
    codes = ranked["facility_code"].to_numpy()
    out = pd.DataFrame({"rank_low": pd.array([pd.NA] * len(units), "Int64"),
                        "rank_high": pd.array([pd.NA] * len(units), "Int64")}, index=units["facility_code"].to_numpy())
    if not len(codes):
        return out
    index = {c: i for i, c in enumerate(codes)}
    group_of = dict(zip(ranked["facility_code"], ranked["peer_group"], strict=True))
    mine = items[items["facility_code"].isin(index)].sort_values(["facility_code", "indicator_code"])
    drawn = mine["state"].isin(COUNTED) & mine["points"].notna() & is_rate(mine)
    fixed = mine["points"].where(~drawn, 0.0).fillna(0.0).groupby(mine["facility_code"]).sum()
    totals = np.repeat(fixed.reindex(codes).fillna(0.0).to_numpy()[:, None], draws, axis=1)
    rates = mine[drawn]
    if len(rates):
        r, n = rates["numerator"].to_numpy(float), rates["denominator"].to_numpy(float)
        theta = np.random.default_rng(seed).beta(r[:, None] + 0.5, n[:, None] - r[:, None] + 0.5,
                                                 size=(len(rates), draws))
        for row, item in enumerate(rates.itertuples(index=False)):
            rule = rules[(group_of[item.facility_code], item.indicator_code)]
            share = rule.shares(theta[row], float(item.target), directions[item.indicator_code])
            totals[index[item.facility_code]] += share * float(item.effective_weight)
    totals = totals.round(TIE_DIGITS)
    groups = ranked["peer_group"].to_numpy()
    for group in dict.fromkeys(groups):
        rows = np.flatnonzero(groups == group)
        t = totals[rows]
        sim = 1 + (t[None, :, :] > t[:, None, :]).sum(axis=1)  # competition ranking in every draw ("1224")
        low, high = np.quantile(sim, [0.025, 0.975], axis=1, method="inverted_cdf")
        out.loc[codes[rows], "rank_low"] = low.astype(int)
        out.loc[codes[rows], "rank_high"] = high.astype(int)
    return out


def significant(rank: pd.Series, previous_rank: pd.Series, low: pd.Series, high: pd.Series) -> pd.Series:
    """Whether a move is significant: last month's rank outside this month's interval (NA: no move to judge)."""
    prev = previous_rank.astype("Float64")
    outside = (prev < low.astype("Float64")) | (prev > high.astype("Float64"))
    judged = rank.notna() & previous_rank.notna() & low.notna()
    return outside.astype("boolean").where(judged, pd.NA)
