"""Map: every member unit on the banner's own outline, coloured by an indicator's status; click one for its profile."""

import datetime as dt

import streamlit as st

from ui import data, live, maps, mapview
from ui import filters as filter_bar
from ui.frame import enter

LAYERS = ("areas", "facilities", "port", "dispatches")

frame = enter()  # first: makes sure app.py's frame surrounds this run (see ui/frame.py)
st.title(frame.t("page.map"))
chosen, _, in_scope = filter_bar.scoped(frame)
catalogue = data.indicator_catalogue()
with st.container(horizontal=True, key="map-controls"):
    code = mapview.indicator_choice(frame, catalogue)
    shown = set(LAYERS) if frame.kiosk else set(
        st.pills(frame.t("map.layers"), LAYERS, selection_mode="multi", default=LAYERS, key="map-layers",
                 format_func=lambda layer: frame.t(f"map.layer.{layer}")))


def body() -> None:
    base = data.map_base()
    points = base["points"]
    if in_scope is not None:
        points = points[points["facility_id"].isin(in_scope)]
    m = mapview.status_map(frame, points, chosen.period, code, shown, dt.datetime.now())
    left, right = st.columns([3, 2]) if not frame.kiosk else (st.container(), None)
    with left:
        st.pydeck_chart(maps.deck(m.layers, mapview.view(base["shapes"])), key=mapview.MAP_KEY,
                        height=mapview.MAP_HEIGHT, alt=frame.t("map.alt"), on_select=mapview.picked,
                        selection_mode="single-object")
        mapview.legend(frame, base["shapes"], m.indicator)
    if right is not None:
        with right:
            mapview.facility(frame, points, chosen.period, m.indicator)
    mapview.status_table(frame, points, m.volumes, m.values, m.indicator)


live.region(frame, body)
