"""Region: the store's counties side by side on the headline indicators, each against its own targets."""

import streamlit as st

from ui import data, live, region
from ui import filters as filter_bar
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.region"))
chosen = filter_bar.bar(frame)


def body() -> None:
    region.draw(frame, data.region_page(chosen.period))


live.region(frame, body)
