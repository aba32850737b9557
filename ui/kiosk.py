"""Wall-screen mode (?kiosk=1): large type, no chrome, page rotation, refresh cadence, a watchdog.

One timer per wall: a tiny ``run_every`` fragment (:func:`wall`) that, every few seconds, either
moves on once the page (or its section) has been shown for ``rotate_seconds``, or reruns the whole
page once its figures are ``refresh_seconds`` old. Moving on means the next section of a long page
(:func:`sections`: a wall never scrolls, so a long page shows one part at a time with a "2 / 3"
marker) and, after the last section, the next playlist page (keeping the URL's parameters:
language, filters, playlist). Pages draw their live region through ui/live.py, which on a wall is a
plain call, never a second timer.

Why one timer: with two (a rotation tick and the page's refresh fragment), a refresh request the
browser sent while the tick was switching pages was queued by the server and run *after* the new
page's full run, under the old page's hash. The browser took that for a page change, dropped the new
page's elements, and the next delta addressed an element that was gone ("Bad delta path index 3"):
the frontend stopped and the wall stayed white (issue #9). With one timer there is no second request
to queue, and the browser cancels the old page's timer as soon as the new page starts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import streamlit as st

from lib import kiosk
from ui.frame import ADMIN_PAGE, PAGES, Frame

TICK_SECONDS = 5  # a wall checks this often whether to rotate or refresh
FRESH_KEY = "kiosk-fresh"  # a new page or part was asked for: its display time starts when drawn
SECTION_PARAM = "section"  # ?section=N: the part a wall starts a long page at
SECTION_KEY, SECTIONS_KEY = "kiosk-section", "kiosk-sections"  # the section shown, and how many the page has
WATCHDOG_JS = Path(__file__).with_name("kiosk_watchdog.js").read_text(encoding="utf-8")
DECK_RELEASE_JS = Path(__file__).with_name("deck_release.js").read_text(encoding="utf-8")

# Readable at 5 m, on any screen: the root size follows the screen's height (18 px on 1080 lines, 36 on
# 2160, 12 on 720; Streamlit sizes in rem, charts follow their containers) and pixel-sized maps and
# charts follow it (px() below), so every wall shows the 1080-line layout at its own size. CSS zoom would
# break canvas charts, which measure unzoomed widths. A spliced wall (3840×1080) keeps 1080-line type and
# gets more columns.
CSS = """
<style>
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.6rem 1.2rem 0.2rem 1.2rem !important; max-width: 100% !important; }
html { font-size: calc(100vh / 60); }  /* 18 px at 1080 lines: lib.kiosk.BASE_HEIGHT / 60 */
h1 { font-size: 1.7rem !important; padding: 0.1rem 0 0.3rem 0 !important; }
[data-testid="stMetricValue"] { font-size: 2.1rem !important; }
[data-testid="stMetricLabel"] p { font-size: 1.05rem !important; }
/* Banners (stale data, store unreachable) overlay the title strip instead of pushing the page down. */
[data-testid="stAlert"] { position: fixed; top: 0.4rem; right: 1.2rem; width: 55%; z-index: 1000; }
/* Nothing to hover or click on a wall: no help icons. */
[data-testid="stTooltipIcon"] { display: none !important; }
/* A long page's section marker, bottom right, out of the content's way. */
.kiosk-pager { position: fixed; bottom: 0.3rem; right: 1.2rem; font-size: 1.1rem; opacity: 0.8; z-index: 999; }
.kiosk-pager b { font-size: 1.3rem; }
</style>
"""


def settings() -> kiosk.Kiosk:
    return kiosk.settings(st.query_params, [p.name for p in PAGES if p.name != ADMIN_PAGE])  # no wall rotates to it


def stay_on_playlist(current: str) -> None:
    """A wall opened by a kiosk token on a page outside its view goes to the view (the playlist's first page)."""
    config = settings()
    if current not in config.playlist:
        st.switch_page(f"pages/{config.playlist[0]}.py", query_params=st.query_params.to_dict())


def wall(current: str) -> None:
    """Style the page as a wall, watch it, and start its one timer (rotation and refresh)."""
    config = settings()
    st.html(CSS)
    _watchdog(config)
    now = time.monotonic()
    if st.session_state.get("kiosk-page") != current:
        st.session_state["kiosk-page"] = current
        st.session_state["kiosk-since"] = now
        st.session_state[FRESH_KEY] = True
        st.session_state[SECTION_KEY] = _first_section()
    st.session_state["kiosk-drawn"] = now  # this full run re-reads every figure on the page
    st.session_state[SECTIONS_KEY] = 1  # until the page says it has more (sections() below)

    @st.fragment(run_every=min(TICK_SECONDS, config.refresh_seconds))
    def tick() -> None:
        elapsed = time.monotonic()
        if elapsed - st.session_state["kiosk-since"] >= config.rotate_seconds:
            count, shown = st.session_state[SECTIONS_KEY], st.session_state[SECTION_KEY]
            if shown + 1 < count or (count > 1 and len(config.playlist) == 1):
                st.session_state[SECTION_KEY] = (shown + 1) % count
                st.session_state["kiosk-since"] = elapsed
                st.session_state[FRESH_KEY] = True
                st.rerun(scope="app")
            elif len(config.playlist) > 1:
                carried = {k: v for k, v in st.query_params.to_dict().items() if k != SECTION_PARAM}
                st.switch_page(f"pages/{config.next_page(current)}.py", query_params=carried)
        if elapsed - st.session_state["kiosk-drawn"] >= config.refresh_seconds:
            st.rerun(scope="app")

    tick()


def shown() -> None:
    """After a run that drew a new page or part: its time on the wall counts from now, not from the start
    of a run that may have taken seconds on a busy server (a part must be seen for ``every`` seconds)."""
    if st.session_state.pop(FRESH_KEY, False):
        st.session_state["kiosk-since"] = time.monotonic()


def _first_section() -> int:
    """The section a wall starts a page at: ``?section=N`` (1-based; one screen of a spliced wall showing
    a later part, or a test looking at one), else the first; each later page starts at its first."""
    text = st.query_params.get(SECTION_PARAM, "")
    return int(text) - 1 if text.isdigit() and int(text) >= 1 else 0


def scale(frame: Frame) -> float:
    """How many times larger than on 1080 lines pixel sizes are drawn: the wall's height ÷ 1080; 1 on a desk."""
    return settings().screen.scale if frame.kiosk else 1.0


def px(frame: Frame, pixels: int) -> int:
    """A size in pixels (a map's or chart's height) as the screen draws it (``scale``)."""
    return round(pixels * scale(frame))


def sections(frame: Frame, parts: Sequence[Callable[[], None]]) -> None:
    """A long page's parts: on a desk one after the other; on a wall as many at a time as the wall has
    16:9 screens side by side (one; two on 3840×1080), the wall's timer moving to the next after
    ``rotate_seconds`` and to the next page after the last one."""
    if not frame.kiosk:
        for part in parts:
            part()
        return
    across = settings().screen.columns
    screens = [parts[i:i + across] for i in range(0, len(parts), across)]
    st.session_state[SECTIONS_KEY] = len(screens)
    shown = min(st.session_state.get(SECTION_KEY, 0), len(screens) - 1)
    # The marker's slot comes before the parts, so it keeps its place in the page whatever a part draws:
    # the next section's marker replaces the last one instead of standing beside it until the run ends.
    pager = st.empty() if len(screens) > 1 else None
    if across == 1:
        screens[shown][0]()
    else:
        for column, part in zip(st.columns(across), screens[shown], strict=False):
            with column:
                part()
    if pager is not None:
        pager.html(f"<div class='kiosk-pager'>{frame.t('kiosk.section')} <b>{shown + 1}</b> / {len(screens)}</div>")


def _watchdog(config: kiosk.Kiosk) -> None:
    base = st.get_option("server.baseUrlPath").strip("/")
    settings_js = {
        "watchdogSeconds": config.watchdog_seconds,
        "reloadAt": config.reload_at.isoformat() if config.reload_at else None,
        "health": f"/{base}/_stcore/health" if base else "/_stcore/health",
    }
    script = WATCHDOG_JS.replace("__CONFIG__", json.dumps(settings_js))
    st.html(f"<script>{DECK_RELEASE_JS}\n{script}</script>", unsafe_allow_javascript=True)
