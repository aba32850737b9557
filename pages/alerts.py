"""Early warning: syndromic signals by township, and the response to each (verify, confirm, dismiss)."""

import streamlit as st

from ui import alerts, live
from ui import filters as filter_bar
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.alerts"))
chosen, scope, in_scope = filter_bar.scoped(frame)
live.region(frame, lambda: alerts.draw(frame, in_scope))
alerts.respond(frame, in_scope)
