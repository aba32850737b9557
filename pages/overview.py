"""Overview: today's counters, the headline indicators against their targets, where they are heading."""

import streamlit as st

from ui import data, live, overview
from ui import filters as filter_bar
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.overview"))
chosen, scope, in_scope = filter_bar.scoped(frame)


def body() -> None:
    counters = data.live_counters(in_scope)
    tiles = data.overview_tiles(scope, chosen.period)
    overview.counters(frame, counters)
    left, right = st.columns([7, 3])
    with left:
        overview.tiles(frame, tiles)
    with right:
        overview.side(frame, chosen.period, in_scope)


live.region(frame, body)
