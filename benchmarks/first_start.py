"""First start benchmark (issue #14 item 3): ``streamlit run app.py`` on a fresh checkout, to the first KPI card.

    python -m benchmarks.first_start [--keep]

The working tree is copied to a temporary folder without ``data/cockpit.db`` (the default store is a
path inside the checkout, so a copy is a fresh checkout) and COCKPIT_DB_URL is left unset. Then:

1. first start: the server is launched and Chromium opens ``/`` as soon as it answers its health check;
   seconds from the launch to the first overview KPI tile, and the longest time the progress bar's
   text and value stood still while it was shown (target: the first card ≤ 60 s);
2. the demo store's size in MB;
3. second start: the server stopped and launched again on the built store, the same figure (≤ 5 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from benchmarks.overview import CHROMIUM, TILE
from benchmarks.stores import save
from lib.store import db

POLL_MS = 250
TIMEOUT_S = 600
_BAR_JS = """() => {
    const bar = document.querySelector("[data-testid='stProgress']");
    if (!bar) return null;
    const value = bar.getAttribute("aria-valuenow") ||
        bar.querySelector("[role='progressbar']")?.getAttribute("aria-valuenow");
    return [bar.innerText, value];
}"""
_SKIP = shutil.ignore_patterns(".git", "__pycache__", ".pytest_cache", ".ruff_cache", "test-artefacts",
                               "results", "cockpit.db*", "*.partial", "*.lock")


def checkout(into: Path, source: Path = db.ROOT) -> Path:
    """A copy of the working tree (or of ``source``) with no store in it: what a fresh checkout holds."""
    root = into / "cockpit"
    shutil.copytree(source, root, ignore=_SKIP)
    (root / ".streamlit" / "secrets.toml").unlink(missing_ok=True)  # secrets could name another store
    return root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthy(origin: str) -> bool:
    try:
        with urllib.request.urlopen(f"{origin}/_stcore/health", timeout=1) as resp:
            return resp.status == 200
    except OSError:
        return False


@contextmanager
def server(root: Path, log: Path) -> Any:
    """``streamlit run app.py`` as the README says, in ``root``; yields (origin, launch time)."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "COCKPIT_DB_URL"}
    launched = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless=true",
                                 "--server.address=127.0.0.1", f"--server.port={port}"],
                                cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield f"http://127.0.0.1:{port}", launched, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def to_first_card(root: Path, log: Path) -> dict[str, Any]:
    """Launch the server, open it in Chromium as soon as it answers; seconds to the first KPI tile, and
    what the progress bar said on the way (each distinct text, and the longest it stood still)."""
    with server(root, log) as (origin, launched, proc), sync_playwright() as pw:
        while not _healthy(origin):
            if proc.poll() is not None or time.perf_counter() - launched > TIMEOUT_S:
                raise RuntimeError(f"server did not start:\n{log.read_text()}")
            time.sleep(0.05)
        healthy = time.perf_counter() - launched
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.goto(origin)
        seen: list[str] = []
        last, since, longest, bar_seen = None, time.perf_counter(), 0.0, None
        while not page.locator(TILE).count():
            if time.perf_counter() - launched > TIMEOUT_S:
                raise RuntimeError(f"no KPI card after {TIMEOUT_S} s:\n{log.read_text()}")
            # One read in the page: the bar may go between two calls (a locator would then wait 30 s for it).
            state = page.evaluate(_BAR_JS)
            if state is not None:
                state = tuple(state)
                bar_seen = time.perf_counter() - launched
                if state[0] not in seen:
                    seen.append(state[0])
            now = time.perf_counter()
            if state != last:
                last, since = state, now
            elif state is not None:
                longest = max(longest, now - since)
            page.wait_for_timeout(POLL_MS)
        card = time.perf_counter() - launched
        browser.close()
    return {"healthy_s": round(healthy, 1), "bar_last_seen_s": bar_seen and round(bar_seen, 1),
            "first_card_s": round(card, 1), "bar_still_max_s": round(longest, 1),
            "bar_texts": len(seen), "first_texts": seen[:3], "last_texts": seen[-3:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", action="store_true", help="keep the temporary checkout (and its store)")
    parser.add_argument("--source", type=Path, default=db.ROOT,
                        help="another tree to measure, e.g. an older commit's `git archive` unpacked")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="first-start-"))
    try:
        root = checkout(tmp, args.source)
        first = to_first_card(root, tmp / "first.log")
        store = root / "data" / "cockpit.db"
        size_mb = round(store.stat().st_size / 1e6, 1)
        second = to_first_card(root, tmp / "second.log")
        out = {"first_start": first, "store_mb": size_mb, "second_start": second}
        print(f"first start:  {first['first_card_s']} s to the first KPI card (server healthy after "
              f"{first['healthy_s']} s, build's progress bar last seen at {first['bar_last_seen_s']} s, never "
              f"still for more than {first['bar_still_max_s']} s, {first['bar_texts']} distinct texts)")
        print(f"demo store:   {size_mb} MB")
        print(f"second start: {second['first_card_s']} s to the first KPI card")
        print(f"saved {save('first_start', out)}")
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
