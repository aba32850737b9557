"""Overview benchmark (issue #4): script time, queries per refresh against open sessions, and a soak.

    python -m benchmarks.overview [--store URL] [--soak-cycles 1000]

1. Script run time, warm, server side: the overview page run in-process by AppTest (target ≤ 400 ms).
2. Store queries per refresh cycle with 1, 5 and 20 kiosk sessions open in Chromium for a minute: the
   data cache is shared by every session, so queries must not grow with sessions.
3. Soak: kiosk sessions refreshing every 2 s until N refresh cycles have run; server memory (RSS)
   before and after, and errors seen in the page (target: growth ≤ 50 MB, no error).

The store defaults to the scale-1 demo that benchmarks.kpi builds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from benchmarks import kpi
from benchmarks.stores import save
from lib import i18n
from lib.registry import settings as registry_settings
from lib.store import db

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
TILE = "div[class*='st-key-tile-']"  # an overview KPI tile (ui/overview.py keys each one)


def script_time(url: str, runs: int = 10) -> list[float]:
    """Seconds per AppTest run of the overview page after one warm-up run."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["COCKPIT_DB_URL"] = url
    st.cache_data.clear()
    at = AppTest.from_file(str(db.ROOT / "app.py"), default_timeout=120)
    at.run()
    return warm_times(at, runs)


def warm_times(at: Any, runs: int) -> list[float]:
    """Seconds per rerun of an AppTest that has already run once (its caches are warm)."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
        assert not at.exception, at.exception
    return times


class Server:
    """``streamlit run app.py`` on a port, with a query log."""

    def __init__(self, url: str, port: int, log: Path) -> None:
        self.log = log
        env = {**os.environ, "COCKPIT_DB_URL": url, "COCKPIT_QUERY_LOG": str(log)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
             "--server.address=127.0.0.1", f"--server.port={port}", "--server.fileWatcherType=none"],
            cwd=db.ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.origin = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{self.origin}/_stcore/health", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("server did not start")

    def queries(self) -> int:
        return sum(1 for _ in self.log.open()) if self.log.exists() else 0

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def watch(server: Server, n: int, refresh: int, warmup: float, seconds: float,
          errors: list[str]) -> tuple[int, float, float]:
    """Open ``n`` kiosk sessions on the overview; after ``warmup`` seconds count the store queries and
    server memory over ``seconds`` more. Returns (queries, RSS MB after warm-up, RSS MB at the end)."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        pages = []
        for _ in range(n):
            page = context.new_page()
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{server.origin}/?kiosk=1&rotate=overview&refresh={refresh}")
            pages.append(page)
        for page in pages:
            page.wait_for_selector(TILE, timeout=120_000)
        time.sleep(warmup)
        before, rss_start = server.queries(), server.rss_mb()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(min(10.0, max(0.0, deadline - time.monotonic())))
            for page in pages:
                errors.extend(f"element: {t}" for t in page.locator("[data-testid='stException']").all_inner_texts())
        queries, rss_end = server.queries() - before, server.rss_mb()
        browser.close()
    return queries, rss_start, rss_end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", help="a store URL (default: the scale-1 SQLite demo of benchmarks.kpi, "
                                        "built on first use)")
    parser.add_argument("--soak-cycles", type=int, default=1000)
    parser.add_argument("--minute", type=float, default=60.0, help="seconds per query-count window")
    args = parser.parse_args()
    args.store = args.store or kpi.store("sqlite", 1)
    out: dict[str, object] = {"store": args.store}

    times = script_time(args.store)
    out["script_ms_warm_median"] = round(statistics.median(times) * 1000, 1)
    out["script_ms_warm_max"] = round(max(times) * 1000, 1)
    print(f"overview script, warm: median {out['script_ms_warm_median']} ms, max {out['script_ms_warm_max']} ms")

    tmp = Path(tempfile.mkdtemp())
    per_sessions = {}
    for i, n in enumerate((1, 5, 20)):
        server = Server(args.store, 8700 + i, tmp / f"queries-{n}.log")
        errors: list[str] = []
        queries, _, _ = watch(server, n, refresh=5, warmup=20, seconds=args.minute, errors=errors)
        cycles = n * args.minute / 5
        per_sessions[n] = {"queries_per_minute": round(queries * 60 / args.minute, 1),
                           "queries_per_cycle": round(queries / cycles, 2), "errors": len(errors)}
        print(f"{n:>2} sessions: {per_sessions[n]}")
        server.stop()
    out["queries"] = per_sessions

    server = Server(args.store, 8710, tmp / "soak.log")
    errors = []
    cycles_per_second = 4 / 2  # four sessions refreshing every 2 s
    _, start_rss, end_rss = watch(server, 4, refresh=2, warmup=30, seconds=args.soak_cycles / cycles_per_second,
                                  errors=errors)
    server.stop()
    out["soak"] = {"cycles": args.soak_cycles, "rss_start_mb": round(start_rss, 1), "rss_end_mb": round(end_rss, 1),
                   "growth_mb": round(end_rss - start_rss, 1), "errors": errors[:10], "error_count": len(errors)}
    print(f"soak: {out['soak']}")
    path = save("overview", out)
    print(f"saved {path}")


if __name__ == "__main__":
    main()


def page_times(url: str, page: str, runs: int, period: str | None = None) -> dict[str, float]:
    """Cold and warm script milliseconds of ``pages/<page>.py`` run in-process by AppTest (app.py's frame
    included): cold after the data caches are cleared, warm the median and max of ``runs`` reruns."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["COCKPIT_DB_URL"] = url
    with db.engine(url).connect() as conn:
        words = registry_settings.read(conn).all_words()
    at = AppTest.from_file(str(db.ROOT / "app.py"), default_timeout=180)
    if period:
        at.query_params["period"] = period
    # AppTest formats a selectbox's value again between runs, outside the page's run and its county's words
    # (a browser never does): without them a translated option ('旗级医院') would not be found among the page's.
    with i18n.speaking_for(words):
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
