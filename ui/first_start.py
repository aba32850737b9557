"""First start in the browser: build the default store with demo data while the user watches.

The build runs in one background thread per server process (lib.store.bootstrap.Build, kept by
``st.cache_resource``); every session that arrives meanwhile shows the same progress bar, and a click
that reruns the page only re-attaches to the build instead of cutting it short.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import streamlit as st

from lib.store import bootstrap, db

if TYPE_CHECKING:  # ui.frame imports this module
    from ui.frame import Frame

POLL_SECONDS = 0.25


@st.cache_resource(show_spinner=False)
def _build(url: str) -> bootstrap.Build:
    return bootstrap.start_build(url)


@st.cache_resource(show_spinner=False)
def _current() -> tuple[threading.Lock, set[str]]:
    """Stores brought current by this server process (and the lock that lets one session do it)."""
    return threading.Lock(), set()


def _bring_current(frame: Frame, url: str) -> None:
    """Once per server process and store: migrations, catalogue, and a rollup rebuild if the rollup
    declarations changed, with a progress bar for the slow steps. A failure is not remembered: it retries."""
    lock, done = _current()
    if url in done:
        return
    bar = None

    def progress(fraction: float, message: str) -> None:
        nonlocal bar
        bar = bar or st.progress(0.0)
        bar.progress(min(max(fraction, 0.0), 1.0), text=frame.t(message))

    with lock:
        if url not in done:
            bootstrap.bring_current(url, progress)
            done.add(url)
    if bar is not None:
        bar.empty()


def ensure_store(frame: Frame) -> None:
    """Return at once if the store is usable; otherwise show the build's progress, then rerun."""
    url = db.resolve_url()
    if not bootstrap.needs_demo(url):
        _bring_current(frame, url)
        return
    build = _build(url)
    if build.done.is_set():  # finished, yet the store needs one: it failed, or the file was removed since
        _build.clear(url)
        build = _build(url)
    with st.status(frame.t("bootstrap.title"), expanded=True) as status:
        bar = st.progress(0.0)
        while not build.done.wait(POLL_SECONDS):
            bar.progress(min(max(build.fraction, 0.0), 1.0), text=frame.t(build.message))
        if build.error is not None:
            status.update(state="error")  # the next run starts a new build
            raise build.error
        status.update(label=frame.t("bootstrap.done"), state="complete")
    st.rerun()  # draw the first page on a clean screen, from the finished store
