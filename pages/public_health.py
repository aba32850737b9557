"""Public health, TCM and elderly care: chronic-disease and maternal management, family doctors, screening,
TCM by area and unit, and 医康养 for the elderly."""

import streamlit as st

from ui import data, live
from ui import filters as filter_bar
from ui import public_health as view
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.public_health"))
chosen, scope, _ = filter_bar.scoped(frame)


def body() -> None:
    view.draw(frame, data.public_health_page(scope, chosen.period, frame.viewer))


live.region(frame, body)
