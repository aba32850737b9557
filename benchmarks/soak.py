"""Endurance (issue #14 item 4): K wall screens rotating for N minutes with the live feed on.

    python -m benchmarks.soak --minutes 90 --sessions 4 [--scale 0.02] [--sample-seconds 60]

One Chromium, one context per wall, each on the default playlist (``?kiosk=1``, compressed timings as in
tests/browser/soak.py unless --every/--refresh say otherwise). Every sample (a minute by default) it
records the server's resident memory (/proc) and each tab's JS heap after a forced garbage collection
(CDP HeapProfiler.collectGarbage, then Performance.getMetrics JSHeapUsedSize), so the curve shows what
is retained, not what is waiting for the collector. It prints the curve, then for the second half of
the run the least-squares slope (MB/hour) and the growth the slope implies over that half (target:
≤ 10 MB for the server and for each tab over 90 minutes with 4 walls), and saves the figures under
benchmarks/results/.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import CDPSession, Page, sync_playwright

from benchmarks.stores import save
from tests.browser.soak import QUERY, STATE_JS, live_server, rss_mb


@dataclass
class Wall:
    """One kiosk tab and what the benchmark saw of it."""

    page: Page
    cdp: CDPSession
    loads: int = 0
    errors: int = 0

    def sample(self) -> dict[str, float]:
        """The tab's JS heap in use (MB) after a full garbage collection, with its DOM nodes and event
        listeners (what a heap that grows is usually holding on to)."""
        self.cdp.send("HeapProfiler.collectGarbage")
        metrics = {m["name"]: m["value"] for m in self.cdp.send("Performance.getMetrics")["metrics"]}
        return {"heap_mb": round(metrics["JSHeapUsedSize"] / 2**20, 1), "nodes": metrics["Nodes"],
                "listeners": metrics["JSEventListeners"]}


def slope(points: Sequence[tuple[float, float]]) -> float:
    """Least-squares slope of ``(minute, MB)`` points, in MB per hour (0 with fewer than two)."""
    if len(points) < 2:
        return 0.0
    return statistics.linear_regression([t for t, _ in points], [v for _, v in points]).slope * 60


def second_half(curve: list[tuple[float, float]], minutes: float) -> dict[str, float]:
    """Slope (MB/h) over the second half of the run and the growth it implies over that half, with the
    measured change from the half-way sample to the last, all in MB."""
    half = [(t, v) for t, v in curve if t >= minutes / 2]
    rate = slope(half)
    return {"slope_mb_per_hour": round(rate, 2), "growth_mb": round(rate * minutes / 2 / 60, 1),
            "last_minus_half_mb": round(half[-1][1] - half[0][1], 1) if half else 0.0}


def run(minutes: float, sessions: int, scale: float, sample_seconds: float, query: str,
        chromium: str) -> dict[str, object]:
    """Serve a demo store with the feed on, open ``sessions`` walls and sample them for ``minutes``."""
    server_curve: list[tuple[float, float]] = []
    heap_curves: list[list[tuple[float, float]]] = [[] for _ in range(sessions)]
    dom: list[list[dict[str, float]]] = [[] for _ in range(sessions)]
    with tempfile.TemporaryDirectory(prefix="bench-soak-") as tmp, live_server(Path(tmp), scale=scale) as server, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True)
        walls = []
        for _ in range(sessions):
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Performance.enable")
            wall = Wall(page, cdp)
            page.on("load", lambda _p, w=wall: setattr(w, "loads", w.loads + 1))
            page.on("pageerror", lambda _e, w=wall: setattr(w, "errors", w.errors + 1))
            page.goto(server.origin + query)
            walls.append(wall)
        for wall in walls:
            wall.page.wait_for_function(STATE_JS, timeout=120_000)
        started = time.monotonic()
        print(f"{'min':>6} {'server MB':>10} " + " ".join(f"{'tab' + str(i + 1) + ' MB':>9}" for i in range(sessions)),
              flush=True)
        while True:
            at = (time.monotonic() - started) / 60
            server_curve.append((round(at, 2), round(rss_mb(server.pid), 1)))
            for curve, counts, wall in zip(heap_curves, dom, walls, strict=True):
                counts.append(wall.sample())
                curve.append((round(at, 2), counts[-1]["heap_mb"]))
            print(f"{at:6.1f} {server_curve[-1][1]:10.1f} " + " ".join(f"{c[-1][1]:9.1f}" for c in heap_curves),
                  flush=True)
            if at >= minutes:
                break
            # A benchmark samples at a fixed cadence on purpose (tests never wait on time).
            walls[0].page.wait_for_timeout(min(sample_seconds, max(0.0, minutes * 60 - at * 60)) * 1000)
        browser.close()
    out: dict[str, object] = {
        "minutes": minutes, "sessions": sessions, "scale": scale, "query": query,
        "server_rss_mb": server_curve, "tab_heap_mb": heap_curves,
        "server_second_half": second_half(server_curve, minutes),
        "tab_second_half": [second_half(c, minutes) for c in heap_curves],
        "page_loads": [w.loads for w in walls], "page_errors": [w.errors for w in walls],
        "tab_nodes_listeners": [[(c["nodes"], c["listeners"]) for c in counts] for counts in dom],
    }
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=90)
    parser.add_argument("--sessions", type=int, default=4)
    parser.add_argument("--scale", type=float, default=0.02, help="demo store scale (lib.demo)")
    parser.add_argument("--sample-seconds", type=float, default=60)
    parser.add_argument("--query", default=QUERY, help=f"the walls' URL (default {QUERY})")
    args = parser.parse_args(argv)
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    out = run(args.minutes, args.sessions, args.scale, args.sample_seconds, args.query, chromium)
    print(f"second half, server: {out['server_second_half']}")
    for i, tab in enumerate(out["tab_second_half"]):  # type: ignore[arg-type]
        print(f"second half, tab {i + 1}: {tab}")
    for i, counts in enumerate(out["tab_nodes_listeners"]):  # type: ignore[arg-type]
        print(f"tab {i + 1} DOM nodes, JS listeners: first {counts[0]}, half-way {counts[len(counts) // 2]}, "
              f"last {counts[-1]}")
    print(f"page loads per tab (1 = never reloaded): {out['page_loads']}; page errors: {out['page_errors']}")
    print(f"saved {save('soak', out)}")


if __name__ == "__main__":
    main()
