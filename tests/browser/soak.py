"""A wall screen left alone: the default playlist rotating in Chromium with the live feed on (issue #9).

Runs as its own process, so the suite can start it first and read its report last while the other
tests run (tests/conftest.py), and so an operator can watch longer on a target machine::

    python -m tests.browser.soak --seconds 3600 --out soak.json

It records, from the browser: uncaught page errors, console errors, the longest time the app showed
no element or was not connected, the pages it rotated through, and full page loads (one is the
start; any more means the watchdog had to rescue the wall, which counts as a failure here). The
server's resident memory at the start and the end is printed as a figure, not judged.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from playwright.sync_api import CDPSession, ConsoleMessage, sync_playwright

from lib.store import db
from tests.browser.conftest import AppServer, serve
from tests.conftest import make_demo_store

# Compressed timings: the shortest rotation the kiosk accepts and a short refresh, so ten minutes
# hold about sixty page switches and a hundred refreshes (the white screen came on a switch).
QUERY = "/?kiosk=1&every=10&refresh=5"
SAMPLE_SECONDS = 1.0
HARMLESS_CONSOLE = ("GL Driver Message",)  # SwiftShader's WebGL performance notes (tech notes §4)


@dataclass
class Report:
    seconds: float
    page_errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    longest_blank_seconds: float = 0.0
    pages_seen: list[str] = field(default_factory=list)
    page_loads: int = 0
    server_rss_mb: tuple[float, float] | None = None
    # DOM nodes the tab holds (detached ones included, after a collection) at the end of each visit to the
    # wall's first page: a page switch that leaves the old page reachable makes this climb (issue #14 item 4).
    nodes_on_return: list[int] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        found = [f"page error: {e}" for e in self.page_errors] + [f"console error: {e}" for e in self.console_errors]
        if self.longest_blank_seconds > BLANK_LIMIT_SECONDS:
            found.append(f"blank or disconnected for {self.longest_blank_seconds:.0f} s")
        if self.page_loads != 1:
            found.append(f"{self.page_loads} full page loads (a watchdog reload means the wall broke)")
        return found


BLANK_LIMIT_SECONDS = 20.0  # a switch into the referrals page takes a few seconds on this machine

STATE_JS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    const connected = !!app && app.getAttribute("data-test-connection-state") === "CONNECTED";
    const shown = document.querySelectorAll(
        "[data-testid='stMainBlockContainer'] [data-testid='stElementContainer']").length;
    return connected && shown > 0;
}"""


def rss_mb(pid: int) -> float:
    """A process's resident memory in MB (/proc), NaN once it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return float("nan")
    for line in lines:
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def watch(origin: str, seconds: float, chromium: str, server_pid: int | None = None) -> Report:
    """Open the wall at ``origin`` and watch it for ``seconds``."""
    report = Report(seconds=seconds)

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error" and not msg.text.startswith(HARMLESS_CONSOLE):
            report.console_errors.append(msg.text[:300])

    def on_load() -> None:
        report.page_loads += 1

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.on("pageerror", lambda err: report.page_errors.append(str(err)[:300]))
        page.on("console", on_console)
        page.on("load", on_load)
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        start_rss = rss_mb(server_pid) if server_pid else None
        page.goto(origin + QUERY)
        started = time.monotonic()
        blank_since: float | None = None
        held: int | None = None  # the tab's nodes, sampled while the wall shows its first page
        while (now := time.monotonic()) - started < seconds:
            if page.evaluate(STATE_JS):
                blank_since = None
            else:
                blank_since = blank_since or now
                report.longest_blank_seconds = max(report.longest_blank_seconds, now - blank_since)
            path = page.url.removeprefix(origin).split("?")[0].strip("/") or "overview"
            if not report.pages_seen or report.pages_seen[-1] != path:
                report.pages_seen.append(path)
            if path == report.pages_seen[0]:  # the last sample of a visit: the page fully drawn
                held = _nodes_after_collection(cdp)
            elif held is not None:
                report.nodes_on_return.append(held)
                held = None
            # The one timed wait of the suite, on purpose: a soak measures how a wall behaves over a span of
            # time, sampling it at a fixed cadence; its checks are on the states it samples.
            page.wait_for_timeout(SAMPLE_SECONDS * 1000)
        if held is not None:  # a visit still under way when the watch ended (a partial page holds less)
            report.nodes_on_return.append(held)
        if server_pid:
            report.server_rss_mb = (start_rss, rss_mb(server_pid))
        browser.close()
    return report


def _nodes_after_collection(cdp: CDPSession) -> int:
    """The tab's DOM nodes, attached or not, once the collector has freed what nothing holds."""
    cdp.send("HeapProfiler.collectGarbage")
    return int(next(m["value"] for m in cdp.send("Performance.getMetrics")["metrics"] if m["name"] == "Nodes"))


@contextlib.contextmanager
def live_server(folder: Path, *, scale: float = 0.02, rate: int = 600,
                env: dict[str, str] | None = None) -> Iterator[AppServer]:
    """A demo store, an app server on it (``env``: more of its environment) and the live feed writing
    ``rate`` events a minute to it, until the block ends."""
    with make_demo_store(folder, scale=scale) as url, serve(url, folder, env=env) as server:
        feed = subprocess.Popen(
            [sys.executable, "-m", "lib.demo.feed", "--rate", str(rate), "--db", url],
            cwd=db.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            yield server
        finally:
            feed.terminate()
            feed.wait(timeout=10)


def run(seconds: float, chromium: str) -> Report:
    """Build a store, serve the app, start the feed, and watch a wall for ``seconds``."""
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp, live_server(Path(tmp)) as server:
        return watch(server.origin, seconds, chromium, server.pid)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--out", type=Path, help="write the report here as JSON")
    args = parser.parse_args(argv)
    chromium = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
    report = run(args.seconds, chromium)
    text = json.dumps({**asdict(report), "problems": report.problems}, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 1 if report.problems else 0


if __name__ == "__main__":
    sys.exit(main())
