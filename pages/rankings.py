"""Monthly rankings: member-unit scores across the five assessment systems, by peer group."""

import datetime as dt

import streamlit as st

from ui import data, filters, rankings
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.rankings"))
chosen = filters.bar(frame, today=rankings.last_complete_day(dt.date.today()))
rankings.draw(frame, data.month_scores(chosen.period.last_month), chosen)
