"""The store cannot be reached: every page says so in one banner, never a traceback, and recovers alone.

Used by the frame around the first-start check and the page (ui/frame.py), and by every live region
(ui/live.py), so a store that is down from the start, or goes down mid-session, looks the same on
every page. Only "cannot reach" errors (lib.store.db.UNREACHABLE) are caught; other errors are bugs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import streamlit as st

from lib.store import db

if TYPE_CHECKING:  # ui.frame imports this module
    from ui.frame import Frame

RETRY_SECONDS = 5


def banner(frame: Frame) -> None:
    st.error(frame.t("banner.unreachable"), icon=":material/cloud_off:")


@contextlib.contextmanager
def guard(frame: Frame, *, retry: bool) -> Iterator[None]:
    """Run the block; if the store cannot be reached, show the banner instead of the error.

    ``retry``: also start a timer that reruns the app once the store answers again. Leave it off where
    a timer already reruns the page (a wall's tick, a live region's refresh): a page carries one timer.
    """
    try:
        yield
    except db.UNREACHABLE:
        banner(frame)
        if retry:
            retry_until_reachable()


def retry_until_reachable() -> None:
    """Rerun the app as soon as the store answers again (and the read replica, when the pages read one)."""
    @st.fragment(run_every=RETRY_SECONDS)
    def wait_for_store() -> None:
        if db.reachable() and db.reachable(db.read_url()):
            st.rerun(scope="app")

    wait_for_store()
