"""Users and access: users with role and scope, kiosk tokens, and the audit of every change."""

import streamlit as st

from ui import admin
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.admin"))
admin.draw(frame)
