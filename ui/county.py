"""The county switcher: which county of the store every page shows, when the store holds several.

The URL holds the choice (``?county=CODE``, lib-neutral like every filter) so a link or a wall's playlist
reproduces it; the session keeps it across page switches, which drop the query string. Switching county
drops the filters that name another county's communities, areas and units.
"""

from __future__ import annotations

import streamlit as st

from lib.store import db
from ui import data
from ui.frame import Frame

SWITCH_KEY = "county-switch"
KEPT_ON_SWITCH = ("lang", "period", "span")  # what still means the same in another county


def _switch() -> None:
    chosen = st.session_state[SWITCH_KEY]
    kept = {k: v for k, v in st.query_params.to_dict().items() if k in KEPT_ON_SWITCH}
    st.query_params.from_dict({**kept, data.COUNTY_PARAM: chosen})
    st.session_state[data.COUNTY_KEY] = chosen


def switch(frame: Frame) -> None:
    """Draw the switcher (a store with several counties, not on a wall), keep the run's county in the
    session and the URL, and say when a link's county is not in this store. A store that does not answer
    draws no switcher: the page's own guard says so (lib.store.db.UNREACHABLE, ui.outage)."""
    try:
        loaded = data.counties()
    except db.UNREACHABLE:
        return
    asked = st.query_params.get(data.COUNTY_PARAM)
    shown = data.here().county
    if asked and asked != shown:
        st.warning(frame.t("filter.ignored", names=f"{data.COUNTY_PARAM}={asked}"))
    if len(loaded) < 2 or shown is None or frame.viewer.county is not None:
        return
    st.session_state[data.COUNTY_KEY] = shown
    if asked != shown:
        st.query_params[data.COUNTY_PARAM] = shown  # back into the URL, so it can be shared or bookmarked
    if frame.kiosk:
        return
    names = {c.code: c.name(frame.lang) for c in loaded}
    st.session_state[SWITCH_KEY] = shown
    st.selectbox(frame.t("filter.county"), list(names), format_func=names.__getitem__, key=SWITCH_KEY,
                 on_change=_switch, label_visibility="collapsed", width=200)
