"""A page's live region: re-read on a timer, guarded against an unreachable store, flagged when stale.

On a desk the region is a fragment re-read every minute. On a wall it is a plain call: the wall's one
timer (ui/kiosk.py) reruns the whole page, and a second timer on the page is what once whited walls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import streamlit as st

from lib import clock, i18n
from lib.events import live
from ui import access, alerts, data, kiosk, outage
from ui.frame import Frame

DESK_REFRESH_SECONDS = 60  # a desk user's live figures are re-read every minute


def region(frame: Frame, draw: Callable[[], None]) -> None:
    """Draw ``draw`` as the page's live region."""

    def guarded() -> None:
        with outage.guard(frame, retry=False):  # the region's own refresh, or the wall's tick, retries
            _stale_banner(frame)
            if frame.kiosk:
                alerts.ribbon(frame)
            draw()

    def desk() -> None:
        if not access.still_valid(frame):  # disabled since the page was drawn: the whole run decides again
            st.rerun(scope="app")
        guarded()

    if frame.kiosk:
        guarded()  # a wall's tick reruns the whole page, whose frame checks its token first
    else:
        st.fragment(run_every=DESK_REFRESH_SECONDS)(desk)()


def _stale_banner(frame: Frame) -> None:
    """No event for ``stale_minutes``: the feed or an interface has stopped, so the figures are old."""
    as_of = data.data_as_of()
    if live.is_stale(as_of, clock.now(), dt.timedelta(minutes=kiosk.settings().stale_minutes)):
        st.warning(frame.t("banner.stale", when=i18n.fmt_datetime(as_of, frame.lang)), icon=":material/schedule:")
