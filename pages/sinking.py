"""Resources sent down (下沉): doctors' days at the grassroots by sending hospital, host units' days,
THCs' stationed attendings and the monthly roster planned against served (#13 item 2)."""

import streamlit as st

from ui import data, live, sinking
from ui import filters as filter_bar
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.sinking"))
chosen, scope, in_scope = filter_bar.scoped(frame)


def body() -> None:
    sinking.draw(frame, data.sinking_page(scope, chosen.period, in_scope))


live.region(frame, body)
