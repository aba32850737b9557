"""Overview: today's counters, the headline indicators against their targets, where they are heading."""

import streamlit as st

from lib import clock
from lib.kpi.headline import DEFAULT_LEAGUE
from ui import data, live, mapview, overview
from ui import filters as filter_bar
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.overview"))
chosen, scope, in_scope = filter_bar.scoped(frame)
league_group = st.query_params.get(overview.LEAGUE_PARAM, DEFAULT_LEAGUE)


def body() -> None:
    now = clock.now()
    view = data.overview_page(chosen, scope, in_scope, league_group, mapview.DEFAULT_INDICATOR, now, frame.viewer)
    overview.draw(frame, view, now)


live.region(frame, body)
