"""Map: every member unit on the county's own outline, coloured by an indicator's status; click one for its profile."""

import streamlit as st

from lib import clock
from ui import data, live, mapview
from ui import filters as filter_bar
from ui.frame import enter

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.map"))
chosen, _, in_scope = filter_bar.scoped(frame)
with st.container(horizontal=True, key="map-controls"):
    code = mapview.indicator_choice(frame, data.indicator_catalogue())
    shown = mapview.layer_choice(frame, data.county_settings().has_border_port)


def body() -> None:
    now = clock.now()
    # Read here, not above: a click on the map reruns only this region (it is a fragment on a desk).
    opened = None if frame.kiosk else st.query_params.get(mapview.FACILITY_PARAM)
    mapview.draw(frame, data.status_map(chosen.period, code, in_scope, now),
                 data.facility_profile(chosen.period, opened, code, frame.viewer), shown, now)


live.region(frame, body)
