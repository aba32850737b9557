"""Insurance fund: the envelope and its ledger, execution against the elapsed year, the year-end projection,
where the fund is spent."""

import streamlit as st

from ui import data, live
from ui import filters as filter_bar
from ui import insurance as view
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.insurance"))
chosen, scope, _ = filter_bar.scoped(frame)


def body() -> None:
    view.draw(frame, data.insurance_page(scope, chosen.period, frame.viewer))


live.region(frame, body)
