"""Capacity (服务能力): GPs per 10,000, THC staffing, village doctors, EMR levels, ambulances and training
(#13 item 5)."""

import streamlit as st

from ui import capacity, data, live
from ui import filters as filter_bar
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.capacity"))
chosen, scope, in_scope = filter_bar.scoped(frame)


def body() -> None:
    capacity.draw(frame, data.capacity_page(scope, chosen.period, in_scope))


live.region(frame, body)
