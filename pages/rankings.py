"""Monthly rankings: member-unit scores across the five assessment systems, by peer group."""

import streamlit as st

from lib import clock
from ui import data, filters, rankings
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.rankings"))
chosen = filters.bar(frame, today=rankings.last_complete_day(clock.today()))
if frame.kiosk:  # a wall shows the latest published month unless the URL names one, as the meeting does
    month = data.meeting_month(st.query_params.get("period"), clock.today())
    rankings.board(frame, data.month_scores(month, frame.viewer), chosen)
else:
    rankings.draw(frame, data.month_scores(chosen.period.last_month, frame.viewer), chosen)
