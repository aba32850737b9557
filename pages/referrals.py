"""Referrals: up, down and out-of-county flows on the county map; where residents leave the county and why."""

import streamlit as st

from ui import data, flowview, live
from ui import filters as filter_bar
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.referrals"))
chosen, scope, in_scope = filter_bar.scoped(frame)
directions, disease = flowview.flow_filters(frame)


def body() -> None:
    flow = data.referral_flows(chosen.period, in_scope, directions, disease)
    flowview.headline(frame, flow, scope, chosen.period)
    flowview.flow_map(frame, flow)
    left, right = st.columns([3, 2])
    with left:
        flowview.od_table(frame, flow)
    with right:
        flowview.leakage(frame, data.leakage(chosen.period, in_scope))
    flowview.area_trend(frame, data.kpi_trend("out_of_county_rate", chosen.period.last_month))


live.region(frame, body)
