"""Overview: today's counters, the headline indicators against their targets, where they are heading."""

import datetime as dt

import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from lib import i18n, live
from ui import data, kiosk, overview
from ui import filters as filter_bar
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.overview"))
chosen, scope, in_scope = filter_bar.scoped(frame)


def body() -> None:
    try:
        counters = data.live_counters(in_scope)
        tiles = data.overview_tiles(scope, chosen.period)
    except SQLAlchemyError:  # the store is down: say so, keep the screen up, retry on the next tick
        st.error(frame.t("banner.unreachable"), icon="⚠️")
        return
    stale = dt.timedelta(minutes=kiosk.settings().stale_minutes)
    if live.is_stale(counters.data_as_of, dt.datetime.now(), stale):
        st.warning(frame.t("banner.stale", when=i18n.fmt_datetime(counters.data_as_of, frame.lang)), icon="⏱️")
    overview.counters(frame, counters)
    left, right = st.columns([7, 3])
    with left:
        overview.tiles(frame, tiles)
    with right:
        overview.side(frame, chosen.period, in_scope)


kiosk.live(frame, body)
