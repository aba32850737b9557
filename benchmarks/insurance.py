"""Insurance fund and public-health pages (issue #13 items 3-4): script time, cold and warm, at demo scale 1.

    python -m benchmarks.insurance [--db URL] [--runs 10] [--period YYYY-MM]

Each page runs in-process by AppTest, as benchmarks.overview times the overview: cold is the first run
after the data caches are cleared (the KPI engine, the ledger and the projection read from the store),
warm the median of the reruns that follow (the shared cache serves them; target ≤ 500 ms each). The
store defaults to the scale-1 SQLite demo that benchmarks.kpi builds; ``--db`` names another (PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from benchmarks import kpi
from benchmarks.overview import warm_times
from benchmarks.stores import save
from lib.store import db

PAGES = ("insurance", "public_health")


def page_times(url: str, page: str, runs: int, period: str | None) -> dict[str, float]:
    """Cold and warm script milliseconds of one page."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["COCKPIT_DB_URL"] = url
    at = AppTest.from_file(str(db.ROOT / "app.py"), default_timeout=180)
    if period:
        at.query_params["period"] = period
    at.run()  # the frame and the registry's caches, shared with every page
    st.cache_data.clear()
    at.switch_page(f"pages/{page}.py")
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started
    assert not at.exception, at.exception
    warm = warm_times(at, runs)
    return {"cold_ms": round(cold * 1000, 1), "warm_ms_median": round(statistics.median(warm) * 1000, 1),
            "warm_ms_max": round(max(warm) * 1000, 1)}


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
