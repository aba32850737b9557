"""The plan's milestones (任务清单): every dated target of the county's plan with clause, owner, due date,
status and evidence, and a timeline (#13 item 6). The month filter sets the day the plan is read on."""

import streamlit as st

from ui import data, live, plan
from ui import filters as filter_bar
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.plan"))
chosen, _, in_scope = filter_bar.scoped(frame)


def body() -> None:
    plan.draw(frame, data.plan_page(chosen.period, in_scope))


live.region(frame, body)
