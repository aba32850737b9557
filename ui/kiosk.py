"""Wall-screen mode (?kiosk=1): large type, no chrome, page rotation, refresh cadence.

Rotation is a small ``run_every`` fragment: the browser's timer reruns it, and once a page has been
on screen for ``rotate_seconds`` it switches to the next playlist page, keeping the URL's parameters
(language, filters, playlist). A kiosk left alone for days thus only ever reruns fragments and
switches pages; nothing accumulates in the session.
"""

from __future__ import annotations

import time

import streamlit as st

from lib import kiosk
from ui.frame import PAGES, Frame

TICK_SECONDS = 5

# Readable at 5 m. A 3840 px screen at device scale 1 doubles the root size (Streamlit sizes in rem,
# charts follow their containers); CSS zoom would break canvas charts, which measure unzoomed widths.
# Most 4K walls run at scale 2 and get the 1920 px layout unchanged.
CSS = """
<style>
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.6rem 1.2rem 0.2rem 1.2rem !important; max-width: 100% !important; }
html { font-size: 18px; }
h1 { font-size: 1.7rem !important; padding: 0.1rem 0 0.3rem 0 !important; }
[data-testid="stMetricValue"] { font-size: 2.1rem !important; }
[data-testid="stMetricLabel"] p { font-size: 1.05rem !important; }
/* Banners (stale data, store unreachable) overlay the title strip instead of pushing the page down. */
[data-testid="stAlert"] { position: fixed; top: 0.4rem; right: 1.2rem; width: 55%; z-index: 1000; }
@media (min-width: 3000px) { html { font-size: 36px; } }
</style>
"""


def settings() -> kiosk.Kiosk:
    return kiosk.settings(st.query_params, [p.name for p in PAGES])


def style() -> None:
    st.html(CSS)


def rotation(current: str) -> None:
    """Switch to the next playlist page after the configured time on this one."""
    config = settings()
    if len(config.playlist) < 2:
        return
    if st.session_state.get("kiosk-page") != current:
        st.session_state["kiosk-page"] = current
        st.session_state["kiosk-since"] = time.monotonic()

    @st.fragment(run_every=TICK_SECONDS)
    def tick() -> None:
        if time.monotonic() - st.session_state["kiosk-since"] >= config.rotate_seconds:
            st.switch_page(f"pages/{config.next_page(current)}.py", query_params=st.query_params.to_dict())

    tick()


def refresh_seconds(frame: Frame) -> int:
    """How often a page re-reads its figures: the kiosk setting, or a minute for desk users."""
    return settings().refresh_seconds if frame.kiosk else 60
