"""Village clinics' small monthly rates, scored over the three months to the month instead.

A village clinic sees a handful of follow-ups or visits a month, so most of its rates fall under the
small-denominator rule (n < 30, lib.kpi.SMALL_DENOMINATOR) and go unscored, leaving its rank to the
few indicators that are not rates. methods.md §2b (Marshall & Spiegelhalter 1998: ranks "extremely
unreliable … particularly for smaller institutions") asks for more information, not a guess; the
simplest honest way to get it is more months of the clinic's own data. Pooling with its township
centre was rejected: every clinic of a centre would share one value, so the ranking would compare
centres, not clinics.

The rule (issue #11 item 9.5): in the ``village_clinic`` peer group, a rate flagged small this month
whose numerator and denominator are both counted within the month (a flow, FLOWS) is scored on
Σr ÷ Σn over this month and the two before, when that pooled n reaches 30; the item's state is then
"pooled" and it carries the pooled r and n (so the rank intervals see the pooled evidence). Rates over
an end-of-period register (contracts, managed patients: stocks) are never pooled — three month-ends
of the same register are the same people counted three times. Below 30 even when pooled, the rate
stays unscored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from lib.kpi import SMALL_DENOMINATOR
from lib.kpi.period import add_months
from lib.scoring.weights import Rule

GROUP = "village_clinic"
WINDOW = 3  # months: this one and the two before
FLOWS = frozenset({"followup_completion", "tcm_visit_share", "referral_closure_rate", "rx_pass_rate"})


def pool(by_month: Mapping[dt.date, pd.DataFrame], month: dt.date, groups: Mapping[str, str] | pd.Series,
         rules: Mapping[tuple[str, str], Rule], directions: Mapping[str, str]) -> pd.DataFrame:
    """``month``'s items with the village clinics' small flow rates pooled over WINDOW months where that
    reaches SMALL_DENOMINATOR; points are left for lib.scoring.score to recompute. Months missing from
    ``by_month`` count as no data."""
    items = by_month[month].copy()
    group = items["facility_code"].map(groups)
    candidates = (group == GROUP) & (items["state"] == "small") & items["indicator_code"].isin(FLOWS)
    if not candidates.any():
        return items
    window = [by_month[m] for m in (add_months(month, -i) for i in range(WINDOW)) if m in by_month]
    key = ["facility_code", "indicator_code"]
    sums = pd.concat([w[[*key, "numerator", "denominator"]] for w in window]).dropna(
        subset=["numerator", "denominator"]).groupby(key)[["numerator", "denominator"]].sum()
    rows = items.index[candidates]
    pairs = pd.MultiIndex.from_arrays([items.loc[rows, "facility_code"], items.loc[rows, "indicator_code"]], names=key)
    pooled = sums.reindex(pairs).fillna(0.0)  # a clinic-indicator with no figures in the window: n = 0
    enough = (pooled["denominator"] >= SMALL_DENOMINATOR).to_numpy()
    if not enough.any():
        return items
    rows, pooled = rows[enough], pooled[enough]
    r, n = pooled["numerator"].to_numpy(dtype=float), pooled["denominator"].to_numpy(dtype=float)
    values = r / n
    shares = [rules[(groups[code], indicator)].share(value, float(target), directions[indicator])
              for (code, indicator), value, target in zip(pooled.index, values, items.loc[rows, "target"], strict=True)]
    # One assignment per column: row by row, pandas re-checks the frame on every write (most of a draft's time).
    items.loc[rows, "value"], items.loc[rows, "numerator"], items.loc[rows, "denominator"] = values, r, n
    items.loc[rows, "state"], items.loc[rows, "share"] = "pooled", shares
    return items
