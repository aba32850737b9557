"""Data & quality: monthly report files in (templates, upload, checks), their quality and the audit."""

import streamlit as st

from ui import filters as filter_bar
from ui import intake, live
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.data"))
chosen, scope, in_scope = filter_bar.scoped(frame)
live.region(frame, lambda: intake.draw(frame, chosen.period.last_month, in_scope))
