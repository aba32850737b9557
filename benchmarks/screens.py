"""Many screens on one server (issue #14 item 5): store queries per minute and page times against sessions.

    python -m benchmarks.screens --sessions 1 10 50 [--minutes 3] [--refresh 10] [--every 30] [--scale 0.02]

For each count N, one server on a demo store with the live feed on, and N wall sessions walking the
default playlist at once: each rereads its page every ``--refresh`` seconds and moves to the next page
every ``--every`` seconds (staggered, so the walls are spread over the pages as real walls are). Reported
per N: store queries per minute (lib.store.db's COCKPIT_QUERY_LOG, counted after a warm-up minute; with
the data caches shared by every session it stays flat in N), the median and p95 page time (request sent
to the script's finish, server side plus the wire), and per page the bytes a refresh sends: deck.gl
JSON, Vega-Lite specs with their data, and everything.

The sessions are websocket clients speaking Streamlit's own protocol (a BackMsg asking to run the
page, ForwardMsgs until the script finished), not browsers: fifty Chromium tabs would need far more than
this machine's two cores and measure the browsers, not the server, which is what the walls share. The
walls' own timer is the client's here (the URL's ``every=`` is set out of reach), and a browser's
rendering, the watchdog and the JS heap are benchmarks.soak's.

``--churn N`` instead: N short sessions one after another (open, draw two pages, close), then two idle
minutes; the server's memory before, after the sessions and after the idle time (a server once grew from
54 to 786 MB over 200 short test sessions and kept it while idle).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.stores import save
from lib import kiosk
from tests.browser.soak import live_server, rss_mb
from ui.frame import PAGES

PLAYLIST = kiosk.settings({}, [p.name for p in PAGES]).playlist
MAX_FRAME = 2**28  # a page's messages are far smaller; the default 1 MB cap would cut a map's


@dataclass
class Seen:
    """What the sessions of one run measured."""

    page_seconds: list[float] = field(default_factory=list)
    payload: dict[str, list[dict[str, int]]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)


def _element_bytes(msg: ForwardMsg, sizes: dict[str, int]) -> None:
    """Add a message's bytes to ``sizes``: all, and the deck.gl JSON and Vega-Lite specs it carries."""
    sizes["total"] += msg.ByteSize()
    if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
        return
    element = msg.delta.new_element
    kind = element.WhichOneof("type")
    if kind == "deck_gl_json_chart":
        sizes["deck"] += element.deck_gl_json_chart.ByteSize()
    elif kind == "vega_lite_chart":
        sizes["vega"] += element.vega_lite_chart.ByteSize()
    elif kind == "exception":
        sizes["exceptions"] += 1


async def _run_page(ws: websockets.ClientConnection, page: str, query: str) -> dict[str, int]:
    """Ask the server to run ``page`` and read its messages until the script finished (a run the app
    restarted itself, st.rerun, counts on to the end of the run that follows)."""
    back = BackMsg()
    back.rerun_script.query_string = query
    back.rerun_script.page_name = page
    await ws.send(back.SerializeToString())
    sizes: dict[str, int] = defaultdict(int)
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await ws.recv())
        _element_bytes(msg, sizes)
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            return sizes


async def _wall(origin: str, start: int, until: float, measure_from: float, refresh: float, every: float,
                seen: Seen) -> None:
    """One wall: from playlist page ``start``, rerun every ``refresh`` s and move on every ``every`` s."""
    query = f"kiosk=1&every=3600&refresh={int(refresh)}"
    uri = origin.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(uri, subprotocols=["streamlit"], max_size=MAX_FRAME) as ws:
        index, page_since = start, time.monotonic()
        while (now := time.monotonic()) < until:
            if now - page_since >= every:
                index, page_since = index + 1, now
            page = PLAYLIST[index % len(PLAYLIST)]
            sizes = await _run_page(ws, page, query)
            took = time.monotonic() - now
            if now >= measure_from:
                seen.page_seconds.append(took)
                seen.payload[page].append(dict(sizes))
            if sizes.get("exceptions"):
                seen.errors.append(f"{page}: {sizes['exceptions']} exception element(s)")
            await asyncio.sleep(max(0.0, refresh - took))


def _queries(log: Path) -> int:
    return sum(1 for _ in log.open()) if log.exists() else 0


