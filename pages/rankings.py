"""Monthly rankings: member-unit scores across the five assessment systems, by peer group."""

import streamlit as st

from lib import clock
from ui import data, filters, rankings
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.rankings"))
chosen = filters.bar(frame, today=rankings.last_complete_day(clock.today()))
(rankings.board if frame.kiosk else rankings.draw)(frame, data.month_scores(chosen.period.last_month), chosen)
