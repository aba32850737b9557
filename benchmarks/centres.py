"""Information centres page (issue #13 item 1): its data cold and warm, and the page's script time.

    python -m benchmarks.centres [--store URL] [--db URL] [--runs 10]

1. Data, in-process: lib.ops.centres' two reads on a new engine each time (cold: no cache) — today's and
   the month's figures (``now``, cached KPI_TTL) and the 12-month trends (``trends``, TREND_TTL).
2. Page, by AppTest like benchmarks.overview: "cold" is the first run after the data cache was cleared,
   "warm" the runs after it (target: warm ≤ 500 ms).

``--store`` defaults to the scale-1 SQLite demo that benchmarks.kpi builds; ``--db`` adds a second store
(PostgreSQL, e.g. a schema holding ``python -m lib.demo --db URL``). Each store is brought current
first (migrations, the indicator catalogue, the rollups' declarations), as the app does at start.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from benchmarks import kpi
from benchmarks.overview import page_times
from benchmarks.stores import save
from lib import clock
from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.ops import centres
from lib.store import bootstrap, db


def data_times(url: str, runs: int) -> dict[str, float]:
    """Median milliseconds of ``now`` and ``trends`` for the county and this month, each on a new engine."""
    period = Period("month", clock.today())
    spent: dict[str, list[float]] = {"now": [], "trends": []}
    with db.engine(url).connect() as conn:
        for _ in range(runs):
            for name, read in (("now", lambda e: centres.now(e, Scope(), period)),
                               ("trends", lambda e: centres.trends(e, Scope(), period.last_month))):
                started = time.perf_counter()
                read(Engine(conn))
                spent[name].append(time.perf_counter() - started)
    return {f"{name}_ms_median": round(statistics.median(t) * 1000, 1) for name, t in spent.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", help="a store URL (default: the scale-1 SQLite demo of benchmarks.kpi)")
    parser.add_argument("--db", help="a second store to measure, e.g. a PostgreSQL demo")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    stores = [args.store or kpi.store("sqlite", 1), *([args.db] if args.db else [])]
    out: dict[str, object] = {"load_average": os.getloadavg()}
    for url in stores:
        bootstrap.bring_current(url)
        figures = {**data_times(url, max(1, args.runs // 2)), **page_times(url, "centres", args.runs)}
        out[db.engine(url).dialect.name] = {"store": url, **figures}
        print(f"{db.engine(url).dialect.name:<10} {figures}")
    print(f"saved {save('centres', out)}")


if __name__ == "__main__":
    main()
