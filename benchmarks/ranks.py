"""Rank-interval benchmark: the 2,000-draw simulation (lib.scoring.uncertainty) for a county-sized peer
group, units × indicators as given, with the per-draw loop's absence the point (issue #11 item 9).

    python -m benchmarks.ranks [--units 65] [--indicators 20] [--repeat 5]

Prints the median and the slowest run in milliseconds; nothing is judged here.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from lib.scoring import uncertainty
from lib.scoring.weights import Rule

TARGET = 0.9


def _case(units: int, indicators: int) -> tuple[pd.DataFrame, pd.DataFrame, dict, dict]:
    """Every unit with every indicator a rate of 20–200 of 200, scored linearly against 90%."""
    rng = np.random.default_rng(0)
    codes = [f"i{i:02d}" for i in range(indicators)]
    rule = {code: Rule("thc", code, "health", 100 / indicators, "linear", zero_at=0.5) for code in codes}
    rows = [(f"U{u:03d}", code, float(rng.integers(20, 200)), 200.0) for u in range(units) for code in codes]
    items = pd.DataFrame(rows, columns=["facility_code", "indicator_code", "numerator", "denominator"])
    share = [rule[c].share(r / n, TARGET, "up") for c, r, n in
             zip(items["indicator_code"], items["numerator"], items["denominator"], strict=True)]
    items = items.assign(unit="pct", state="scored", target=TARGET, effective_weight=100 / indicators,
                         points=np.array(share) * 100 / indicators, dimension="health")
    totals = items.groupby("facility_code")["points"].sum().round(2)
    frame = pd.DataFrame({"facility_code": totals.index, "peer_group": "thc", "total": totals.to_numpy()})
    frame["rank"] = frame["total"].rank(method="min", ascending=False).astype("Int64")
    return frame, items, {("thc", c): r for c, r in rule.items()}, dict.fromkeys(codes, "up")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=65)
    parser.add_argument("--indicators", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    case = _case(args.units, args.indicators)
    runs = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        uncertainty.rank_intervals(*case)
        runs.append((time.perf_counter() - start) * 1000)
    print(f"units={args.units} indicators={args.indicators} draws={uncertainty.DRAWS} "
          f"median_ms={statistics.median(runs):.0f} max_ms={max(runs):.0f}")


if __name__ == "__main__":
    main()
