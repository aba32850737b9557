"""Every page's script time at demo scale 1 (issue #14 item 2: warm ≤ 250 ms each), one row per page.

    python -m benchmarks.pages [--db URL] [--runs 10] [--period YYYY-MM] [--pages overview map ...]

Each page runs in-process by AppTest inside app.py's frame (benchmarks.overview.page_times): cold is the
first run after the data caches are cleared (the engine, the closed months' snapshots and the live month
read from the store), warm the median and the maximum of the reruns that follow (the shared cache serves
them, as it serves every screen but the first). The store defaults to the scale-1 SQLite demo that
benchmarks.kpi builds; ``--db`` names another (PostgreSQL).
"""

from __future__ import annotations

import argparse

from benchmarks import kpi
from benchmarks.overview import page_times
from benchmarks.stores import save
from lib.store import db
from ui.frame import PAGES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="a store URL (default: the scale-1 SQLite demo of benchmarks.kpi)")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--period", help="YYYY-MM (default: the county's current month)")
    parser.add_argument("--pages", nargs="+", default=[p.name for p in PAGES], choices=[p.name for p in PAGES])
    args = parser.parse_args()
    url = args.db or kpi.store("sqlite", 1)
    out: dict[str, object] = {"store": db.engine(url).url.render_as_string(hide_password=True), "period": args.period}
    for page in args.pages:
        out[page] = page_times(url, page, args.runs, args.period)
        print(f"{page:<14} {out[page]}", flush=True)
    print(f"saved {save('pages', out)}")


if __name__ == "__main__":
    main()
