"""Information centres: the ten centres' build status, today's and the period's figures, their trends."""

import streamlit as st

from ui import centres, data, live
from ui import filters as filter_bar
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.centres"))
chosen, scope, _ = filter_bar.scoped(frame)


def body() -> None:
    centres.draw(frame, data.centres_page(chosen.period, scope))


live.region(frame, body)
