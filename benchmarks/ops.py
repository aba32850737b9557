"""Operations pages benchmark (#13 items 2, 5, 6): the sinking, capacity and plan pages at demo scale 1.

    python -m benchmarks.ops [--db URL] [--runs 10]

For each page: cold, the page's lib build on a fresh engine (what a cache miss costs the store), and
warm, the whole page script run in-process by AppTest after one run (its caches warm, as every screen
but the first sees it; target ≤ 500 ms). The store defaults to a scale-1 SQLite demo built on first use
under benchmarks/results/ (``ops_s1.db``); ``--db`` names another (e.g. a PostgreSQL one).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

from benchmarks.overview import warm_times
from benchmarks.stores import RESULTS, save
from lib import clock, demo
from lib.kpi.engine import Engine, Scope
from lib.kpi.period import Period
from lib.ops import capacity, plan, sinking
from lib.store import db, schema

PAGES: dict[str, Callable[[Engine, Period], object]] = {
    "sinking": lambda e, p: sinking.build(e, Scope(), p, None),
    "capacity": lambda e, p: capacity.build(e, Scope(), p, None),
    "plan": lambda e, p: plan.build(e, p),
}


def default_store() -> str:
    """The scale-1 SQLite demo, built on first use."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "ops_s1.db"
    url = f"sqlite:///{path}"
    if not path.exists():
        schema.upgrade(url)
        started = time.perf_counter()
        demo.generate(db.engine(url), scale=1)
        print(f"  built scale 1 in {time.perf_counter() - started:.0f} s")
    return url


def cold_ms(url: str, page: str, period: Period, repeat: int = 3) -> float:
    """Median ms of the page's lib build on a fresh engine and connection."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with db.engine(url).connect() as conn:
            PAGES[page](Engine(conn, today=clock.today()), period)
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def warm_ms(url: str, page: str, runs: int) -> list[float]:
    """ms per warm AppTest run of pages/<page>.py."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["COCKPIT_DB_URL"] = url
    st.cache_data.clear()
    at = AppTest.from_file(str(db.ROOT / "app.py"), default_timeout=300)
    at.switch_page(f"pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    return [t * 1000 for t in warm_times(at, runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="a store URL (default: the scale-1 SQLite demo, built on first use)")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    url = args.db or default_store()
    schema.upgrade(url)
    period = Period("month", clock.today())
    out: dict[str, object] = {"store": url.split("@")[-1], "pages": {}}
    for page in PAGES:
        cold = cold_ms(url, page, period)
        warm = warm_ms(url, page, args.runs)
        row = {"cold_ms": round(cold, 1), "warm_ms_median": round(statistics.median(warm), 1),
               "warm_ms_max": round(max(warm), 1)}
        out["pages"][page] = row  # type: ignore[index]
        print(f"{page:<9} cold {row['cold_ms']:>7} ms · warm median {row['warm_ms_median']:>6} ms, "
              f"max {row['warm_ms_max']} ms")
    print(f"saved {save('ops', out)}")


if __name__ == "__main__":
    main()
