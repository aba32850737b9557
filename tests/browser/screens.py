"""Screenshots of every page at each screen size, so the look is reviewed like code (issue #9 item 10).

    python -m tests.browser.screens [--store URL] [--out test-artefacts/screens] [--sizes 1920x1080,...]
                                    [--lang zh] [--pages overview,map] [--desk]

Without ``--store`` it builds the small demo store the wall tests use (tests.conftest.make_demo_store),
whose last month is this month. Each page is opened as a wall (``?kiosk=1&screen=WxH``) and, with
``--desk``, as a desk user sees it; a shot is taken once the app has run and every chart has drawn.
Files are named ``<page>-<wall|desk>-<W>x<H>-<lang>.png``. docs/screens/ holds a reviewed selection.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.browser.conftest import SCREENS, charts_drawn_js, serve, wait_for_app_run, wait_ms
from ui.frame import PAGES

SIZES = ((1280, 720), (1920, 1080), (2560, 1440), (3840, 2160), (3840, 1080), (5760, 1080))


@contextlib.contextmanager
def _store(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from tests.conftest import make_demo_store

    folder = Path(tempfile.mkdtemp(prefix="cockpit-screens-"))
    try:
        with make_demo_store(folder) as demo:
            yield demo
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _drawn(page: Page) -> None:
    """The page has run (its title is up, connected, not running) and every chart has drawn."""
    page.get_by_role("heading", level=1).first.wait_for(timeout=wait_ms(3))
    wait_for_app_run(page)
    page.wait_for_function(charts_drawn_js(some=False), timeout=wait_ms(3))
    page.evaluate("() => document.fonts.ready.then(() => true)")


def shoot(
    origin: str, out: Path, sizes: tuple[tuple[int, int], ...], lang: str, pages: list[str], desk: bool
) -> list[Path]:
    """Every page × size (× wall/desk) as a PNG under ``out``; returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium")
        for width, height in sizes:
            for name in pages:
                for mode in ("wall", "desk") if desk else ("wall",):
                    context = browser.new_context(viewport={"width": width, "height": height})
                    page = context.new_page()
                    wall = f"kiosk=1&screen={width}x{height}&rotate={name}&" if mode == "wall" else ""
                    page.goto(f"{origin}/{name}?{wall}lang={lang}")
                    _drawn(page)
                    path = out / f"{name}-{mode}-{width}x{height}-{lang}.png"
                    page.screenshot(path=path)
                    written.append(path)
                    context.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", help="a store URL (default: a fresh small demo store)")
    parser.add_argument("--out", type=Path, default=SCREENS)
    parser.add_argument("--sizes", default=",".join(f"{w}x{h}" for w, h in SIZES))
    parser.add_argument("--lang", default="zh", choices=("zh", "en"))
    parser.add_argument("--pages", default=",".join(p.name for p in PAGES))
    parser.add_argument("--desk", action="store_true", help="also the desk view of each page")
    args = parser.parse_args()
    sizes = tuple(tuple(int(x) for x in s.split("x")) for s in args.sizes.split(","))
    with _store(args.store) as url, serve(url, Path(tempfile.mkdtemp(prefix="cockpit-screens-log-"))) as server:
        for path in shoot(server.origin, args.out, sizes, args.lang, args.pages.split(","), args.desk):  # type: ignore[arg-type]
            print(path)


if __name__ == "__main__":
    main()
