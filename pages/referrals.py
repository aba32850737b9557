"""Referrals: up, down and out-of-county flows on the county map; where residents leave the county and why."""

import streamlit as st

from ui import data, flowview, live
from ui import filters as filter_bar
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.referrals"))
chosen, scope, in_scope = filter_bar.scoped(frame)
directions, disease = flowview.flow_filters(frame, data.county_settings().watched_diseases)


def body() -> None:
    flowview.draw(frame, data.referrals_page(chosen.period, scope, in_scope, directions, disease, frame.viewer))


live.region(frame, body)
