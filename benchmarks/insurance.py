"""Insurance fund and public-health pages (issue #13 items 3-4): script time, cold and warm, at demo scale 1.

    python -m benchmarks.insurance [--db URL] [--runs 10] [--period YYYY-MM]

Each page runs in-process by AppTest, as benchmarks.overview times the overview: cold is the first run
after the data caches are cleared (the KPI engine, the ledger and the projection read from the store),
warm the median of the reruns that follow (the shared cache serves them; target ≤ 500 ms each). The
store defaults to the scale-1 SQLite demo that benchmarks.kpi builds; ``--db`` names another (PostgreSQL).
"""

from __future__ import annotations

import argparse

from benchmarks import kpi
from benchmarks.overview import page_times
from benchmarks.stores import save
from lib.store import db

PAGES = ("insurance", "public_health")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="a store URL (default: the scale-1 SQLite demo of benchmarks.kpi)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--period", help="YYYY-MM (default: the county's current month)")
    args = parser.parse_args()
    url = args.db or kpi.store("sqlite", 1)
    out: dict[str, object] = {"store": db.engine(url).url.render_as_string(hide_password=True), "period": args.period}
    for page in PAGES:
        out[page] = page_times(url, page, args.runs, args.period)
        print(f"{page}: {out[page]}")
    print(f"saved {save('insurance', out)}")


if __name__ == "__main__":
    main()
