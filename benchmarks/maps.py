"""Map and referral pages (issue #5): script run time cold and warm, and the deck JSON sent per refresh.

    python -m benchmarks.maps [--store sqlite:///benchmarks/results/demo_s1.db] [--runs 10]

Run in-process by AppTest, like benchmarks.overview: "cold" is the first run after the data cache was
cleared (every query and the 13 engine periods of the trends), "warm" the runs after it (targets:
warm ≤ 500 ms, deck ≤ 1 MB). The store defaults to the scale-1 demo that benchmarks.kpi builds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import streamlit as st
from streamlit.testing.v1 import AppTest

from benchmarks.overview import warm_times
from benchmarks.stores import RESULTS, save
from lib.store import db

CASES = {"map": ("map", {}), "map+profile": ("map", {"facility": "THC-DLS"}), "referrals": ("referrals", {})}


def measure(url: str, page: str, params: dict[str, str], runs: int) -> dict[str, float]:
    """Cold and warm seconds of one page, and the bytes of its deck JSON."""
    os.environ["COCKPIT_DB_URL"] = url
    st.cache_data.clear()
    at = AppTest.from_file(str(db.ROOT / "app.py"), default_timeout=300)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    started = time.perf_counter()
    at.switch_page(f"pages/{page}.py").run()
    cold = time.perf_counter() - started
    warm = warm_times(at, runs)
    deck = at.get("deck_gl_json_chart")[0].proto.json
    return {"cold_ms": round(cold * 1000, 1), "warm_ms_median": round(statistics.median(warm) * 1000, 1),
            "warm_ms_max": round(max(warm) * 1000, 1), "deck_bytes": len(deck.encode()),
            "layers": len(json.loads(deck)["layers"])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", default=f"sqlite:///{RESULTS / 'demo_s1.db'}")
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    out: dict[str, object] = {"store": args.store, "load_average": os.getloadavg()}
    for name, (page, params) in CASES.items():
        out[name] = measure(args.store, page, params, args.runs)
        print(f"{name:<12} {out[name]}")
    path = save("maps", out)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
