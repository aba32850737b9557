"""Every table of the cockpit goes through here: a missing value reads "—" in both languages, never
Streamlit's default "None" (issue #9 item 6)."""

from __future__ import annotations

import functools

import streamlit as st

from lib import i18n

dataframe = functools.partial(st.dataframe, placeholder=i18n.MISSING)