async def _measure(origin: str, log: Path, sessions: int, minutes: float, warmup: float, refresh: float,
                   every: float) -> tuple[Seen, int, float]:
    seen = Seen()
    started = time.monotonic()
    measure_from, until = started + warmup, started + warmup + minutes * 60
    walls = [asyncio.create_task(_wall(origin, i % len(PLAYLIST), until, measure_from, refresh, every, seen))
             for i in range(sessions)]
    await asyncio.sleep(warmup)
    before = _queries(log)
    await asyncio.gather(*walls)
    return seen, _queries(log) - before, time.monotonic() - measure_from


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def run(sessions: int, minutes: float, refresh: float, every: float, scale: float) -> dict[str, object]:
    """One server with the feed on and ``sessions`` walls for ``minutes`` after a warm-up minute."""
    with tempfile.TemporaryDirectory(prefix="bench-screens-") as tmp:
        log = Path(tmp) / "queries.log"
        with live_server(Path(tmp), scale=scale, env={"COCKPIT_QUERY_LOG": str(log)}) as server:
            seen, queries, seconds = asyncio.run(_measure(server.origin, log, sessions, minutes, 60.0, refresh, every))
    times = sorted(seen.page_seconds)
    payload = {page: {k: round(statistics.median(r.get(k, 0) for r in runs)) for k in ("deck", "vega", "total")}
               for page, runs in sorted(seen.payload.items())}
    return {"sessions": sessions, "queries_per_minute": round(queries * 60 / seconds, 1), "page_runs": len(times),
            "page_ms_median": round(statistics.median(times) * 1000), "page_ms_p95": round(_p(times, 95) * 1000),
            "bytes_per_refresh": payload, "errors": seen.errors[:10]}


async def _short_sessions(origin: str, count: int) -> None:
    uri = origin.replace("http://", "ws://") + "/_stcore/stream"
    for i in range(count):
        async with websockets.connect(uri, subprotocols=["streamlit"], max_size=MAX_FRAME) as ws:
            for page in (PLAYLIST[i % len(PLAYLIST)], PLAYLIST[(i + 1) % len(PLAYLIST)]):
                await _run_page(ws, page, "")


def churn(count: int, scale: float, idle_seconds: float = 120) -> dict[str, float]:
    """Server memory (MB) around ``count`` short sessions and after ``idle_seconds`` with none."""
    with tempfile.TemporaryDirectory(prefix="bench-churn-") as tmp, \
            live_server(Path(tmp), scale=scale, rate=0) as server:
        start = rss_mb(server.pid)
        asyncio.run(_short_sessions(server.origin, count))
        after = rss_mb(server.pid)
        time.sleep(idle_seconds)  # a benchmark's fixed wait: what an idle server gives back
        return {"sessions": count, "rss_start_mb": round(start, 1), "rss_after_mb": round(after, 1),
                "rss_idle_mb": round(rss_mb(server.pid), 1)}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--minutes", type=float, default=3, help="measured minutes per count, after a warm-up minute")
    parser.add_argument("--refresh", type=float, default=10, help="seconds between a wall's reruns")
    parser.add_argument("--every", type=float, default=30, help="seconds on a page before the next")
    parser.add_argument("--scale", type=float, default=0.02, help="demo store scale (lib.demo)")
    parser.add_argument("--churn", type=int, help="N short sessions one after another, then idle (see above)")
    args = parser.parse_args(argv)
    if args.churn:
        result = churn(args.churn, args.scale)
        print(result)
        print(f"saved {save('churn', result)}")
        return
    results = []
    for n in args.sessions:
        result = run(n, args.minutes, args.refresh, args.every, args.scale)
        results.append(result)
        print(f"{n:>3} sessions: {result['queries_per_minute']:>6} queries/min, page median "
              f"{result['page_ms_median']} ms, p95 {result['page_ms_p95']} ms, {result['page_runs']} page runs, "
              f"errors {len(result['errors'])}", flush=True)
    print("bytes per refresh (median), per page:")
    for page, sizes in results[0]["bytes_per_refresh"].items():  # type: ignore[union-attr]
        print(f"  {page:<12} deck {sizes['deck']:>9,}  vega {sizes['vega']:>9,}  all {sizes['total']:>9,}")
    print(f"saved {save('screens', {'refresh': args.refresh, 'every': args.every, 'results': results})}")


if __name__ == "__main__":
    main()
