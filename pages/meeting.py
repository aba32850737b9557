"""Meeting mode: the month's assessment as full-screen slides (opening summary, then one peer group each)."""

import streamlit as st

from lib import clock
from ui import data, meeting
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
today = clock.today()
meeting.draw(frame, data.month_scores(data.meeting_month(st.query_params.get("period"), today), frame.viewer), today)
